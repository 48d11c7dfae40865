package gan

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/rng"
)

// gaussianData returns n points of N(mean, I).
func gaussianData(n int, mean [2]float64, seed uint64) [][2]float64 {
	r := rng.New(seed, 1)
	xy := make([][2]float64, n)
	for i := range xy {
		xy[i] = [2]float64{mean[0] + r.Normal(), mean[1] + r.Normal()}
	}
	return xy
}

// TestFirstAdamStep checks one step of the critic against a hand computation:
// a linear critic v = x·w + c, the GAN loss mean softplus(−v_real) +
// mean softplus(v_fake), whose gradient is
// −mean σ(−v_real)·x_real + mean σ(v_fake)·x_fake (and the same without x
// for c), and Adam's first step θ − lr·g/(|g| + ε).
func TestFirstAdamStep(t *testing.T) {
	b := goBackend(t)
	cfg := Config{Divergence: GAN, FixedGenerator: &Affine{A: [][2]float64{{1, 0}, {0, 1}}, B: [2]float64{-1, 0}},
		Batch: 8, LRDiscriminator: 0.01, Seed: 3, Data: gaussianData(100, [2]float64{1, 0}, 1)}
	tr, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w0 := append([]float32(nil), tr.disc.flat()...) // w₁, w₂, c
	if _, _, err := tr.Step(); err != nil {
		t.Fatal(err)
	}
	real, z := tr.realBuf, tr.noiseBuf
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	var g [3]float64
	for i := range 8 {
		xr := [2]float64{float64(real[2*i]), float64(real[2*i+1])}
		xf := [2]float64{float64(z[2*i]) - 1, float64(z[2*i+1])} // G(z) = z + (−1, 0)
		vr := xr[0]*float64(w0[0]) + xr[1]*float64(w0[1]) + float64(w0[2])
		vf := xf[0]*float64(w0[0]) + xf[1]*float64(w0[1]) + float64(w0[2])
		for j, x := range []float64{xr[0], xr[1], 1} {
			g[j] -= sig(-vr) * x / 8
		}
		for j, x := range []float64{xf[0], xf[1], 1} {
			g[j] += sig(vf) * x / 8
		}
	}
	got := stateValues(t, tr, stDisc)
	for j := range 3 {
		want := float64(w0[j]) - 0.01*g[j]/(math.Abs(g[j])+1e-8)
		if math.Abs(got[j]-want) > 1e-6 {
			t.Errorf("weight %d after one step: %.7f, want %.7f (gradient %.5f)", j, got[j], want, g[j])
		}
	}
	gen := stateValues(t, tr, stGen)
	if gen[0] != 1 || gen[3] != 1 || gen[4] != -1 || gen[1] != 0 {
		t.Errorf("the fixed generator moved: %v", gen)
	}
}

func stateValues(t *testing.T, tr *Trainer, i int) []float64 {
	t.Helper()
	var out []float64
	err := tr.state[i].ConstFlatData(func(flat any) {
		for _, v := range flat.([]float32) {
			out = append(out, float64(v))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCriticLearnsTheOptimum trains a linear critic between P = N((1, 0), I)
// and a fixed generator Q = N((−1, 0), I), where log p/q = 2x₁, so that the
// optimal raw output v* is linear: 2x₁ for the GAN (D* = σ(2x₁)), 1 + 2x₁ for
// the forward KL. When the generator is the data distribution, D* = ½.
func TestCriticLearnsTheOptimum(t *testing.T) {
	b := goBackend(t)
	data := gaussianData(20000, [2]float64{1, 0}, 1)
	for _, c := range []struct {
		name    string
		d       Divergence
		shift   float64
		w1, off float64
	}{
		{"GAN", GAN, -1, 2, 0},
		{"forward KL", ForwardKL, -1, 2, 1},
		{"GAN, Q = P", GAN, 1, 0, 0},
	} {
		tr, err := New(b, Config{Divergence: c.d, FixedGenerator: &Affine{A: [][2]float64{{1, 0}, {0, 1}}, B: [2]float64{c.shift, 0}},
			Batch: 256, LRDiscriminator: 0.02, Seed: 5, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Train(600); err != nil {
			t.Fatal(err)
		}
		w := stateValues(t, tr, stDisc)
		if math.Abs(w[0]-c.w1) > 0.15 || math.Abs(w[1]) > 0.1 || math.Abs(w[2]-c.off) > 0.15 {
			t.Errorf("%s: critic v = %.3f x₁ + %.3f x₂ + %.3f, want %g x₁ + %g", c.name, w[0], w[1], w[2], c.w1, c.off)
		}
	}
}

// TestCustomLosses trains with losses given as functions: the same
// formulas as the built-in ones give the same run.
func TestCustomLosses(t *testing.T) {
	b := goBackend(t)
	data := gaussianData(500, [2]float64{0.5, 0.5}, 3)
	run := func(custom bool) []float64 {
		cfg := PostConfig(ReverseKL, Minimax, data, 2)
		if custom {
			cfg.CriticLoss = func(r, f *Node) *Node { return discriminatorLoss(ReverseKL, r, f) }
			cfg.GeneratorLossFn = func(f *Node) *Node { return generatorLoss(ReverseKL, Minimax, f) }
			cfg.Divergence = GAN // only names the game now
		}
		tr, err := New(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Train(20); err != nil {
			t.Fatal(err)
		}
		return tr.History.GLoss
	}
	a, c := run(false), run(true)
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("step %d: generator loss %g built in, %g as a function", i, a[i], c[i])
		}
	}
}

func TestPackingAndValidation(t *testing.T) {
	b := goBackend(t)
	data := gaussianData(500, [2]float64{0, 0}, 2)
	cfg := Config{Divergence: GAN, GeneratorLoss: NonSaturating, Generator: Net{Hidden: []int{8}, Activation: "relu"},
		Discriminator: Net{Hidden: []int{8}, Activation: "maxout", Maxout: 3}, NoiseDim: 2, Noise: Normal, Pack: 3,
		Batch: 5, LRDiscriminator: 1e-3, LRGenerator: 1e-3, Seed: 1, Data: data, SnapshotEvery: 4, SnapshotSize: 7}
	tr, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(10); err != nil {
		t.Fatal(err)
	}
	h := tr.History
	if len(h.DLoss) != 10 || len(h.Snapshots) != 4 || h.SnapshotSteps[3] != 10 || len(h.Snapshots[1]) != 7 {
		t.Errorf("history: %d losses, snapshots at %v", len(h.DLoss), h.SnapshotSteps)
	}
	if v, err := tr.Critic([][2]float64{{0, 0}, {1, 1}}); err != nil || len(v) != 2 {
		t.Errorf("packed critic: %v, %v", v, err)
	}
	if _, err := tr.Bound(10, 1); err == nil {
		t.Error("Bound with packing gave no error")
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Divergence = Divergence{} },
		func(c *Config) { c.Data = nil },
		func(c *Config) { c.Discriminator.Activation = "swish" },
		func(c *Config) { c.Discriminator.Output = "sigmoid" },
		func(c *Config) { c.Batch = 0 },
	} {
		c := cfg
		bad(&c)
		if _, err := New(b, c); err == nil {
			t.Errorf("no error for %+v", c)
		}
	}
}
