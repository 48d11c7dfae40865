package models

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// smallRBM returns a store holding an RBM of 4 visible and 3 hidden units
// with weights and biases large enough to matter, and those values.
func smallRBM(rng *rand.Rand) (*model.Store, RBM, [][]float64, []float64, []float64) {
	r := RBM{Visible: 4, Hidden: 3}
	w := make([][]float64, r.Visible)
	flatW := make([]float32, 0, r.Visible*r.Hidden)
	for i := range w {
		w[i] = make([]float64, r.Hidden)
		for j := range w[i] {
			w[i][j] = float64(float32(rng.NormFloat64()))
			flatW = append(flatW, float32(w[i][j]))
		}
	}
	vec := func(n int) ([]float64, []float32) {
		v64, v32 := make([]float64, n), make([]float32, n)
		for i := range v64 {
			v32[i] = float32(rng.NormFloat64())
			v64[i] = float64(v32[i])
		}
		return v64, v32
	}
	b, b32 := vec(r.Visible)
	c, c32 := vec(r.Hidden)
	store := model.NewStore()
	store.VariableWithValue("/rbm/weights", tensors.FromFlatDataAndDimensions(flatW, r.Visible, r.Hidden))
	store.VariableWithValue("/rbm/visible_bias", b32)
	store.VariableWithValue("/rbm/hidden_bias", c32)
	return store, r, w, b, c
}

// TestFreeEnergyBruteForce compares F(v) with −log Σ_h exp(−E(v, h)) summed
// over all 2³ hidden states, and its gradient with the closed form
// ∂F/∂W = −v·σ(c + v·W)ᵀ, ∂F/∂b = −v, ∂F/∂c = −σ(c + v·W).
func TestFreeEnergyBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	visible := [][]float32{{0, 0, 0, 0}, {1, 0, 1, 1}, {1, 1, 1, 1}}
	flat := make([]float32, 0, 12)
	for _, v := range visible {
		flat = append(flat, v...)
	}
	for _, be := range testBackends(t) {
		store, r, w, b, c := smallRBM(rng)
		out, err := model.CallOnceN(be.Backend, store, func(scope *model.Scope, v *Node) []*Node {
			f := r.FreeEnergy(scope, v)
			return append([]*Node{f}, scope.BuildTrainableVariablesGradientsGraph(ReduceAllSum(f))...)
		}, tensors.FromFlatDataAndDimensions(flat, len(visible), 4))
		if err != nil {
			t.Fatal(err)
		}
		free := tensors.MustCopyFlatData[float32](out[0])
		gradW, gradB, gradC := tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2]), tensors.MustCopyFlatData[float32](out[3])
		wantGradW := make([]float64, 12)
		wantGradB := make([]float64, 4)
		wantGradC := make([]float64, 3)
		for n, v := range visible {
			sum := 0.0
			for h := range 1 << r.Hidden {
				minusEnergy := 0.0
				for i := range r.Visible {
					minusEnergy += b[i] * float64(v[i])
				}
				for j := range r.Hidden {
					if h>>j&1 == 1 {
						minusEnergy += c[j]
						for i := range r.Visible {
							minusEnergy += float64(v[i]) * w[i][j]
						}
					}
				}
				sum += math.Exp(minusEnergy)
			}
			if want := -math.Log(sum); math.Abs(float64(free[n])-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: F(%v) = %g, want %g", be.Name, v, free[n], want)
			}
			for j := range r.Hidden {
				in := c[j]
				for i := range r.Visible {
					in += float64(v[i]) * w[i][j]
				}
				p := 1 / (1 + math.Exp(-in))
				wantGradC[j] -= p
				for i := range r.Visible {
					wantGradW[i*r.Hidden+j] -= float64(v[i]) * p
				}
			}
			for i := range r.Visible {
				wantGradB[i] -= float64(v[i])
			}
		}
		for name, pair := range map[string][2]any{"W": {gradW, wantGradW}, "b": {gradB, wantGradB}, "c": {gradC, wantGradC}} {
			got, want := pair[0].([]float32), pair[1].([]float64)
			for i := range want {
				if math.Abs(float64(got[i])-want[i]) > 1e-5 {
					t.Errorf("%s: ∂ΣF/∂%s[%d] = %g, want %g", be.Name, name, i, got[i], want[i])
				}
			}
		}
	}
}

// TestRBMTrains trains CD-1 with the seed's SGD on two 16-pixel patterns and
// checks that one Gibbs step then reconstructs them.
func TestRBMTrains(t *testing.T) {
	patterns := [][]float32{
		{1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0},
		{0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1},
	}
	const batch = 20
	x := make([]float32, 0, batch*16)
	for i := range batch {
		x = append(x, patterns[i%2]...)
	}
	r := RBM{Visible: 16, Hidden: 8}
	for _, b := range testBackends(t) {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(11))
		sgd := optimizer.StochasticGradientDescent().WithLearningRate(0.1).WithDecay(false).Done()
		trainer := train.NewTrainer(b.Backend, store, r.Train, nil, sgd, nil, nil)
		for range 300 {
			if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, batch, 16)}}); err != nil {
				t.Fatal(err)
			}
		}
		recon, err := model.CallOnce(b.Backend, store, r.Reconstruct, tensors.FromFlatDataAndDimensions(x, batch, 16))
		if err != nil {
			t.Fatal(err)
		}
		p := tensors.MustCopyFlatData[float32](recon)
		worst := 0.0
		for i := range p {
			worst = math.Max(worst, math.Abs(float64(p[i]-x[i])))
		}
		if worst > 0.3 {
			t.Errorf("%s: after 300 CD-1 steps a reconstruction is off by %.2f, want < 0.3", b.Name, worst)
		}
	}
}
