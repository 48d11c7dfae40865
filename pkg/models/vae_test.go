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

func TestKLToStandardNormal(t *testing.T) {
	// Rows of (mean, variance) pairs for two latent dimensions.
	rows := [][4]float64{{0, 1, 0, 1}, {1, 1, 0, 1}, {0, math.E, -2, 0.25}, {3, 0.01, 0.5, 4}}
	var means, logVars []float32
	var want []float64
	for _, r := range rows {
		kl := 0.0
		for k := 0; k < 4; k += 2 {
			mu, variance := r[k], r[k+1]
			means = append(means, float32(mu))
			logVars = append(logVars, float32(math.Log(variance)))
			// KL(N(μ, σ²) ‖ N(0, 1)) = log(1/σ) + (σ² + μ²)/2 − ½.
			kl += math.Log(1/math.Sqrt(variance)) + (variance+mu*mu)/2 - 0.5
		}
		want = append(want, kl)
	}
	for _, b := range testBackends(t) {
		got := tensors.MustCopyFlatData[float32](MustExecOnce(b.Backend, KLToStandardNormal,
			tensors.FromFlatDataAndDimensions(means, len(rows), 2), tensors.FromFlatDataAndDimensions(logVars, len(rows), 2)))
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-5*math.Max(1, want[i]) {
				t.Errorf("%s: KL of row %v = %g, want %g", b.Name, rows[i], got[i], want[i])
			}
		}
	}
}

func TestBinaryCrossEntropySum(t *testing.T) {
	xs := []float32{1, 0, 0.3, 1, 0, 1}
	logits := []float32{2, 2, -0.5, 100, -100, -100}
	var want [2]float64
	for i := range xs {
		x, l := float64(xs[i]), float64(logits[i])
		p := 1 / (1 + math.Exp(-l))
		var nll float64
		switch { // −x·log p − (1−x)·log(1−p), with the limits where p rounds to 0 or 1
		case l > 30:
			nll = (1 - x) * l
		case l < -30:
			nll = -x * l
		default:
			nll = -x*math.Log(p) - (1-x)*math.Log(1-p)
		}
		want[i/3] += nll
	}
	for _, b := range testBackends(t) {
		got := tensors.MustCopyFlatData[float32](MustExecOnce(b.Backend, BinaryCrossEntropySum,
			tensors.FromFlatDataAndDimensions(xs, 2, 3), tensors.FromFlatDataAndDimensions(logits, 2, 3)))
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-5*math.Max(1, want[i]) {
				t.Errorf("%s: row %d: got %g, want %g", b.Name, i, got[i], want[i])
			}
		}
	}
}

// TestVAEPass checks the pass's loss terms against its own means, variances
// and logits, and that z is distributed as N(mean, exp(logVar)): the same
// image repeated n times gives n independent samples.
func TestVAEPass(t *testing.T) {
	const n = 4000
	vae := VAE{Inputs: 6, Hidden: 5, Latent: 2, KL: 1}
	image := []float32{0, 0.2, 1, 1, 0.5, 0}
	x := make([]float32, 0, n*len(image))
	for range n {
		x = append(x, image...)
	}
	for _, b := range testBackends(t) {
		store := model.NewStore()
		out, err := model.CallOnceN(b.Backend, store, func(scope *model.Scope, x *Node) []*Node {
			p := vae.Pass(scope, x)
			return []*Node{p.Mean, p.LogVar, p.Z, p.Logits, p.Reconstruction, p.KL}
		}, tensors.FromFlatDataAndDimensions(x, n, len(image)))
		if err != nil {
			t.Fatal(err)
		}
		mean, logVar, z := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2])
		logits := tensors.MustCopyFlatData[float32](out[3])
		rec, kl := tensors.ToScalar[float32](out[4]), tensors.ToScalar[float32](out[5])

		wantKL := 0.0
		for k := range 2 {
			wantKL += 0.5 * (float64(mean[k]*mean[k]) + math.Exp(float64(logVar[k])) - 1 - float64(logVar[k]))
		}
		if math.Abs(float64(kl)-wantKL) > 1e-4*math.Max(1, wantKL) {
			t.Errorf("%s: KL = %g, want %g from the pass's mean and log-variance", b.Name, kl, wantKL)
		}
		wantRec := 0.0
		for i := range n * len(image) {
			l, xi := float64(logits[i]), float64(x[i])
			wantRec += math.Log1p(math.Exp(l)) - xi*l
		}
		wantRec /= n
		if math.Abs(float64(rec)-wantRec) > 1e-4*wantRec {
			t.Errorf("%s: reconstruction term = %g, want %g from the pass's logits", b.Name, rec, wantRec)
		}
		for k := range 2 {
			sum, sumSq := 0.0, 0.0
			for i := range n {
				d := float64(z[2*i+k] - mean[2*i+k])
				sum += d
				sumSq += d * d
			}
			sd := math.Exp(float64(logVar[k]) / 2)
			gotMean, gotVar := sum/n, sumSq/n-(sum/n)*(sum/n)
			// 5 standard errors: ≈ 1 in 10⁶ false alarms per check.
			if math.Abs(gotMean) > 5*sd/math.Sqrt(n) || math.Abs(gotVar-sd*sd) > 5*sd*sd*math.Sqrt(2.0/n) {
				t.Errorf("%s: z_%d − mean has mean %g and variance %g, want 0 and exp(logVar) = %g", b.Name, k, gotMean, gotVar, sd*sd)
			}
		}
	}
}

// TestVAETrains checks that the model function trains: the loss on a small
// fixed batch falls well below its start within a few dozen Adam steps.
func TestVAETrains(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 32*SeedVAE().Inputs)
	for i := range x {
		if rng.Float32() < 0.2 {
			x[i] = 1
		}
	}
	for _, b := range testBackends(t) {
		store := model.NewStore()
		trainer := train.NewTrainer(b.Backend, store, SeedVAE().Train, nil, optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
		var first, last float32
		for step := range 40 {
			m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, 32, SeedVAE().Inputs)}})
			if err != nil {
				t.Fatal(err)
			}
			if step == 0 {
				first = tensors.ToScalar[float32](m[0])
			}
			last = tensors.ToScalar[float32](m[0])
		}
		// The batch is noise with 20% of pixels on: the loss starts near
		// 784·log 2 ≈ 543 and cannot go much below the entropy 784·H(0.2) ≈ 392.
		if !(last < 0.8*first) {
			t.Errorf("%s: loss went from %g to %g in 40 steps, want it to fall by 20%%", b.Name, first, last)
		}
	}
}
