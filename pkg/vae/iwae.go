package vae

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// BoundsGraph returns, for each row of x [batch, Inputs], two estimates of
// log p(x) from k samples z_j = Reparameterise(mean, logVar, ε_j) of q(z|x):
//
//	elbo = (1/k) Σ_j log p(x|z_j) − KL(q(z|x) ‖ N(0, I))
//	iwae = LogMeanExp_j [log p(x|z_j) + log p(z_j) − log q(z_j|x)]
//
// elbo is an unbiased estimate of the ELBO (its KL term exact), iwae the
// k-sample importance-weighted bound; both [batch], in nats.
func BoundsGraph(scope *model.Scope, v VAE, x *Node, k int) (elbo, iwae *Node) {
	eps := scope.RandomNormal(x.Graph(), shapes.Make(x.DType(), k, x.Shape().Dimensions[0], v.Latent))
	return BoundsFromNoise(scope, v, x, eps)
}

// BoundsFromNoise is BoundsGraph with the noise given: eps [k, batch,
// Latent], standard normal.
func BoundsFromNoise(scope *model.Scope, v VAE, x, eps *Node) (elbo, iwae *Node) {
	k, batch := eps.Shape().Dimensions[0], x.Shape().Dimensions[0]
	mean, logVar := v.Encode(scope, x)
	z := Reparameterise(mean, logVar, eps)
	logits := v.DecodeLogits(scope, Reshape(z, k*batch, v.Latent))
	xs := Reshape(BroadcastToDims(InsertAxes(x, 0), k, batch, v.Inputs), k*batch, v.Inputs)
	logPxz := Reshape(Neg(BernoulliNLL(xs, logits)), k, batch)
	logW := Sub(Add(logPxz, graphx.LogStandardNormal(z)), graphx.LogDiagonalNormal(eps, logVar))
	elbo = Sub(ReduceMean(logPxz, 0), KLToStandardNormal(mean, logVar))
	return elbo, graphx.LogMeanExp(logW, 0)
}

// Bounds are a data set's mean ELBO and IWAE bound, in nats per image.
type Bounds struct {
	ELBO, IWAE float64
	K, Images  int
	// PerImage holds each image's two estimates.
	PerImageELBO, PerImageIWAE []float64
}

// EstimateBounds returns the mean over images of the ELBO and of the
// k-sample IWAE bound of the VAE v whose weights are in store, evaluating
// chunk images at a time (k·chunk decodings per call). The images are used
// as they are: binarise them first (BinariseImages) for the bound of a
// model of binary images.
func EstimateBounds(backend compute.Backend, store *model.Store, v VAE, images *datasets.Images, k, chunk int) (Bounds, error) {
	if k < 1 || chunk < 1 {
		return Bounds{}, fmt.Errorf("vae.EstimateBounds: k = %d and chunk = %d, want both ≥ 1", k, chunk)
	}
	if images.Size() != v.Inputs {
		return Bounds{}, fmt.Errorf("vae.EstimateBounds: %s has images of %d values, the VAE takes %d", images.Name, images.Size(), v.Inputs)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		e, w := BoundsGraph(scope, v, x, k)
		return []*Node{e, w}
	})
	if err != nil {
		return Bounds{}, err
	}
	defer exec.Finalize()
	b := Bounds{K: k, Images: images.Len()}
	for start := 0; start < images.Len(); start += chunk {
		n := min(chunk, images.Len()-start)
		out, err := exec.Call(ImagesTensor(images, start, n))
		if err != nil {
			return Bounds{}, fmt.Errorf("vae.EstimateBounds: images %d–%d: %w", start, start+n-1, err)
		}
		for _, e := range tensors.MustCopyFlatData[float32](out[0]) {
			b.PerImageELBO = append(b.PerImageELBO, float64(e))
			b.ELBO += float64(e)
		}
		for _, w := range tensors.MustCopyFlatData[float32](out[1]) {
			b.PerImageIWAE = append(b.PerImageIWAE, float64(w))
			b.IWAE += float64(w)
		}
	}
	b.ELBO /= float64(b.Images)
	b.IWAE /= float64(b.Images)
	return b, nil
}

// ImagesTensor returns images start … start+n−1 as float32 [n, Size()]
// with values pixel/255 in [0, 1].
func ImagesTensor(images *datasets.Images, start, n int) *tensors.Tensor {
	size := images.Size()
	data := make([]float32, n*size)
	for i, p := range images.Pixels[start*size : (start+n)*size] {
		data[i] = float32(p) / 255
	}
	return tensors.FromFlatDataAndDimensions(data, n, size)
}
