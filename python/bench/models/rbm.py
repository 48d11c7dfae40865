# Lecture 4's RBM trained by contrastive divergence, as notebook 04 runs it
# (pkg/rbm's Trainer with Method CD, K 1): 784x500, batch 64 binarised by
# sampling, one Gibbs step from the data, SGD(lr 0.1) on
# mean F(v) - mean F(v1), and the one-step reconstruction error the lecture
# tracks. Samples are drawn as (uniform < p), as GoMLX does. Go: BenchmarkRBM
# in pkg/rbm.


def rbm_free_energy(v, W, b, c):
    return -v @ b - F.softplus(v @ W + c).sum(1)


class CDRBM(nn.Module):
    def __init__(self, visible=784, hidden=500):
        super().__init__()
        self.W = nn.Parameter(torch.randn(visible, hidden) * 1e-2)
        self.b = nn.Parameter(torch.zeros(visible))
        self.c = nn.Parameter(torch.zeros(hidden))

    def loss(self, images):
        """The surrogate loss and the reconstruction error."""
        sample = lambda p: (torch.rand_like(p) < p).float()
        v = sample(images)
        with torch.no_grad():
            h = sample(torch.sigmoid(v @ self.W + self.c))
            mean1 = torch.sigmoid(h @ self.W.t() + self.b)
            v1 = sample(mean1)
            recon = ((v - mean1) ** 2).sum(1).mean()
        return rbm_free_energy(v, self.W, self.b, self.c).mean() - rbm_free_energy(v1, self.W, self.b, self.c).mean(), recon


@workload("rbm", modes=("train",))
def rbm_workload(mode):
    if mode != "train":
        raise SystemExit(f"bench peers: rbm has only the mode train, not {mode!r}")
    m = CDRBM()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    batch = 64
    loss = compiled(m.loss)

    def step(x):
        opt.zero_grad(set_to_none=True)
        l, recon = loss(x)
        l.backward()
        opt.step()
        return l.item() + 0 * recon.item()  # both read back, as rbm.Trainer.Step does

    return batch, lambda: torch.rand(batch, 784), step


def rbm_jax_init(key, visible=784, hidden=500):
    return {"W": 0.01 * jax.random.normal(key, (visible, hidden), f32),
            "b": jnp.zeros(visible, f32), "c": jnp.zeros(hidden, f32)}


def rbm_jax_free_energy(p, v):
    return -v @ p["b"] - jax.nn.softplus(v @ p["W"] + p["c"]).sum(1)


def rbm_jax_gibbs(p, v, key):
    """One block Gibbs step without gradient: (v1, mean1)."""
    p = jax.lax.stop_gradient(p)
    k1, k2 = jax.random.split(key)
    h = (jax.random.uniform(k1, (v.shape[0], p["c"].shape[0]), f32) < jax.nn.sigmoid(v @ p["W"] + p["c"])).astype(f32)
    mean1 = jax.nn.sigmoid(h @ p["W"].T + p["b"])
    return (jax.random.uniform(k2, mean1.shape, f32) < mean1).astype(f32), mean1


@workload("rbm", modes=("train",), framework="jax")
def rbm_jax_workload(mode):
    batch = 64

    def loss(p, images, key):
        k0, k1 = jax.random.split(key)
        v = (jax.random.uniform(k0, images.shape, f32) < images).astype(f32)
        v1, mean1 = rbm_jax_gibbs(p, v, k1)
        recon = ((v - mean1) ** 2).sum(1).mean()
        return rbm_jax_free_energy(p, v).mean() - rbm_jax_free_energy(p, v1).mean(), jax.lax.stop_gradient(recon)

    return batch, lambda: np_rand(batch, 784), jax_trainer(mode, rbm_jax_init(jax.random.PRNGKey(1)), loss, sgd(0.1), has_aux=True)
