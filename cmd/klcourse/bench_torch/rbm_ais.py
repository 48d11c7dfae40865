# Annealed importance sampling of lecture 4's 784x500 RBM (Salakhutdinov &
# Murray 2008): one step advances 100 chains through 25 inverse temperatures,
# as one call of rbm.AIS's stepper does (the paper's 14 500 take 580 steps). Each temperature: x = vW + c, the
# log-weights gain sum_j softplus(beta x_j) - softplus(beta' x_j) +
# (beta - beta') (b - b_A).v in float64, then one Gibbs sweep at beta in
# float32. Go: BenchmarkAIS in pkg/rbm (rbm.AIS). The unit is chain-temps:
# chains x temperatures per second.


@workload("rbm-ais", modes=("eval",), unit="chain-temps")
def rbm_ais_workload(mode):
    if mode != "eval":
        raise SystemExit(f"bench_torch: rbm-ais has only the mode eval, got {mode!r}")
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

    @torch.no_grad()
    def step(chunk):
        v, logw = state["v"], state["logw"]
        for t in range(1, per + 1):
            bt, bp = chunk[t], chunk[t - 1]
            x = v @ W + c
            x64 = x.double()
            logw = logw + (F.softplus(bt * x64) - F.softplus(bp * x64)).sum(1) + (v.double() @ dB) * (bt - bp)
            btf = float(bt)
            h = (torch.rand_like(x) < torch.sigmoid(btf * x)).float()
            p = torch.sigmoid((1 - btf) * bA + btf * (h @ W.t() + b))
            v = (torch.rand_like(p) < p).float()
        state["v"], state["logw"] = v, logw
        return float(logw.sum())

    return chains * per, make_input, step
