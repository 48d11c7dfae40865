package vae

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/testbackends"
)

// TestVAEPass checks the pass's loss terms against its own means, variances
// and logits, and that z is distributed as N(mean, exp(logVar)): the same
// image repeated n times gives n independent samples.
func TestVAEPass(t *testing.T) {
	const n = 4000
	net := VAE{Inputs: 6, Hidden: 5, Latent: 2, KL: 1}
	image := []float32{0, 0.2, 1, 1, 0.5, 0}
	x := make([]float32, 0, n*len(image))
	for range n {
		x = append(x, image...)
	}
	for _, b := range testbackends.List(t) {
		store := model.NewStore()
		out, err := model.CallOnceN(b.Backend, store, func(scope *model.Scope, x *Node) []*Node {
			p := net.Pass(scope, x)
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
