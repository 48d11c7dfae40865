# The GAN of lecture 6, one training step of both players: the critic's Adam
# step on softplus(-v_real) + softplus(v_fake), then the generator's on the
# non-saturating loss softplus(-v(G(z))) against the updated critic, with the
# same noise. gan_post: the blog post's networks (10 uniform noise coordinates
# -> Dense(2) -> sigmoid; critic 2-32-32-1, leaky ReLU 0.01; Adam 1e-4/5e-4),
# batch 64. gan_mlp: the mode-collapse experiment's (2-128-128-2 ReLU from 2
# normal noise coordinates; critic 2-128-128-1, leaky ReLU 0.2; Adam 1e-3,
# betas (0.5, 0.999)), batch 128. Go: BenchmarkGANPost and BenchmarkGANMLP in pkg/gan.


def gan_networks(mode):
    if mode == "post":
        g = nn.Sequential(nn.Linear(10, 2), nn.Sigmoid())
        d = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.01), nn.Linear(32, 32), nn.LeakyReLU(0.01), nn.Linear(32, 1))
        return g, d, 10, 64, (1e-4, 5e-4), (0.9, 0.999), torch.rand
    if mode == "mlp":
        g = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
        d = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))
        return g, d, 2, 128, (1e-3, 1e-3), (0.5, 0.999), torch.randn
    raise SystemExit(f"bench peers: unknown GAN {mode!r}; want post or mlp")


def gan_workload(which, mode):
    if mode != "train":
        raise SystemExit(f"bench peers: unknown mode {mode!r} for gan_{which}; want train")
    g, d, noise_dim, batch, (lr_g, lr_d), betas, noise = gan_networks(which)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=lr_d, betas=betas)

    def make_input():
        return torch.rand(batch, 2), noise(batch, noise_dim)

    critic_loss = compiled(lambda real, fake: F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean())
    generator_loss = compiled(lambda z: F.softplus(-d(g(z))).mean())

    def step(x):
        real, z = x
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = g(z)
        d_loss = critic_loss(real, fake)
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = generator_loss(z)
        g_loss.backward()
        opt_g.step()
        return d_loss.item() + g_loss.item()

    return batch, make_input, step


@workload("gan_post", modes=("train",), unit="samples")
def gan_post_workload(mode):
    return gan_workload("post", mode)


@workload("gan_mlp", modes=("train",), unit="samples")
def gan_mlp_workload(mode):
    return gan_workload("mlp", mode)


def gan_jax_workload(which, mode):
    if mode != "train":
        raise SystemExit(f"bench peers: unknown mode {mode!r} for gan_{which}; want train")
    k = jax.random.split(jax.random.PRNGKey(0), 6)
    # PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as the PyTorch peer.
    def linear(key, n_in, n_out):
        k1, k2 = jax.random.split(key)
        lim = 1 / math.sqrt(n_in)
        return {"w": jax.random.uniform(k1, (n_in, n_out), f32, -lim, lim), "b": jax.random.uniform(k2, (n_out,), f32, -lim, lim)}
    if which == "post":
        g = [linear(k[0], 10, 2)]
        d = [linear(k[1], 2, 32), linear(k[2], 32, 32), linear(k[3], 32, 1)]
        noise_dim, batch, (lr_g, lr_d), (b1, b2), slope = 10, 64, (1e-4, 5e-4), (0.9, 0.999), 0.01

        def gen(p, z):
            return jax.nn.sigmoid(jax_dense(p[0], z))
        noise = lambda key: jax.random.uniform(key, (batch, noise_dim), f32)
    else:
        g = [linear(k[0], 2, 128), linear(k[1], 128, 128), linear(k[2], 128, 2)]
        d = [linear(k[3], 2, 128), linear(k[4], 128, 128), linear(k[5], 128, 1)]
        noise_dim, batch, (lr_g, lr_d), (b1, b2), slope = 2, 128, (1e-3, 1e-3), (0.5, 0.999), 0.2

        def gen(p, z):
            return jax_dense(p[2], jax.nn.relu(jax_dense(p[1], jax.nn.relu(jax_dense(p[0], z)))))
        noise = lambda key: jax.random.normal(key, (batch, noise_dim), f32)

    def critic(p, x):
        for layer in p[:-1]:
            x = jax.nn.leaky_relu(jax_dense(layer, x), slope)
        return jax_dense(p[-1], x)

    init_g, update_g = adam(lr_g, b1, b2, eps=1e-8)
    init_d, update_d = adam(lr_d, b1, b2, eps=1e-8)

    def d_loss(dp, real, fake):
        return jax.nn.softplus(-critic(dp, real)).mean() + jax.nn.softplus(critic(dp, fake)).mean()

    def g_loss(gp, dp, z):
        return jax.nn.softplus(-critic(dp, gen(gp, z))).mean()

    @jax.jit
    def train(gp, dp, sg, sd, real, z):
        fake = jax.lax.stop_gradient(gen(gp, z))
        ld, grads = jax.value_and_grad(d_loss)(dp, real, fake)
        dp, sd = update_d(dp, grads, sd)
        lg, grads = jax.value_and_grad(g_loss)(gp, dp, z)
        gp, sg = update_g(gp, grads, sg)
        return gp, dp, sg, sd, ld + lg

    state = {"g": g, "d": d, "sg": init_g(g), "sd": init_d(d), "key": jax.random.PRNGKey(1)}

    def make_input():
        state["key"], k1, k2 = jax.random.split(state["key"], 3)
        return jax.random.uniform(k1, (batch, 2), f32), noise(k2)

    def step(x):
        state["g"], state["d"], state["sg"], state["sd"], l = train(state["g"], state["d"], state["sg"], state["sd"], *x)
        return float(l)

    return batch, make_input, step


@workload("gan_post", modes=("train",), unit="samples", framework="jax")
def gan_post_jax_workload(mode):
    return gan_jax_workload("post", mode)


@workload("gan_mlp", modes=("train",), unit="samples", framework="jax")
def gan_mlp_jax_workload(mode):
    return gan_jax_workload("mlp", mode)
