package graphx

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/testbackends"
)

func TestSoftplus(t *testing.T) {
	xs := []float32{-100, -20, -5, -0.1, 0, 0.1, 5, 20, 100}
	for _, b := range testbackends.List(t) {
		ev, err := Evaluate(b.Backend, Softplus, xs)
		if err != nil {
			t.Fatal(err)
		}
		stable, err := Evaluate(b.Backend, StableSoftplus, xs)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range xs {
			x := float64(x)
			// log(1 + eˣ) straight from its definition, in float64, with the
			// asymptotes where it over- or underflows.
			want := math.Log(1 + math.Exp(x))
			switch {
			case x > 30:
				want = x
			case x < -30:
				want = math.Exp(x)
			}
			for _, got := range []float64{ev.Value[i], stable.Value[i], Softplus64(x)} {
				if d := math.Abs(got - want); d > 1e-6*math.Max(1, math.Abs(want)) && d > 1e-40 {
					t.Errorf("%s: softplus(%g) = %g, want %g", b.Name, x, got, want)
				}
			}
			if wantSlope := 1 / (1 + math.Exp(-x)); math.Abs(ev.Gradients[0][i]-wantSlope) > 1e-6 {
				t.Errorf("%s: softplus'(%g) = %g, want σ(x) = %g", b.Name, x, ev.Gradients[0][i], wantSlope)
			}
		}
	}
}

func TestLogSumExpAndLogMeanExp(t *testing.T) {
	rows := [][]float64{{0, 0, 0}, {1, 2, 3}, {-1000, -1000, -1001}, {800, 799, -5}}
	b := testbackends.Go(t)
	for _, axis := range []int{0, 1} {
		in := rows
		if axis == 0 { // the same rows, transposed
			in = make([][]float64, 3)
			for j := range in {
				for _, r := range rows {
					in[j] = append(in[j], r[j])
				}
			}
		}
		lse, err := Evaluate(b, func(x *graph.Node) *graph.Node { return LogSumExp(x, axis) }, in)
		if err != nil {
			t.Fatal(err)
		}
		lme, err := Evaluate(b, func(x *graph.Node) *graph.Node { return LogMeanExp(x, axis) }, in)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			m := math.Max(r[0], math.Max(r[1], r[2]))
			s := 0.0
			for _, x := range r {
				s += math.Exp(x - m)
			}
			if want := m + math.Log(s); math.Abs(lse.Value[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("axis %d: log-sum-exp of %v = %.17g, want %.17g", axis, r, lse.Value[i], want)
			}
			if want := m + math.Log(s/3); math.Abs(lme.Value[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("axis %d: log-mean-exp of %v = %.17g, want %.17g", axis, r, lme.Value[i], want)
			}
		}
		// The gradient of log-sum-exp is the softmax of its row, of
		// log-mean-exp too.
		for i, r := range rows {
			m := math.Max(r[0], math.Max(r[1], r[2]))
			s := math.Exp(r[0]-m) + math.Exp(r[1]-m) + math.Exp(r[2]-m)
			for j, x := range r {
				k := 3*i + j
				if axis == 0 {
					k = 4*j + i
				}
				want := math.Exp(x-m) / s
				if math.Abs(lse.Gradients[0][k]-want) > 1e-12 || math.Abs(lme.Gradients[0][k]-want) > 1e-12 {
					t.Errorf("axis %d: gradients at %v[%d] = %g and %g, want the softmax %g", axis, r, j, lse.Gradients[0][k], lme.Gradients[0][k], want)
				}
			}
		}
	}
}

func TestNormalLogDensities(t *testing.T) {
	b := testbackends.Go(t)
	z := [][]float64{{0, 0}, {1, -2}, {0.5, 3}}
	logVar := [][]float64{{0, 0}, {math.Log(4), -1}, {2, 0.5}}
	std, err := Evaluate(b, LogStandardNormal, z)
	if err != nil {
		t.Fatal(err)
	}
	// eps [2, 3, 2]: two samples per row, logVar broadcast over the first axis.
	eps := [][][]float64{z, {{1, 1}, {-1, 0}, {0.25, -0.5}}}
	diag, err := Evaluate(b, LogDiagonalNormal, eps, logVar)
	if err != nil {
		t.Fatal(err)
	}
	logN := func(x, mean, variance float64) float64 {
		return -0.5*math.Log(2*math.Pi*variance) - (x-mean)*(x-mean)/(2*variance)
	}
	for i, r := range z {
		if want := logN(r[0], 0, 1) + logN(r[1], 0, 1); math.Abs(std.Value[i]-want) > 1e-12 {
			t.Errorf("log graph.N(%v; 0, I) = %.17g, want %.17g", r, std.Value[i], want)
		}
	}
	for s := range eps {
		for i := range z {
			// z = mean + sd·eps with mean 0: the density of z is that of a
			// normal with variance exp(logVar) at sd·eps.
			want := 0.0
			for k := range 2 {
				v := math.Exp(logVar[i][k])
				want += logN(math.Sqrt(v)*eps[s][i][k], 0, v)
			}
			if got := diag.Value[3*s+i]; math.Abs(got-want) > 1e-12 {
				t.Errorf("sample %d, row %d: log N = %.17g, want %.17g", s, i, got, want)
			}
		}
	}
}

// TestBernoulli checks the frequency of ones and that the draws come from
// the scope's generator: the same seed gives the same samples.
func TestBernoulli(t *testing.T) {
	const n = 20000
	b := testbackends.Go(t)
	p := []float32{0, 0.1, 0.5, 0.9, 1}
	probs := make([]float32, 0, n*len(p))
	for range n {
		probs = append(probs, p...)
	}
	sample := func(seed int64) []float32 {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, seed)
		out, err := model.CallOnceN(b, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
			return []*graph.Node{Bernoulli(scope, x)}
		}, tensors.FromFlatDataAndDimensions(probs, n, len(p)))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](out[0])
	}
	first, again, other := sample(1), sample(1), sample(2)
	same, differ := true, false
	for i := range first {
		same = same && first[i] == again[i]
		differ = differ || first[i] != other[i]
	}
	if !same || !differ {
		t.Errorf("seed 1 twice gives the same samples: %v; seeds 1 and 2 differ: %v", same, differ)
	}
	for j, pj := range p {
		ones := 0.0
		for i := range n {
			if v := first[i*len(p)+j]; v == 1 {
				ones++
			} else if v != 0 {
				t.Fatalf("sample %g is neither 0 nor 1", v)
			}
		}
		// 5 standard errors.
		if sd := math.Sqrt(float64(pj) * (1 - float64(pj)) / n); math.Abs(ones/n-float64(pj)) > 5*sd+1e-12 {
			t.Errorf("p = %g: frequency of ones %g", pj, ones/n)
		}
	}
}
