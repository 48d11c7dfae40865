package rbm

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/plots"
)

// Pixels returns the images' intensities in [0, 1], flat [n, Size()].
func Pixels(im *datasets.Images) []float32 {
	out := make([]float32, len(im.Pixels))
	for i, b := range im.Pixels {
		out[i] = float32(b) / 255
	}
	return out
}

// Binarize returns a binary copy of x, each value 1 with probability x,
// drawn with the seed: the fixed binarised test set on which likelihoods are
// compared.
func Binarize(x []float32, seed uint64) []float32 {
	rnd := rng.MathRand(seed, 0xb1)
	out := make([]float32, len(x))
	for i, p := range x {
		if rnd.Float32() < p {
			out[i] = 1
		}
	}
	return out
}

// Likelihood is a mean log-likelihood in nats with the interval AIS gives.
type Likelihood struct {
	LL     float64 `json:"ll"`     // mean −F(v) − log Z
	Lower  float64 `json:"-"`      // from log Z's upper ±3σ bound
	Upper  float64 `json:"-"`      // from log Z's lower bound (+Inf if none)
	StdErr float64 `json:"stderr"` // of log Z, hence of the LL
	LogZ   float64 `json:"log_z"`
	// Seconds is how long the AIS took.
	Seconds float64 `json:"seconds,omitempty"`
}

func (l Likelihood) String() string {
	return fmt.Sprintf("%.2f nats (±%.2f at 3σ; log Z = %.2f)", l.LL, 3*l.StdErr, l.LogZ)
}

// TestLikelihood estimates the mean log-likelihood of the binary data (flat
// [n, Visible]) under p, with log Z from AIS.
func TestLikelihood(backend compute.Backend, p *Params, data []float32, cfg AISConfig) (Likelihood, error) {
	r, err := AIS(backend, p, cfg)
	if err != nil {
		return Likelihood{}, err
	}
	ll, err := p.MeanLogLikelihood(toFloat64(data), r.LogZ)
	if err != nil {
		return Likelihood{}, err
	}
	return Likelihood{LL: ll, Lower: ll - (r.Upper - r.LogZ), Upper: ll + (r.LogZ - r.Lower), StdErr: r.StdErr, LogZ: r.LogZ}, nil
}

// SavedTestLikelihood is TestLikelihood saved in dir/final.json, or read
// from there when an earlier call computed it (a run of the run store found
// again, in an earlier execution of the notebook); Seconds is how long the
// estimate took.
func SavedTestLikelihood(backend compute.Backend, dir string, p *Params, data []float32, cfg AISConfig) (Likelihood, error) {
	path := filepath.Join(dir, "final.json")
	if _, err := os.Stat(path); err == nil {
		var l Likelihood
		if err := safefile.ReadJSON(path, &l); err != nil {
			return l, fmt.Errorf("rbm: %w", err)
		}
		return l, nil
	}
	start := time.Now()
	l, err := TestLikelihood(backend, p, data, cfg)
	if err != nil {
		return l, err
	}
	l.Seconds = time.Since(start).Seconds()
	return l, safefile.WriteJSON(path, l)
}

// Epoch is one epoch of a training run.
type Epoch struct {
	Epoch int `json:"epoch"`
	EpochStats
	Test    Likelihood `json:"test"`    // AIS with the run's per-epoch configuration
	Seconds float64    `json:"seconds"` // training time of the epoch, without the AIS
}

// History is a training run.
type History struct {
	Name   string  `json:"name"`
	Epochs []Epoch `json:"epochs"`
}

// Series returns one number per epoch, for plotting.
func (h *History) Series(f func(Epoch) float64) (x, y []float64) {
	for _, e := range h.Epochs {
		x = append(x, float64(e.Epoch))
		y = append(y, f(e))
	}
	return x, y
}

// Run trains from init for epochs epochs on train (pixel intensities, or
// binary) in the batches of cfg.Batches, and after every epoch estimates the
// mean log-likelihood of the binary test data with AIS (eval); it prints a
// line per epoch to out. The epochs are eras of pkg/fit's step loop, the AIS
// its era hook. The parameters and the history are saved in dir as a
// pkg/fit checkpoint (replacing what was there), for LoadRun: a lecture
// keeps dir in a run of the course's run store (pkg/runs), whose lookup
// loads it instead of training again — GoNB runs each cell as a new program.
func Run(backend compute.Backend, dir string, init *Params, cfg Config, train, test []float32, epochs int, eval AISConfig, out io.Writer) (*Params, *History, error) {
	t, err := NewTrainer(backend, init, cfg)
	if err != nil {
		return nil, nil, err
	}
	h := &History{Name: cfg.Name()}
	var p *Params
	// The step loop of pkg/fit, an era per epoch; AIS runs after each.
	err = t.epochs(train, epochs, func(stats EpochStats, era fit.Era) error {
		var err error
		if p, err = t.Params(); err != nil {
			return err
		}
		eval.Seed = cfg.Seed + uint64(era.Era)
		ll, err := TestLikelihood(backend, p, test, eval)
		if err != nil {
			return err
		}
		h.Epochs = append(h.Epochs, Epoch{Epoch: era.Era, EpochStats: stats, Test: ll, Seconds: era.Seconds})
		fmt.Fprintf(out, "%s epoch %2d (%4.1f s): surrogate loss %+7.3f   reconstruction error %6.2f   test log-likelihood %s\n",
			cfg.Name(), era.Era, era.Seconds, stats.Loss, stats.ReconError, ll)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.Name(), err)
	}
	if err := saveRun(dir, t, h); err != nil {
		return nil, nil, err
	}
	return p, h, nil
}

// CheckpointKind is the kind of model on the card of the checkpoint Run
// writes.
const CheckpointKind = "rbm"

// saveRun writes the trained RBM to dir in pkg/fit's checkpoint format: its
// weights and biases (float32, as trained), its shape (Model) on the card,
// and the history. The rest of the trainer's store (PCD's fantasy chains,
// the random state) is left out.
func saveRun(dir string, t *Trainer, h *History) error {
	scope := t.Store.RootScope().At(ScopeName)
	params := map[*model.Variable]bool{}
	for _, name := range []string{WeightsName, VisibleBiasName, HiddenBiasName} {
		params[scope.GetVariable(name)] = true
	}
	var others []*model.Variable
	for v := range t.Store.IterVariables() {
		if !params[v] {
			others = append(others, v)
		}
	}
	return fit.SaveCheckpoint(dir, t.Store, fit.Card{Kind: CheckpointKind, Model: t.Model, History: h}, others...)
}

// LoadRun reads what Run saved in dir.
func LoadRun(dir string) (*Params, *History, error) {
	var m Model
	h := new(History)
	store := model.NewStore()
	hasHistory, err := fit.LoadCheckpoint(dir, store, CheckpointKind, &m, h)
	if err != nil {
		return nil, nil, fmt.Errorf("rbm: %w", err)
	}
	if !hasHistory {
		return nil, nil, fmt.Errorf("rbm: %s has no training history", dir)
	}
	p, err := m.ParamsFromStore(store)
	if err != nil {
		return nil, nil, fmt.Errorf("rbm: %s: %w", dir, err)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("rbm: %s: %w", dir, err)
	}
	return p, h, nil
}

// Mosaic lays out n square images of side×side pixels (flat, values in
// [lo, hi] mapped to black…white) in rows of cols, with a 1-pixel grey gap.
func Mosaic(flat []float64, n, side, cols int, lo, hi float64) image.Image {
	rows := (n + cols - 1) / cols
	img := image.NewGray(image.Rect(0, 0, cols*(side+1)+1, rows*(side+1)+1))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	for k := range n {
		r, c := k/cols, k%cols
		for y := range side {
			for x := range side {
				v := (flat[k*side*side+y*side+x] - lo) / (hi - lo)
				v = math.Min(math.Max(v, 0), 1)
				img.SetGray(c*(side+1)+1+x, r*(side+1)+1+y, color.Gray{Y: uint8(math.Round(255 * v))})
			}
		}
	}
	return img
}

// Float64s converts float32 values.
func Float64s(x []float32) []float64 { return toFloat64(x) }

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// Filters returns the weights of the first n hidden units as images: unit j's
// column W[:, j], each scaled to its own largest magnitude (grey is 0).
func Filters(p *Params, n, side, cols int) image.Image {
	flat := make([]float64, n*p.Visible)
	for j := range n {
		m := 1e-12
		for i := range p.Visible {
			m = math.Max(m, math.Abs(p.W[i*p.Hidden+j]))
		}
		for i := range p.Visible {
			flat[j*p.Visible+i] = p.W[i*p.Hidden+j] / m
		}
	}
	return Mosaic(flat, n, side, cols, -1, 1)
}

// Histogram returns the histogram of values in bins equal bins over [lo, hi],
// as a step curve of the fraction of values per unit of x (a density).
func Histogram(name string, values []float64, bins int, lo, hi float64) plots.Curve {
	counts := make([]float64, bins)
	width := (hi - lo) / float64(bins)
	for _, v := range values {
		k := int((v - lo) / width)
		if k >= 0 && k < bins {
			counts[k]++
		}
	}
	c := plots.Curve{Name: name}
	for k, n := range counts {
		d := n / float64(len(values)) / width
		x0 := lo + float64(k)*width
		c.X = append(c.X, x0, x0+width)
		c.Y = append(c.Y, d, d)
	}
	return c
}

// RateScan is the outcome of ScanLearningRate: the largest learning rate
// that trained without diverging and the smallest that diverged (0 when none
// did), with the epoch in which it diverged.
type RateScan struct {
	Stable, Diverged float64
	DivergedEpoch    int
}

// ScanLearningRate trains copies of init with cfg on data for up to epochs
// epochs at each of the learning rates in rates, tried from the largest
// down, and stops at the first that trains to the end without diverging
// (Trainer.Epoch's error): a measurement of the stable learning rate of SGD
// on this model and data, to within the spacing of rates.
func ScanLearningRate(backend compute.Backend, init *Params, cfg Config, data []float32, epochs int, rates []float64) (RateScan, error) {
	sorted := slices.Clone(rates)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	var scan RateScan
	for _, lr := range sorted {
		c := cfg
		c.LearningRate = lr
		t, err := NewTrainer(backend, init, c)
		if err != nil {
			return scan, err
		}
		diverged := 0
		for e := range epochs {
			if _, err := t.Epoch(data); err != nil {
				diverged = e + 1
				break
			}
		}
		if diverged == 0 {
			scan.Stable = lr
			return scan, nil
		}
		scan.Diverged, scan.DivergedEpoch = lr, diverged
	}
	return scan, fmt.Errorf("rbm.ScanLearningRate: every learning rate in %v diverged", rates)
}
