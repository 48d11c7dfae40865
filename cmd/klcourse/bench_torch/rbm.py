# The RBM of the lecture notes on generative models (lecture 4): 784x500,
# CD-1, batch 64, SGD(lr 0.1) on F(v0) - F(v1). Go: BenchmarkRBM in pkg/models.


class RBM(nn.Module):
    def __init__(self, visible=784, hidden=500):
        super().__init__()
        self.W = nn.Parameter(torch.randn(hidden, visible) * 1e-2)
        self.v_bias = nn.Parameter(torch.zeros(visible))
        self.h_bias = nn.Parameter(torch.zeros(hidden))

    def free_energy(self, v):
        return -v.mv(self.v_bias) - F.softplus(F.linear(v, self.W, self.h_bias)).sum(1)

    def loss(self, images):
        v = torch.bernoulli(images)
        with torch.no_grad():
            h = torch.bernoulli(torch.sigmoid(F.linear(v, self.W, self.h_bias)))
            v1 = torch.bernoulli(torch.sigmoid(F.linear(h, self.W.t(), self.v_bias)))
        return self.free_energy(v).mean() - self.free_energy(v1).mean()


@workload("rbm")
def rbm_workload(mode):
    m = RBM()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    batch = 64
    return batch, lambda: torch.rand(batch, 784), trainer_steps(mode, m, opt, m.loss)
