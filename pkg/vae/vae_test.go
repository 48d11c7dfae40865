package vae

import (
	"encoding/json"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/divergence"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// reference holds the numbers of testdata/reference.py (PyTorch).
type reference struct {
	BCE struct {
		X, Logits  [][]float64
		Value      []float64
		GradLogits [][]float64 `json:"grad_logits"`
	}
	KL struct {
		Mean       [][]float64 `json:"mean"`
		LogVar     [][]float64 `json:"logvar"`
		Value      []float64
		GradMean   [][]float64 `json:"grad_mean"`
		GradLogVar [][]float64 `json:"grad_logvar"`
	}
	LogMeanExp struct {
		A     [][]float64
		Value []float64
		Grad  [][]float64
	} `json:"logmeanexp"`
	Tiny struct {
		Inputs, Hidden, Latent int
		Weights                map[string]struct{ Weights, Biases any }
		X                      [][]float64
		Eps                    [][][]float64
		ELBO, IWAE             []float64
		LogPx                  []float64 `json:"log_px"`
	}
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func matrix(rows [][]float64) *tensors.Tensor {
	var flat []float32
	for _, r := range rows {
		for _, v := range r {
			flat = append(flat, float32(v))
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, len(rows), len(rows[0]))
}

func flat64(t *tensors.Tensor) []float64 {
	var out []float64
	for _, v := range tensors.MustCopyFlatData[float32](t) {
		out = append(out, float64(v))
	}
	return out
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) || math.IsNaN(got[i]) {
			t.Errorf("%s[%d] = %.7g, want %.7g (PyTorch)", what, i, got[i], want[i])
		}
	}
}

func TestBernoulliNLLAgainstPyTorch(t *testing.T) {
	r := loadReference(t)
	for _, b := range testbackends.List(t) {
		out := MustExecOnceN(b.Backend, func(x, l *Node) []*Node {
			v := BernoulliNLL(x, l)
			return []*Node{v, Gradient(ReduceAllSum(v), l)[0]}
		}, matrix(r.BCE.X), matrix(r.BCE.Logits))
		near(t, b.Name+": BernoulliNLL", flat64(out[0]), r.BCE.Value, 1e-5)
		near(t, b.Name+": dBernoulliNLL/dlogits", flat64(out[1]), flatten(r.BCE.GradLogits), 1e-5)
	}
}

func TestKLAgainstPyTorchAndDivergence(t *testing.T) {
	r := loadReference(t)
	mean, logVar := r.KL.Mean, r.KL.LogVar
	// pkg/divergence's closed form for one dimension, summed over dimensions.
	for i := range mean {
		want := 0.0
		for k := range mean[i] {
			kl, err := divergence.KLNormal(mean[i][k], math.Exp(logVar[i][k]/2), 0, 1, divergence.Nats)
			if err != nil {
				t.Fatal(err)
			}
			want += kl
		}
		if math.Abs(want-r.KL.Value[i]) > 1e-9*math.Max(1, want) {
			t.Fatalf("the reference disagrees with pkg/divergence: row %d: %g vs %g", i, r.KL.Value[i], want)
		}
	}
	for _, b := range testbackends.List(t) {
		out := MustExecOnceN(b.Backend, func(m, lv *Node) []*Node {
			v := KLToStandardNormal(m, lv)
			g := Gradient(ReduceAllSum(v), m, lv)
			return []*Node{v, g[0], g[1]}
		}, matrix(mean), matrix(logVar))
		near(t, b.Name+": KL", flat64(out[0]), r.KL.Value, 1e-5)
		near(t, b.Name+": dKL/dmean", flat64(out[1]), flatten(r.KL.GradMean), 1e-5)
		near(t, b.Name+": dKL/dlogvar", flat64(out[2]), flatten(r.KL.GradLogVar), 1e-5)
	}
}

func TestLogMeanExpAgainstPyTorch(t *testing.T) {
	r := loadReference(t)
	for _, b := range testbackends.List(t) {
		out := MustExecOnceN(b.Backend, func(a *Node) []*Node {
			v := graphx.LogMeanExp(a, 0)
			return []*Node{v, Gradient(ReduceAllSum(v), a)[0]}
		}, matrix(r.LogMeanExp.A))
		near(t, b.Name+": LogMeanExp", flat64(out[0]), r.LogMeanExp.Value, 1e-6)
		near(t, b.Name+": dLogMeanExp", flat64(out[1]), flatten(r.LogMeanExp.Grad), 1e-5)
	}
}

// tinyStore returns the tiny VAE of the reference with its weights in a
// new store.
func tinyStore(t *testing.T, r *reference) (VAE, *model.Store) {
	v := VAE{Inputs: r.Tiny.Inputs, Hidden: r.Tiny.Hidden, Latent: r.Tiny.Latent, KL: 1}
	store := model.NewStore()
	for path, w := range r.Tiny.Weights {
		// "encoder/hidden" is the scope encoder → hidden → dense of layers.Dense.
		part, layer := filepath.Split(path)
		scope := store.RootScope().In("%s", filepath.Clean(part)).In("%s", layer).In("dense")
		scope.VariableWithValue("weights", toFloat32(t, w.Weights))
		scope.VariableWithValue("biases", toFloat32(t, w.Biases))
	}
	return v, store
}

func toFloat32(t *testing.T, v any) *tensors.Tensor {
	switch x := v.(type) {
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].([]any); ok {
				var rows [][]float64
				for _, r := range x {
					var row []float64
					for _, e := range r.([]any) {
						row = append(row, e.(float64))
					}
					rows = append(rows, row)
				}
				return matrix(rows)
			}
		}
		var vec []float32
		for _, e := range x {
			vec = append(vec, float32(e.(float64)))
		}
		return tensors.FromFlatDataAndDimensions(vec, len(vec))
	}
	t.Fatalf("weights of type %T", v)
	return nil
}

func TestBoundsAgainstPyTorch(t *testing.T) {
	r := loadReference(t)
	var eps []float32
	for _, k := range r.Tiny.Eps {
		for _, row := range k {
			for _, e := range row {
				eps = append(eps, float32(e))
			}
		}
	}
	for _, b := range testbackends.List(t) {
		v, store := tinyStore(t, r)
		out, err := model.CallOnceN(b.Backend, store, func(scope *model.Scope, x, e *Node) []*Node {
			elbo, iwae := BoundsFromNoise(scope, v, x, e)
			return []*Node{elbo, iwae}
		}, matrix(r.Tiny.X), tensors.FromFlatDataAndDimensions(eps, len(r.Tiny.Eps), len(r.Tiny.X), v.Latent))
		if err != nil {
			t.Fatal(err)
		}
		near(t, b.Name+": ELBO", flat64(out[0]), r.Tiny.ELBO, 1e-5)
		near(t, b.Name+": IWAE", flat64(out[1]), r.Tiny.IWAE, 1e-5)
	}
}

// binaryImages turns 0/1 rows into a data set of 1×d images.
func binaryImages(rows [][]float64) *datasets.Images {
	s := &datasets.Images{Name: "tiny", Height: 1, Width: len(rows[0]), Channels: 1, Classes: []string{"x"}}
	for _, r := range rows {
		for _, v := range r {
			s.Pixels = append(s.Pixels, uint8(255*v))
		}
		s.Labels = append(s.Labels, 0)
	}
	return s
}

// TestIWAEClosesOnLogLikelihood checks the estimator against log p(x) by
// quadrature: with 10⁵ samples the IWAE bound is within a few hundredths
// of a nat of it (the encoder of the tiny model is poor: for image 0 the
// ELBO is 9 nats below log p(x), and 5000 samples still miss by 0.2), the
// ELBO is below it, and the bound grows with k.
func TestIWAEClosesOnLogLikelihood(t *testing.T) {
	r := loadReference(t)
	b := testbackends.Go(t)
	v, store := tinyStore(t, r)
	store.SetParam(model.ParamInitialSeed, int64(3))
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	images := binaryImages(r.Tiny.X)
	few, err := EstimateBounds(b, store, v, images, 2, 2) // chunks of 2 and 1 images
	if err != nil {
		t.Fatal(err)
	}
	many, err := EstimateBounds(b, store, v, images, 100000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, logPx := range r.Tiny.LogPx {
		if d := math.Abs(many.PerImageIWAE[i] - logPx); d > 0.03 {
			t.Errorf("image %d: IWAE_100000 = %.4f, log p(x) = %.4f by quadrature", i, many.PerImageIWAE[i], logPx)
		}
		if many.PerImageELBO[i] >= logPx {
			t.Errorf("image %d: ELBO %.4f ≥ log p(x) %.4f", i, many.PerImageELBO[i], logPx)
		}
	}
	if !(many.IWAE > few.IWAE && many.IWAE > many.ELBO) {
		t.Errorf("IWAE_100000 %.4f, IWAE_2 %.4f, ELBO %.4f: want the first the largest", many.IWAE, few.IWAE, many.ELBO)
	}
	if _, err := EstimateBounds(b, store, v, images, 0, 1); err == nil {
		t.Error("k = 0: no error")
	}
}

// stripes returns n 6×6 grey images of horizontal or vertical stripes
// with noise, labelled 0 and 1.
func stripes(n int, seed uint64) *datasets.Images {
	r := rng.New(seed, 0)
	s := &datasets.Images{Name: "stripes", Height: 6, Width: 6, Channels: 1, Classes: []string{"horizontal", "vertical"}}
	for i := range n {
		label := i % 2
		for y := range 6 {
			for x := range 6 {
				v := float64(y % 2)
				if label == 1 {
					v = float64(x % 2)
				}
				v = math.Min(1, math.Max(0, 0.8*v+0.2*r.Float64()))
				s.Pixels = append(s.Pixels, uint8(255*v))
			}
		}
		s.Labels = append(s.Labels, uint8(label))
	}
	return s
}

func variables(t *testing.T, store *model.Store) map[string][]float32 {
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if v.Name() == "weights" || v.Name() == "biases" {
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			out[v.Path()] = tensors.MustCopyFlatData[float32](val)
		}
	}
	return out
}

// TestSharedInitialisation checks that runs with different KL coefficients
// start from the saved weights, train reproducibly, and then differ.
func TestSharedInitialisation(t *testing.T) {
	b := testbackends.Go(t)
	data := stripes(96, 1)
	v := VAE{Inputs: 36, Hidden: 8, Latent: 2}
	cfg := fit.Config{Epochs: 3, BatchSize: 16, Seed: 11, Flatten: true}
	dir := filepath.Join(t.TempDir(), "init")
	if err := SaveInitialWeights(b, v, cfg, data, dir); err != nil {
		t.Fatal(err)
	}
	saved, _, err := fit.LoadGenerative(b, Terms(v, false), TermNames, cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	init := variables(t, saved.Store)
	if len(init) != 10 {
		t.Fatalf("the initial weights hold %d tensors, want 10 (5 dense layers)", len(init))
	}
	run := func(c float64, binarise bool) (*fit.Generative, *fit.History) {
		w := v
		w.KL = c
		other := cfg
		other.Seed = 99 // the weights come from dir, not from this seed
		g, err := NewRun(b, w, binarise, other, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := variables(t, g.Store); !reflect.DeepEqual(got, init) {
			t.Fatalf("c = %g: the run does not start from the saved weights", c)
		}
		h, err := g.Fit(data)
		if err != nil {
			t.Fatal(err)
		}
		return g, h
	}
	g0, h0 := run(0, false)
	_, h0again := run(0, false)
	g1, h1 := run(1, false)
	if !reflect.DeepEqual(h0.Loss, h0again.Loss) {
		t.Errorf("two runs with c = 0 differ: %v, %v", h0.Loss, h0again.Loss)
	}
	if reflect.DeepEqual(variables(t, g0.Store), variables(t, g1.Store)) {
		t.Error("runs with c = 0 and c = 1 end with the same weights")
	}
	for _, h := range []*fit.History{h0, h1} {
		rec := h.Metrics["reconstruction"]
		if len(rec) != 3 || rec[2] >= rec[0] {
			t.Errorf("the reconstruction term did not fall: %v", rec)
		}
	}
	// With c = 1 the loss is reconstruction + KL; with c = 0 the reconstruction alone.
	for e := range 3 {
		if d := h1.Loss[e] - h1.Metrics["reconstruction"][e] - h1.Metrics["kl"][e]; math.Abs(d) > 1e-3*h1.Loss[e] {
			t.Errorf("epoch %d: loss %g ≠ reconstruction + KL (%g + %g)", e, h1.Loss[e], h1.Metrics["reconstruction"][e], h1.Metrics["kl"][e])
		}
		if h0.Loss[e] != h0.Metrics["reconstruction"][e] {
			t.Errorf("c = 0, epoch %d: loss %g ≠ reconstruction %g", e, h0.Loss[e], h0.Metrics["reconstruction"][e])
		}
	}
	// Evaluate's KL term agrees with the per-dimension KL of the codes.
	res, err := g1.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := Encode(b, g1.Store, v, data, 40)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, kl := range codes.KLPerDim() {
		sum += kl
	}
	if math.Abs(sum-res.Metrics["kl"]) > 1e-4*math.Max(1, sum) {
		t.Errorf("Σ KLPerDim = %g, Evaluate's KL term %g", sum, res.Metrics["kl"])
	}
	if len(codes.Mean) != 96 || codes.ActiveUnits() < 0 || codes.ActiveUnits() > 2 {
		t.Errorf("codes: %d means, %d active units", len(codes.Mean), codes.ActiveUnits())
	}
	// A saved run loads with its history.
	runDir := filepath.Join(t.TempDir(), "run")
	if err := g1.Save(runDir, h1); err != nil {
		t.Fatal(err)
	}
	loaded, lh, err := fit.LoadGenerative(b, Terms(v, false), TermNames, cfg, runDir)
	if err != nil || !reflect.DeepEqual(lh.Loss, h1.Loss) || !reflect.DeepEqual(variables(t, loaded.Store), variables(t, g1.Store)) {
		t.Errorf("loading the run: err %v, history %v", err, lh)
	}
	// The binarised run trains too.
	if _, hb := run(1, true); hb.Loss[2] >= hb.Loss[0] {
		t.Errorf("binarised run: the loss did not fall: %v", hb.Loss)
	}
	if _, err := NewRun(b, v, false, cfg, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("NewRun from a missing directory: no error")
	}
}

func TestCodesStatistics(t *testing.T) {
	c := &Codes{
		Mean:   [][]float64{{1, 0}, {-1, 0}, {1, 0.01}, {-1, -0.01}},
		LogVar: [][]float64{{0, 0}, {0, 0}, {math.Log(4), 0}, {0, 0}},
	}
	// KL per dim: ½(μ² + σ² − 1 − log σ²).
	want0 := (0.5 + 0.5 + 0.5*(1+4-1-math.Log(4)) + 0.5) / 4
	want1 := (0.5 * 0.0001 * 2) / 4
	got := c.KLPerDim()
	if math.Abs(got[0]-want0) > 1e-12 || math.Abs(got[1]-want1) > 1e-12 {
		t.Errorf("KLPerDim = %v, want [%g %g]", got, want0, want1)
	}
	if a := c.MeanVariance(); math.Abs(a[0]-1) > 1e-12 || math.Abs(a[1]-0.00005) > 1e-12 {
		t.Errorf("MeanVariance = %v, want [1 5e-05]", a)
	}
	if n := c.ActiveUnits(); n != 1 {
		t.Errorf("ActiveUnits = %d, want 1", n)
	}
}

func TestGridInterpolationBinarise(t *testing.T) {
	g := Grid(3, -3, 3)
	want := [][]float64{{-3, 3}, {0, 3}, {3, 3}, {-3, 0}, {0, 0}, {3, 0}, {-3, -3}, {0, -3}, {3, -3}}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("Grid = %v", g)
	}
	if p := Interpolation([]float64{0, 2}, []float64{4, -2}, 3); !reflect.DeepEqual(p, [][]float64{{0, 2}, {2, 0}, {4, -2}}) {
		t.Errorf("Interpolation = %v", p)
	}
	img := &datasets.Images{Name: "grey", Height: 100, Width: 100, Channels: 1, Labels: []uint8{0}, Classes: []string{"x"}}
	for i := range 10000 {
		img.Pixels = append(img.Pixels, []uint8{0, 255, 64}[i%3])
	}
	bin := BinariseImages(img, 1)
	ones := [3]int{}
	for i, p := range bin.Pixels {
		if p != 0 && p != 255 {
			t.Fatalf("pixel %d = %d after binarisation", i, p)
		}
		if p == 255 {
			ones[i%3]++
		}
	}
	// 0 stays 0, 255 stays 255, 64/255 ≈ 0.251 of 3333 pixels (±5 sd).
	if ones[0] != 0 || ones[1] != 3333 || math.Abs(float64(ones[2])-3333*64.0/255) > 5*math.Sqrt(3333*0.25*0.75) {
		t.Errorf("binarised counts of ones %v", ones)
	}
	prior := PriorSamples(4000, 2, 1)
	m, s := 0.0, 0.0
	for _, z := range prior {
		m += z[0]
		s += z[1] * z[1]
	}
	if math.Abs(m/4000) > 0.08 || math.Abs(s/4000-1) > 0.12 {
		t.Errorf("prior samples: mean %g, second moment %g", m/4000, s/4000)
	}
}

// TestScatterFigure checks the latent scatter as a student reads it: ten
// colours of which no two look alike (1, 4 and 9 once did), axes fixed to the
// decoded grid's range with the means outside it counted in the title.
func TestScatterFigure(t *testing.T) {
	// CIELAB distances (ΔE*ab): about 2 is just noticeable; the Okabe–Ito
	// colours with brown added put 1, 4 and 9 at 33, 33 and 44.
	for i, a := range DigitColours {
		for j, b := range DigitColours[:i] {
			if d := deltaE(a, b); d < 25 {
				t.Errorf("digits %d and %d: colours %v and %v, ΔE %.0f", j, i, b, a, d)
			}
		}
	}
	for _, pair := range [][2]int{{1, 4}, {1, 9}, {4, 9}} {
		if d := deltaE(DigitColours[pair[0]], DigitColours[pair[1]]); d < 60 {
			t.Errorf("digits %d and %d (the classes that once looked alike): ΔE %.0f, want 60 or more", pair[0], pair[1], d)
		}
	}
	c := &Codes{Mean: [][]float64{{0, 0}, {1, -1}, {9, 0}, {-2, 2.5}}, Labels: []uint8{1, 4, 9, 1}}
	p, err := c.Scatter("means", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := GridRange(8, -3, 3)
	if p.X.Min != lo || p.X.Max != hi || p.Y.Min != lo || p.Y.Max != hi {
		t.Errorf("axes [%g, %g] × [%g, %g], want the decoded grid's [%g, %g]²", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max, lo, hi)
	}
	if !strings.Contains(p.Title.Text, "1 of 4 outside") {
		t.Errorf("title %q does not count the mean outside the grid", p.Title.Text)
	}
}

// deltaE is the CIELAB distance of two colours (sRGB, D65).
func deltaE(a, b color.Color) float64 {
	lab := func(c color.Color) [3]float64 {
		r, g, bl, _ := c.RGBA()
		lin := func(v uint32) float64 {
			u := float64(v) / 65535
			if u > 0.04045 {
				return math.Pow((u+0.055)/1.055, 2.4)
			}
			return u / 12.92
		}
		R, G, B := lin(r), lin(g), lin(bl)
		x := (0.4124*R + 0.3576*G + 0.1805*B) / 0.95047
		y := 0.2126*R + 0.7152*G + 0.0722*B
		z := (0.0193*R + 0.1192*G + 0.9505*B) / 1.08883
		f := func(t float64) float64 {
			if t > 0.008856 {
				return math.Cbrt(t)
			}
			return 7.787*t + 16.0/116
		}
		return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
	}
	p, q := lab(a), lab(b)
	return math.Sqrt((p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) + (p[2]-q[2])*(p[2]-q[2]))
}
