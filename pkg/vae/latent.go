package vae

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/plots"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Codes are the encoder's outputs for a data set: the mean and the
// log-variance of q(z|x) for each image, [image][latent dimension].
type Codes struct {
	Mean, LogVar [][]float64
	Labels       []uint8
}

// Encode returns the codes of every image, evaluated chunk images at a
// time.
func Encode(backend compute.Backend, store *model.Store, v VAE, images *datasets.Images, chunk int) (*Codes, error) {
	if images.Size() != v.Inputs {
		return nil, fmt.Errorf("vae.Encode: %s has images of %d values, the VAE takes %d", images.Name, images.Size(), v.Inputs)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		m, lv := v.Encode(scope, x)
		return []*Node{m, lv}
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	c := &Codes{Labels: images.Labels}
	for start := 0; start < images.Len(); start += chunk {
		n := min(chunk, images.Len()-start)
		out, err := exec.Call(ImagesTensor(images, start, n))
		if err != nil {
			return nil, fmt.Errorf("vae.Encode: %w", err)
		}
		c.Mean = append(c.Mean, rows(out[0])...)
		c.LogVar = append(c.LogVar, rows(out[1])...)
	}
	return c, nil
}

func rows(t *tensors.Tensor) [][]float64 {
	d := t.Shape().Dimensions
	flat := tensors.MustCopyFlatData[float32](t)
	out := make([][]float64, d[0])
	for i := range out {
		out[i] = make([]float64, d[1])
		for k := range d[1] {
			out[i][k] = float64(flat[i*d[1]+k])
		}
	}
	return out
}

// KLPerDim returns, for each latent dimension k, the mean over the images
// of ½(μ_k² + σ_k² − 1 − log σ_k²): the KL term split by dimension (its sum
// is the data set's mean KL term).
func (c *Codes) KLPerDim() []float64 {
	kl := make([]float64, len(c.Mean[0]))
	for i, m := range c.Mean {
		for k, mu := range m {
			lv := c.LogVar[i][k]
			kl[k] += 0.5 * (mu*mu + math.Exp(lv) - 1 - lv)
		}
	}
	for k := range kl {
		kl[k] /= float64(len(c.Mean))
	}
	return kl
}

// MeanVariance returns, for each latent dimension k, the variance over the
// images of the posterior mean μ_k(x): Burda et al.'s activity
// A_k = Cov_x(E_q[z_k]). A unit whose activity is below 0.01 is inactive:
// its code does not depend on the image.
func (c *Codes) MeanVariance() []float64 {
	d := len(c.Mean[0])
	sum, sumSq := make([]float64, d), make([]float64, d)
	for _, m := range c.Mean {
		for k, mu := range m {
			sum[k] += mu
			sumSq[k] += mu * mu
		}
	}
	n := float64(len(c.Mean))
	out := make([]float64, d)
	for k := range out {
		out[k] = sumSq[k]/n - (sum[k]/n)*(sum[k]/n)
	}
	return out
}

// ActiveUnits counts the latent dimensions whose activity (MeanVariance)
// exceeds 0.01, Burda et al.'s threshold.
func (c *Codes) ActiveUnits() int {
	n := 0
	for _, a := range c.MeanVariance() {
		if a > 0.01 {
			n++
		}
	}
	return n
}

// Decode returns the decoded images σ(ℓ(z)), [len(z)][Inputs], for the
// latent points z [n][Latent].
func Decode(backend compute.Backend, store *model.Store, v VAE, z [][]float64) ([][]float32, error) {
	flat := make([]float32, 0, len(z)*v.Latent)
	for i, p := range z {
		if len(p) != v.Latent {
			return nil, fmt.Errorf("vae.Decode: point %d has %d coordinates, the latent space %d", i, len(p), v.Latent)
		}
		for _, x := range p {
			flat = append(flat, float32(x))
		}
	}
	out, err := model.CallOnceN(backend, store, func(scope *model.Scope, z *Node) []*Node {
		return []*Node{Sigmoid(v.DecodeLogits(scope, z))}
	}, tensors.FromFlatDataAndDimensions(flat, len(z), v.Latent))
	if err != nil {
		return nil, fmt.Errorf("vae.Decode: %w", err)
	}
	values := tensors.MustCopyFlatData[float32](out[0])
	images := make([][]float32, len(z))
	for i := range images {
		images[i] = values[i*v.Inputs : (i+1)*v.Inputs]
	}
	return images, nil
}

// Grid returns the n×n points of [lo, hi]² in the seed's order: rows from
// the top (largest z[1]) down, each from the left (smallest z[0]) right —
// the layout of the decoded manifold.
func Grid(n int, lo, hi float64) [][]float64 {
	var pts [][]float64
	for i := range n {
		y := hi - (hi-lo)*float64(i)/float64(n-1)
		for j := range n {
			x := lo + (hi-lo)*float64(j)/float64(n-1)
			pts = append(pts, []float64{x, y})
		}
	}
	return pts
}

// Mosaic lays out images (each side×side grey levels in [0, 1]) in rows of
// cols as one grey image, white on black.
func Mosaic(images [][]float32, side, cols int) *image.Gray {
	rowsN := (len(images) + cols - 1) / cols
	out := image.NewGray(image.Rect(0, 0, cols*side, rowsN*side))
	for i, img := range images {
		x0, y0 := (i%cols)*side, (i/cols)*side
		for p, v := range img {
			out.SetGray(x0+p%side, y0+p/side, color.Gray{uint8(math.Round(255 * math.Min(1, math.Max(0, float64(v)))))})
		}
	}
	return out
}

// Manifold decodes the n×n grid of [lo, hi]² (a 2-D latent space) and
// returns the decoded images as one plot whose axes are z[0] and z[1], each
// digit centred on the point it decodes.
func Manifold(backend compute.Backend, store *model.Store, v VAE, title string, n int, lo, hi float64, side int) (*plot.Plot, error) {
	if v.Latent != 2 {
		return nil, fmt.Errorf("vae.Manifold: the latent space has %d dimensions, want 2", v.Latent)
	}
	if n < 2 {
		return nil, fmt.Errorf("vae.Manifold: n = %d, want at least 2", n)
	}
	decoded, err := Decode(backend, store, v, Grid(n, lo, hi))
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "z[0]", "z[1]"
	from, to := GridRange(n, lo, hi)
	p.Add(plotter.NewImage(enlarge(Mosaic(decoded, side, n), 4), from, from, to, to))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = from, to, from, to
	ticks := make([]plot.Tick, n)
	for i := range ticks {
		z := lo + (hi-lo)*float64(i)/float64(n-1)
		ticks[i] = plot.Tick{Value: z, Label: strings.Replace(fmt.Sprintf("%.1f", z), "-", "−", 1)}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(ticks), plot.ConstantTicks(ticks)
	return plots.Square(p), nil
}

// GridRange is the square that Manifold's picture of the n×n grid of
// [lo, hi]² covers: each decoded image is centred on its grid point, so the
// picture reaches half a cell beyond lo and hi.
func GridRange(n int, lo, hi float64) (from, to float64) {
	half := (hi - lo) / float64(n-1) / 2
	return lo - half, hi + half
}

// ScatterRange is the range of Scatter's axes: that of the decoded grid of
// 8×8 points on [−3, 3]² that the lecture and exercise 5 draw beside it.
var ScatterRange = func() [2]float64 { a, b := GridRange(8, -3, 3); return [2]float64{a, b} }()

func enlarge(img *image.Gray, f int) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()*f, b.Dy()*f))
	for y := range b.Dy() * f {
		for x := range b.Dx() * f {
			out.SetGray(x, y, img.GrayAt(x/f, y/f))
		}
	}
	return out
}

// DigitColours are ten distinguishable colours, one per digit
// (plots.Categorical).
var DigitColours = plots.Categorical

// Scatter returns the plot of the first two coordinates of the posterior
// means, one colour per class, with a legend naming the classes beside the
// data. Its axes are fixed to ScatterRange, the decoded grid's, and its data
// area is square, so that the two pictures of a latent space compare; the
// title says how many means fall outside.
func (c *Codes) Scatter(title string, classes []string) (*plot.Plot, error) {
	lo, hi := ScatterRange[0], ScatterRange[1]
	var sets []plots.Points
	outside := 0
	for label := range classes {
		s := plots.Points{Name: classes[label], Colour: DigitColours[label%len(DigitColours)], Radius: vg.Points(2)}
		for i, m := range c.Mean {
			if int(c.Labels[i]) != label {
				continue
			}
			if m[0] < lo || m[0] > hi || m[1] < lo || m[1] > hi {
				outside++
				continue
			}
			s.X, s.Y = append(s.X, m[0]), append(s.Y, m[1])
		}
		sets = append(sets, s)
	}
	if outside > 0 {
		title = fmt.Sprintf("%s (%d of %d outside)", title, outside, len(c.Mean))
	}
	p, err := plots.Scatter(title, "z[0]", "z[1]", sets...)
	if err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	plots.LegendOutside(p)
	return plots.Square(p), nil
}

// PriorSamples returns n points drawn from N(0, I) in dim dimensions.
func PriorSamples(n, dim int, seed uint64) [][]float64 {
	r := rng.New(seed, 0)
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, dim)
		for k := range out[i] {
			out[i][k] = r.Normal()
		}
	}
	return out
}

// Interpolation returns steps points evenly spaced on the segment from a to b,
// both ends included.
func Interpolation(a, b []float64, steps int) [][]float64 {
	out := make([][]float64, steps)
	for s := range out {
		t := float64(s) / float64(max(steps-1, 1))
		out[s] = make([]float64, len(a))
		for k := range a {
			out[s][k] = (1-t)*a[k] + t*b[k]
		}
	}
	return out
}

// BinariseImages returns a fixed Bernoulli sample of images: each pixel
// 255 with probability pixel/255, else 0, drawn with the given seed — the
// binarised test set on which a bound is reported.
func BinariseImages(images *datasets.Images, seed uint64) *datasets.Images {
	r := rng.New(seed, 0)
	out := *images
	out.Name = images.Name + " (binarised)"
	out.Pixels = make([]uint8, len(images.Pixels))
	for i, p := range images.Pixels {
		// Pixel values k/255; the draw is graphx.Bernoulli's u < x with x = k/255.
		if r.Float64() < float64(p)/255 {
			out.Pixels[i] = 255
		}
	}
	return &out
}
