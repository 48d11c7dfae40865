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
