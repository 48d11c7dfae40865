# The diffusion model of lecture 7: the denoiser eps_theta(x_t, t), an MLP on the point and a
# 32-dimensional sinusoidal embedding of t (16 frequencies 10000^(-k/16)), 3 hidden layers of 128
# SiLU units, DDPM's linear schedule (T = 1000, beta 1e-4 -> 0.02). "train": one Adam step
# (lr 1e-3, eps 1e-8) of the eps-prediction loss on 256 points; "sample": 1000 points by ancestral
# sampling over 50 respaced steps. Go: BenchmarkDiffusion in pkg/diffusion.


class Denoiser(nn.Module):
    def __init__(self, hidden=128, layers=3, freqs=16):
        super().__init__()
        self.register_buffer("freqs", 10000.0 ** (-torch.arange(freqs, dtype=torch.float32) / freqs))
        dims = [2 + 2 * freqs] + [hidden] * layers
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(hidden, 2)

    def forward(self, x, t):
        arg = t.float()[:, None] * self.freqs[None, :]
        h = torch.cat([x, torch.sin(arg), torch.cos(arg)], dim=1)
        for layer in self.hidden:
            h = F.silu(layer(h))
        return self.out(h)


def ddpm_schedule(T=1000):
    betas = torch.cat([torch.zeros(1, dtype=torch.float64), torch.linspace(1e-4, 0.02, T, dtype=torch.float64)])
    abar = torch.cumprod(1 - betas, 0)
    return betas, abar


@workload("diffusion", modes=("train", "sample"), unit="samples")
def diffusion_workload(mode):
    net = Denoiser()
    betas, abar = ddpm_schedule()
    sqrt_ab, sqrt_1mab = abar.sqrt().float(), (1 - abar).sqrt().float()
    if mode == "train":
        batch = 256
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-8)

        def make_input():
            return torch.randn(batch, 2), torch.randint(1, 1001, (batch,)), torch.randn(batch, 2)

        @compiled
        def loss_of(x0, t, eps):
            xt = sqrt_ab[t][:, None] * x0 + sqrt_1mab[t][:, None] * eps
            return ((eps - net(xt, t)) ** 2).sum(1).mean()

        def step(inp):
            opt.zero_grad(set_to_none=True)
            loss = loss_of(*inp)
            loss.backward()
            opt.step()
            return loss.item()

        return batch, make_input, step
    if mode == "sample":
        n, S, T = 1000, 50, 1000
        ts = [1 + round(i * (T - 1) / (S - 1)) for i in range(S)]
        ab = [abar[t].item() for t in ts]
        coefs = []
        for i in range(S):
            prev = ab[i - 1] if i > 0 else 1.0
            beta = 1 - ab[i] / prev
            coefs.append((ts[i], 1 / math.sqrt(1 - beta), beta / math.sqrt(1 - ab[i]), math.sqrt(beta) if i > 0 else 0.0))

        def make_input():
            return None

        @compiled
        def sample():
            x = torch.randn(n, 2)
            for t, a, b, sigma in reversed(coefs):
                eps = net(x, torch.full((n,), t, dtype=torch.int64))
                x = a * (x - b * eps)
                if sigma > 0:
                    x = x + sigma * torch.randn(n, 2)
            return x

        def step(_):
            with torch.no_grad():
                return sample()[0, 0].item()

        return n, make_input, step
    raise SystemExit(f"bench peers: unknown mode {mode!r} for diffusion; want train or sample")


def denoiser_jax_init(key, hidden=128, layers=3, freqs=16):
    dims = [2 + 2 * freqs] + [hidden] * layers + [2]
    keys = jax.random.split(key, len(dims) - 1)
    def linear(key, n_in, n_out):
        k1, k2 = jax.random.split(key)
        lim = 1 / math.sqrt(n_in)
        return {"w": jax.random.uniform(k1, (n_in, n_out), f32, -lim, lim), "b": jax.random.uniform(k2, (n_out,), f32, -lim, lim)}
    return [linear(k, a, b) for k, a, b in zip(keys, dims[:-1], dims[1:])]


def denoiser_jax(p, x, t, freqs=16):
    arg = t.astype(f32)[:, None] * (10000.0 ** (-jnp.arange(freqs, dtype=f32) / freqs))[None, :]
    h = jnp.concatenate([x, jnp.sin(arg), jnp.cos(arg)], axis=1)
    for layer in p[:-1]:
        h = jax.nn.silu(jax_dense(layer, h))
    return jax_dense(p[-1], h)


@workload("diffusion", modes=("train", "sample"), unit="samples", framework="jax")
def diffusion_jax_workload(mode):
    net = denoiser_jax_init(jax.random.PRNGKey(0))
    T = 1000
    betas = np.concatenate([[0.0], np.linspace(1e-4, 0.02, T)])
    abar = np.cumprod(1 - betas)
    sqrt_ab, sqrt_1mab = jnp.asarray(np.sqrt(abar), f32), jnp.asarray(np.sqrt(1 - abar), f32)
    rng = np.random.default_rng(2)
    if mode == "train":
        batch = 256

        def loss(p, inp, key):
            x0, t, eps = inp
            xt = sqrt_ab[t][:, None] * x0 + sqrt_1mab[t][:, None] * eps
            return ((eps - denoiser_jax(p, xt, t)) ** 2).sum(1).mean()

        def make_input():
            return (jnp.asarray(rng.standard_normal((batch, 2), dtype=np.float32)), jnp.asarray(rng.integers(1, 1001, batch, dtype=np.int32)),
                    jnp.asarray(rng.standard_normal((batch, 2), dtype=np.float32)))

        return batch, make_input, jax_trainer(mode, net, loss, adam(1e-3, eps=1e-8))
    if mode == "sample":
        n, S = 1000, 50
        ts = [1 + round(i * (T - 1) / (S - 1)) for i in range(S)]
        ab = [abar[t] for t in ts]
        coefs = []
        for i in range(S):
            prev = ab[i - 1] if i > 0 else 1.0
            beta = 1 - ab[i] / prev
            coefs.append((ts[i], 1 / math.sqrt(1 - beta), beta / math.sqrt(1 - ab[i]), math.sqrt(beta) if i > 0 else 0.0))
        state = {"key": jax.random.PRNGKey(1)}

        @jax.jit
        def sample(key):
            key, sub = jax.random.split(key)
            x = jax.random.normal(sub, (n, 2), f32)
            for t, a, b, sigma in reversed(coefs):
                eps = denoiser_jax(net, x, jnp.full((n,), t, jnp.int32))
                x = a * (x - b * eps)
                if sigma > 0:
                    key, sub = jax.random.split(key)
                    x = x + sigma * jax.random.normal(sub, (n, 2), f32)
            return key, x

        def step(_):
            state["key"], x = sample(state["key"])
            return float(x[0, 0])

        return n, lambda: None, step
    raise SystemExit(f"bench peers: unknown mode {mode!r} for diffusion; want train or sample")
