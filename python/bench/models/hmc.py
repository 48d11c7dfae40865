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
        phi, dh = self.integrate(self.phi.clone(), torch.randn_like(self.phi))
        accept = bool(dh <= 0) or torch.rand(()).item() < math.exp(-dh.item())
        if accept:
            self.phi = phi
        return float(accept)

    def leapfrog(self, phi, pi):
        h0 = 0.5 * (pi ** 2).sum() + self.action(phi)
        pi = pi - 0.5 * self.eps * self.grad(phi)
        for step in range(self.steps):
            phi = phi + self.eps * pi
            pi = pi - (0.5 if step == self.steps - 1 else 1.0) * self.eps * self.grad(phi)
        return phi, 0.5 * (pi ** 2).sum() + self.action(phi) - h0


@workload("hmc", modes=("sample",), unit="trajectories")
def hmc_workload(mode):
    if mode != "sample":
        raise SystemExit(f"bench peers: hmc has only the mode sample, not {mode!r}")
    h = HMC()
    h.integrate = compiled(h.leapfrog)
    return 1, lambda: None, lambda _: h.trajectory()


@workload("hmc", modes=("sample",), unit="trajectories", framework="jax")
def hmc_jax_workload(mode):
    if mode != "sample":
        raise SystemExit(f"bench peers: hmc has only the mode sample, not {mode!r}")
    L, m2, lam, eps, steps = 8, -4.0, 8.0, 0.1, 10

    def action(phi):
        kin = (jnp.roll(phi, -1, 0) - phi) ** 2 + (jnp.roll(phi, -1, 1) - phi) ** 2
        return (kin + m2 * phi ** 2 + lam * phi ** 4).sum()

    def grad(phi):
        nb = jnp.roll(phi, -1, 0) + jnp.roll(phi, 1, 0) + jnp.roll(phi, -1, 1) + jnp.roll(phi, 1, 1)
        return 2 * (4 * phi - nb) + 2 * m2 * phi + 4 * lam * phi ** 3

    @jax.jit
    def trajectory(phi0, key):
        key, k1, k2 = jax.random.split(key, 3)
        pi = jax.random.normal(k1, phi0.shape, jnp.float64)
        h0 = 0.5 * (pi ** 2).sum() + action(phi0)
        phi, pi = phi0, pi - 0.5 * eps * grad(phi0)
        for step in range(steps):
            phi = phi + eps * pi
            pi = pi - (0.5 if step == steps - 1 else 1.0) * eps * grad(phi)
        dh = 0.5 * (pi ** 2).sum() + action(phi) - h0
        accept = (dh <= 0) | (jax.random.uniform(k2, (), jnp.float64) < jnp.exp(-dh))
        return jnp.where(accept, phi, phi0), key, accept.astype(jnp.float64)

    state = {"phi": jnp.zeros((L, L), jnp.float64), "key": jax.random.PRNGKey(0)}

    def step(_):
        state["phi"], state["key"], acc = trajectory(state["phi"], state["key"])
        return float(acc)

    return 1, lambda: None, step
