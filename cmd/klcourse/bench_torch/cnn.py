# The CNN of the summer-school notebook (lecture 2): CIFAR-10, batch 250,
# Adam(lr 1e-3), softmax cross-entropy. Go: BenchmarkCNN in pkg/models.


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = glorot(nn.Conv2d(3, 32, 3))
        self.conv2 = glorot(nn.Conv2d(32, 128, 3))
        self.dense1 = glorot(nn.Linear(6 * 6 * 128, 64))
        self.dense2 = glorot(nn.Linear(64, 10))

    def forward(self, x):
        x = F.dropout(F.max_pool2d(torch.tanh(self.conv1(x)), 2), 0.4, self.training)
        x = F.dropout(F.max_pool2d(F.relu(self.conv2(x)), 2), 0.7, self.training)
        x = torch.exp(self.dense1(torch.flatten(x, 1)))
        return self.dense2(x)


@workload("cnn")
def cnn_workload(mode):
    m = CNN()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    batch = 250
    data = lambda: (torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,)))
    loss = lambda x: F.cross_entropy(m(x[0]), x[1])
    return batch, data, trainer_steps(mode, m, opt, loss)
