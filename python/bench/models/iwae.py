# The IWAE estimator of lecture 5 (Go: BenchmarkIWAE in pkg/vae): the
# report's VAE 784-256-2, 10 binary images, k = 1000 samples of q(z|x) each,
# log w = log p(x|z) + log p(z) - log q(z|x), bound = logsumexp_k(log w) - log k.
# Items are importance samples (decodings).


@workload("iwae", modes=("eval",), unit="samples")
def iwae_workload(mode):
    if mode != "eval":
        raise SystemExit(f"bench peers: iwae has only the eval mode, not {mode!r}")
    m = VAE()
    m.eval()
    images, k = 10, 1000
    half_log_2pi = 0.5 * math.log(2 * math.pi)

    @compiled
    def bound(x):
        with torch.no_grad():
            h = F.relu(m.enc(x))
            mean, log_var = m.mean(h), m.log_var(h)
            eps = torch.randn(k, images, 2)
            z = mean + torch.exp(0.5 * log_var) * eps  # [k, images, 2]
            logits = m.out(F.relu(m.dec(z.reshape(k * images, 2)))).reshape(k, images, 784)
            log_pxz = -F.binary_cross_entropy_with_logits(logits, x.expand(k, images, 784), reduction="none").sum(-1)
            log_pz = -0.5 * z.pow(2).sum(-1) - 2 * half_log_2pi
            log_qz = -0.5 * (eps.pow(2) + log_var).sum(-1) - 2 * half_log_2pi
            return (torch.logsumexp(log_pxz + log_pz - log_qz, 0) - math.log(k)).mean()

    def step(x):
        return bound(x).item()

    return images * k, lambda: (torch.rand(images, 784) < 0.2).float(), step


@workload("iwae", modes=("eval",), unit="samples", framework="jax")
def iwae_jax_workload(mode):
    if mode != "eval":
        raise SystemExit(f"bench peers: iwae has only the eval mode, not {mode!r}")
    p = vae_jax_init(jax.random.PRNGKey(0))
    images, k = 10, 1000
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    state = {"key": jax.random.PRNGKey(1)}

    @jax.jit
    def bound(x, key):
        key, sub = jax.random.split(key)
        mean, log_var = vae_jax_encode(p, x)
        eps = jax.random.normal(sub, (k, images, 2), f32)
        z = mean + jnp.exp(0.5 * log_var) * eps
        logits = vae_jax_logits(p, z.reshape(k * images, 2)).reshape(k, images, 784)
        log_pxz = -bce_with_logits(logits, x[None]).sum(-1)
        log_pz = -0.5 * (z ** 2).sum(-1) - 2 * half_log_2pi
        log_qz = -0.5 * (eps ** 2 + log_var).sum(-1) - 2 * half_log_2pi
        return key, (jax.nn.logsumexp(log_pxz + log_pz - log_qz, 0) - math.log(k)).mean()

    def step(x):
        state["key"], b = bound(x, state["key"])
        return float(b)

    return images * k, lambda: (np_rand(images, 784) < 0.2).astype(f32), step
