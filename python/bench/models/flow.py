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


@workload("flow", modes=("train",), unit="samples", framework="jax")
def flow_jax_workload(mode):
    L, layers, batch, chans = 8, 16, 64, (1, 8, 8, 2)
    idx = np.arange(L)
    board = jnp.asarray((idx[:, None] + idx[None, :]) % 2, f32)
    masks = [board if i % 2 else 1 - board for i in range(layers)]
    keys = jax.random.split(jax.random.PRNGKey(0), layers * 3)

    def conv_init(key, n_in, n_out):
        # PyTorch's default Conv2d init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = n_in * 9.
        k1, k2 = jax.random.split(key)
        lim = 1 / math.sqrt(n_in * 9)
        return {"w": jax.random.uniform(k1, (3, 3, n_in, n_out), f32, -lim, lim), "b": jax.random.uniform(k2, (n_out,), f32, -lim, lim)}

    params = [[conv_init(keys[3 * l + i], chans[i], chans[i + 1]) for i in range(3)] for l in range(layers)]

    def conv(q, x):
        x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")  # circular padding
        return jax.lax.conv_general_dilated(x, q["w"], (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")) + q["b"]

    def action(phi, m2=-4.0, lam=8.0):
        kinetic = 0
        for mu in (1, 2):
            kinetic = kinetic + phi * (2 * phi - jnp.roll(phi, -1, mu) - jnp.roll(phi, 1, mu))
        return (kinetic + m2 * phi ** 2 + lam * phi ** 4).sum(axis=(1, 2))

    def loss(p, z, key):
        logq = -0.5 * (z ** 2).sum(axis=(1, 2)) - 0.5 * L * L * math.log(2 * math.pi)
        x = z
        for mask, net in zip(masks, p):
            frozen = mask * x
            h = frozen[..., None]
            h = jax.nn.leaky_relu(conv(net[0], h), 0.01)
            h = jax.nn.leaky_relu(conv(net[1], h), 0.01)
            h = jnp.tanh(conv(net[2], h))
            s, t = h[..., 0], h[..., 1]
            active = 1 - mask
            x = frozen + active * (x * jnp.exp(s) + t)
            logq = logq - (active * s).sum(axis=(1, 2))
        return (logq + action(x)).mean()

    rng = np.random.default_rng(3)
    return batch, lambda: jnp.asarray(rng.standard_normal((batch, L, L), dtype=np.float32)), jax_trainer(mode, params, loss, adam(1e-3, eps=1e-8))
