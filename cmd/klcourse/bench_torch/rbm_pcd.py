# Lecture 4's RBM trained by persistent contrastive divergence: 784x500,
# PCD-1 with 64 fantasy chains, batch 64 binarised by sampling, SGD(lr 0.1) on
# mean F(v) - mean F(fantasy), and the one-step reconstruction error the
# lecture tracks. Go: BenchmarkRBMPCD in pkg/rbm (rbm.Trainer). Samples are
# drawn as (uniform < p), as GoMLX does (torch.bernoulli is several times
# slower in PyTorch 1.13 on the CPU).


class PCDRBM(nn.Module):
    def __init__(self, visible=784, hidden=500, chains=64):
        super().__init__()
        self.W = nn.Parameter(torch.randn(visible, hidden) * 1e-2)
        self.b = nn.Parameter(torch.zeros(visible))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.fantasy = (torch.rand(chains, visible) < 0.5).float()

    def free_energy(self, v):
        return -v.mv(self.b) - F.softplus(v @ self.W + self.c).sum(1)

    def loss(self, images):
        sample = lambda p: (torch.rand_like(p) < p).float()
        v = sample(images)
        with torch.no_grad():
            h = sample(torch.sigmoid(v @ self.W + self.c))
            recon = torch.sigmoid(h @ self.W.t() + self.b)
            self.recon_error = ((v - recon) ** 2).sum(1).mean().item()
            hf = sample(torch.sigmoid(self.fantasy @ self.W + self.c))
            self.fantasy = sample(torch.sigmoid(hf @ self.W.t() + self.b))
        return self.free_energy(v).mean() - self.free_energy(self.fantasy).mean()


@workload("rbm-pcd", modes=("train",))
def rbm_pcd_workload(mode):
    m = PCDRBM()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    batch = 64
    return batch, lambda: torch.rand(batch, 784), trainer_steps(mode, m, opt, m.loss)
