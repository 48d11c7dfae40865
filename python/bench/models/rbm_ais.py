# Annealed importance sampling of lecture 4's 784x500 RBM (Salakhutdinov &
# Murray 2008): one step advances 100 chains through 25 inverse temperatures,
# as one call of rbm.AIS's stepper does (the paper's 14 500 take 580 steps).
# Each temperature: x = vW + c, the log-weights gain
# sum_j softplus(beta x_j) - softplus(beta' x_j) + (beta - beta') (b - b_A).v,
# the hidden part computed as rbm.AIS does: r = log1p(y) with
# y = sigmoid(beta x) expm1(-(beta - beta') x) where |(beta - beta') x| < 0.5,
# the softplus difference itself elsewhere, in float32 (each framework's own
# expm1 and log1p; GoMLX's graph uses 2 tanh(z/2) / (1 - tanh(z/2)) and
# Goldberg's log(u) y / (u - 1), ONNX having neither), summed in float64 into
# the float64 log w; then one Gibbs sweep at beta in float32 that reuses
# sigmoid(beta x). Go: BenchmarkAIS in pkg/rbm (rbm.AIS). The unit is
# chain-temps: chains x temperatures per second.


@workload("rbm-ais", modes=("eval",), unit="chain-temps")
def rbm_ais_workload(mode):
    if mode != "eval":
        raise SystemExit(f"bench peers: rbm-ais has only the mode eval, got {mode!r}")
    V, H, chains, per = 784, 500, 100, 25
    W, b, c = torch.randn(V, H) * 0.01, torch.randn(V) * 0.01, torch.randn(H) * 0.01
    bA = torch.zeros(V)
    dB = (b - bA).double()
    state = {"v": (torch.rand(chains, V) < 0.5).float(), "logw": torch.zeros(chains, dtype=torch.float64), "start": 0}
    betas = torch.cat([torch.linspace(0, 0.5, 501)[:-1], torch.linspace(0.5, 0.9, 4001)[:-1], torch.linspace(0.9, 1, 10001)]).double()

    def make_input():
        s = state["start"]
        state["start"] = (s + per) % (len(betas) - per - 1)
        return betas[s:s + per + 1]

    @compiled
    def advance(v, logw, chunk):
        for t in range(1, per + 1):
            bt, bp = chunk[t], chunk[t - 1]
            x = v @ W + c
            btf = bt.float()
            a = btf * x
            s = torch.sigmoid(a)
            z = -(bt - bp).float() * x
            r = torch.where(z.abs() < 0.5, torch.log1p(s * torch.expm1(z)), F.softplus(a + z) - F.softplus(a))
            logw = logw - r.double().sum(1) + (v.double() @ dB) * (bt - bp)
            h = (torch.rand_like(x) < s).float()
            p = torch.sigmoid((1 - btf) * bA + btf * (h @ W.t() + b))
            v = (torch.rand_like(p) < p).float()
        return v, logw

    @torch.no_grad()
    def step(chunk):
        state["v"], state["logw"] = advance(state["v"], state["logw"], chunk)
        return float(state["logw"].sum())

    return chains * per, make_input, step


@workload("rbm-ais", modes=("eval",), unit="chain-temps", framework="jax")
def rbm_ais_jax_workload(mode):
    if mode != "eval":
        raise SystemExit(f"bench peers: rbm-ais has only the mode eval, got {mode!r}")
    V, H, chains, per = 784, 500, 100, 25
    k = jax.random.split(jax.random.PRNGKey(0), 4)
    W, b, c = (0.01 * jax.random.normal(k[0], (V, H), f32), 0.01 * jax.random.normal(k[1], (V,), f32),
               0.01 * jax.random.normal(k[2], (H,), f32))
    bA = jnp.zeros(V, f32)
    dB = (b - bA).astype(jnp.float64)
    betas = np.concatenate([np.linspace(0, 0.5, 501)[:-1], np.linspace(0.5, 0.9, 4001)[:-1], np.linspace(0.9, 1, 10001)])
    state = {"v": (jax.random.uniform(k[3], (chains, V), f32) < 0.5).astype(f32), "logw": jnp.zeros(chains, jnp.float64),
             "key": jax.random.PRNGKey(1), "start": 0}

    @jax.jit
    def advance(v, logw, key, chunk):
        def temp(carry, t):
            v, logw, key = carry
            key, k1, k2 = jax.random.split(key, 3)
            bt, bp = chunk[t], chunk[t - 1]
            x = v @ W + c
            btf = bt.astype(f32)
            a = btf * x
            s = jax.nn.sigmoid(a)
            z = -(bt - bp).astype(f32) * x
            r = jnp.where(jnp.abs(z) < 0.5, jnp.log1p(s * jnp.expm1(z)), jax.nn.softplus(a + z) - jax.nn.softplus(a))
            logw = logw - r.astype(jnp.float64).sum(1) + (v.astype(jnp.float64) @ dB) * (bt - bp)
            h = (jax.random.uniform(k1, x.shape, f32) < s).astype(f32)
            p = jax.nn.sigmoid((1 - btf) * bA + btf * (h @ W.T + b))
            v = (jax.random.uniform(k2, p.shape, f32) < p).astype(f32)
            return (v, logw, key), None
        (v, logw, key), _ = jax.lax.scan(temp, (v, logw, key), jnp.arange(1, per + 1))
        return v, logw, key

    def make_input():
        s = state["start"]
        state["start"] = (s + per) % (len(betas) - per - 1)
        return jnp.asarray(betas[s:s + per + 1])

    def step(chunk):
        state["v"], state["logw"], state["key"] = advance(state["v"], state["logw"], state["key"], chunk)
        return float(state["logw"].sum())

    return chains * per, make_input, step
