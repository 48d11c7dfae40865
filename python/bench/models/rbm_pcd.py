# Lecture 4's RBM trained by persistent contrastive divergence: 784x500,
# PCD-1 with 64 fantasy chains, batch 64 binarised by sampling, SGD(lr 0.1) on
# mean F(v) - mean F(fantasy), and the one-step reconstruction error the
# lecture tracks. Go: BenchmarkRBMPCD in pkg/rbm (rbm.Trainer). Samples are
# drawn as (uniform < p), as GoMLX does (torch.bernoulli is several times
# slower in PyTorch 1.13 on the CPU).


class PCDRBM(nn.Module):
    def __init__(self, visible=784, hidden=500, chains=64):
        super().__init__()
        self.W = nn.Parameter(torch.randn(visible, hidden) * 1e-2)
        self.b = nn.Parameter(torch.zeros(visible))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.fantasy = (torch.rand(chains, visible) < 0.5).float()

    def free_energy(self, v):
        return -v.mv(self.b) - F.softplus(v @ self.W + self.c).sum(1)

    def loss(self, images):
        sample = lambda p: (torch.rand_like(p) < p).float()
        v = sample(images)
        with torch.no_grad():
            h = sample(torch.sigmoid(v @ self.W + self.c))
            recon = torch.sigmoid(h @ self.W.t() + self.b)
            self.recon_error = ((v - recon) ** 2).sum(1).mean().item()
            hf = sample(torch.sigmoid(self.fantasy @ self.W + self.c))
            self.fantasy = sample(torch.sigmoid(hf @ self.W.t() + self.b))
        return self.free_energy(v).mean() - self.free_energy(self.fantasy).mean()


@workload("rbm-pcd", modes=("train",))
def rbm_pcd_workload(mode):
    m = PCDRBM()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    batch = 64
    return batch, lambda: torch.rand(batch, 784), trainer_steps(mode, m, opt, m.loss)


@workload("rbm-pcd", modes=("train",), framework="jax")
def rbm_pcd_jax_workload(mode):
    if mode != "train":
        raise SystemExit(f"bench peers: rbm-pcd has only the mode train, not {mode!r}")
    batch, chains = 64, 64
    key = jax.random.PRNGKey(1)
    params = rbm_jax_init(key)
    init, update = sgd(0.1)
    state = {"params": params, "fantasy": (jax.random.uniform(jax.random.PRNGKey(2), (chains, 784), f32) < 0.5).astype(f32),
             "key": jax.random.PRNGKey(3)}

    def loss(p, v, fantasy1):
        return rbm_jax_free_energy(p, v).mean() - rbm_jax_free_energy(p, fantasy1).mean()

    @jax.jit
    def train(p, fantasy, key, images):
        key, k0, k1, k2 = jax.random.split(key, 4)
        v = (jax.random.uniform(k0, images.shape, f32) < images).astype(f32)
        _, mean1 = rbm_jax_gibbs(p, v, k1)
        recon = ((v - mean1) ** 2).sum(1).mean()
        fantasy1, _ = rbm_jax_gibbs(p, fantasy, k2)
        l, grads = jax.value_and_grad(loss)(p, v, fantasy1)
        p, _ = update(p, grads, ())
        return p, fantasy1, key, l, recon

    def step(images):
        state["params"], state["fantasy"], state["key"], l, recon = train(state["params"], state["fantasy"], state["key"], images)
        return float(l) + 0 * float(recon)

    return batch, lambda: np_rand(batch, 784), step
