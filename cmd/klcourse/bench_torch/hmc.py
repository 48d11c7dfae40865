# HMC for the phi^4 theory of lecture 8: one chain on the 8x8 lattice at
# m2 = -4, lambda = 8, trajectories of 10 leapfrog steps of 0.1 and a
# Metropolis test, in float64. Go: BenchmarkHMC in pkg/phi4.


class HMC:
    def __init__(self, L=8, m2=-4.0, lam=8.0, eps=0.1, steps=10):
        self.m2, self.lam, self.eps, self.steps = m2, lam, eps, steps
        self.phi = torch.zeros(L, L, dtype=torch.float64)

    def action(self, phi):
        kin = (torch.roll(phi, -1, 0) - phi) ** 2 + (torch.roll(phi, -1, 1) - phi) ** 2
        return (kin + self.m2 * phi ** 2 + self.lam * phi ** 4).sum()

    def grad(self, phi):
        nb = torch.roll(phi, -1, 0) + torch.roll(phi, 1, 0) + torch.roll(phi, -1, 1) + torch.roll(phi, 1, 1)
        return 2 * (4 * phi - nb) + 2 * self.m2 * phi + 4 * self.lam * phi ** 3

    def trajectory(self):
        phi = self.phi.clone()
        pi = torch.randn_like(phi)
        h0 = 0.5 * (pi ** 2).sum() + self.action(phi)
        pi = pi - 0.5 * self.eps * self.grad(phi)
        for step in range(self.steps):
            phi = phi + self.eps * pi
            pi = pi - (0.5 if step == self.steps - 1 else 1.0) * self.eps * self.grad(phi)
        dh = 0.5 * (pi ** 2).sum() + self.action(phi) - h0
        accept = bool(dh <= 0) or torch.rand(()).item() < math.exp(-dh.item())
        if accept:
            self.phi = phi
        return float(accept)


@workload("hmc", modes=("sample",), unit="trajectories")
def hmc_workload(mode):
    if mode != "sample":
        raise SystemExit(f"bench_torch: hmc has only the mode sample, not {mode!r}")
    h = HMC()
    return 1, lambda: None, lambda _: h.trajectory()
