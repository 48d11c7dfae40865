# The real NVP flow of lecture 8 (after the flow-based sampling tutorial,
# arXiv:2101.08176): 16 affine coupling layers with checkerboard masks, each
# with a conv net 1 -> 8 -> 8 -> 2 (3x3, circular padding, LeakyReLU, tanh),
# trained by the reverse KL mean(log q + S) on the 8x8 lattice at m2 = -4,
# lambda = 8, batch 64, Adam(lr 1e-3). Go: BenchmarkFlow in pkg/flow.


def phi4_action(phi, m2=-4.0, lam=8.0):
    kinetic = 0
    for mu in (1, 2):
        kinetic = kinetic + phi * (2 * phi - torch.roll(phi, -1, mu) - torch.roll(phi, 1, mu))
    return (kinetic + m2 * phi ** 2 + lam * phi ** 4).sum(dim=(1, 2))


class Coupling(nn.Module):
    def __init__(self, mask, hidden=(8, 8), kernel=3):
        super().__init__()
        self.register_buffer("mask", mask)
        chans = (1,) + tuple(hidden) + (2,)
        layers = []
        for i in range(len(chans) - 1):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], kernel, padding=kernel // 2, padding_mode="circular"))
            layers.append(nn.LeakyReLU() if i < len(chans) - 2 else nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        frozen = self.mask * x
        out = self.net(frozen.unsqueeze(1))
        s, t = out[:, 0], out[:, 1]
        active = 1 - self.mask
        return frozen + active * (x * torch.exp(s) + t), (active * s).sum(dim=(1, 2))


class Flow(nn.Module):
    def __init__(self, L=8, layers=16):
        super().__init__()
        idx = torch.arange(L)
        board = ((idx[:, None] + idx[None, :]) % 2).float()
        self.layers = nn.ModuleList(Coupling(board if i % 2 else 1 - board) for i in range(layers))

    def loss(self, z):
        logq = -0.5 * (z ** 2).sum(dim=(1, 2)) - 0.5 * z[0].numel() * math.log(2 * math.pi)
        x = z
        for layer in self.layers:
            x, logdet = layer(x)
            logq = logq - logdet
        return (logq + phi4_action(x)).mean()


@workload("flow", modes=("train",), unit="samples")
def flow_workload(mode):
    m = Flow()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    batch = 64
    return batch, lambda: torch.randn(batch, 8, 8), trainer_steps(mode, m, opt, m.loss)
