# The VAE of the project report (lecture 5): 784-256-2, batch 128,
# Adam(lr 1e-3), 784*BCE + 1*KL. Go: BenchmarkVAE in pkg/vae.


class VAE(nn.Module):
    def __init__(self, inputs=784, hidden=256, latent=2, kl=1.0):
        super().__init__()
        self.kl = kl
        self.enc = glorot(nn.Linear(inputs, hidden))
        self.mean = glorot(nn.Linear(hidden, latent))
        self.log_var = glorot(nn.Linear(hidden, latent))
        self.dec = glorot(nn.Linear(latent, hidden))
        self.out = glorot(nn.Linear(hidden, inputs))

    def loss(self, x):
        h = F.relu(self.enc(x))
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        logits = self.out(F.relu(self.dec(z)))
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        kl = (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(1)).mean()
        return rec + self.kl * kl


@workload("vae")
def vae_workload(mode):
    m = VAE()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    batch = 128
    return batch, lambda: torch.rand(batch, 784), trainer_steps(mode, m, opt, m.loss)


def vae_jax_init(key, inputs=784, hidden=256, latent=2):
    k = jax.random.split(key, 5)
    return {"enc": jax_glorot(k[0], inputs, hidden), "mean": jax_glorot(k[1], hidden, latent),
            "log_var": jax_glorot(k[2], hidden, latent), "dec": jax_glorot(k[3], latent, hidden),
            "out": jax_glorot(k[4], hidden, inputs)}


def vae_jax_encode(p, x):
    h = jax.nn.relu(jax_dense(p["enc"], x))
    return jax_dense(p["mean"], h), jax_dense(p["log_var"], h)


def vae_jax_logits(p, z):
    return jax_dense(p["out"], jax.nn.relu(jax_dense(p["dec"], z)))


def bce_with_logits(logits, x):
    return jnp.maximum(logits, 0) - logits * x + jnp.log1p(jnp.exp(-jnp.abs(logits)))


@workload("vae", framework="jax")
def vae_jax_workload(mode):
    batch = 128

    def loss(p, x, key):
        mean, log_var = vae_jax_encode(p, x)
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape, f32)
        rec = bce_with_logits(vae_jax_logits(p, z), x).sum(1).mean()
        kl = (-0.5 * (1 + log_var - mean ** 2 - jnp.exp(log_var)).sum(1)).mean()
        return rec + kl

    return batch, lambda: np_rand(batch, 784), jax_trainer(mode, vae_jax_init(jax.random.PRNGKey(0)), loss, adam(1e-3, eps=1e-7))
