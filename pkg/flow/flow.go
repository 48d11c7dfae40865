package flow

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/phi4"
)

// Config is the architecture of a real NVP flow on an L×L lattice.
type Config struct {
	L int
	// Layers is the number of affine coupling layers (the tutorial uses 16).
	Layers int
	// Hidden holds the channels of the hidden convolutions of each layer's
	// net (the tutorial uses [8, 8]).
	Hidden []int
	// Kernel is the (odd) size of the convolution kernels (3).
	Kernel int
	// Seed draws the initial weights, uniform in ±1/sqrt(fan-in) as
	// PyTorch's Conv2d.
	Seed uint64
	// DType is Float32 (the default, as the tutorial) or Float64.
	DType dtypes.DType
}

// Tutorial returns the tutorial's architecture for an L×L lattice: 16
// coupling layers, hidden channels [8, 8], 3×3 kernels.
func Tutorial(L int, seed uint64) Config {
	return Config{L: L, Layers: 16, Hidden: []int{8, 8}, Kernel: 3, Seed: seed, DType: dtypes.Float32}
}

func (c Config) validate() error {
	switch {
	case c.L < 2 || c.L%2 != 0:
		return fmt.Errorf("flow: L = %d, want an even size ≥ 2 (the checkerboard needs it)", c.L)
	case c.Layers < 1:
		return fmt.Errorf("flow: %d layers, want at least 1", c.Layers)
	case c.Kernel < 1 || c.Kernel%2 == 0 || c.Kernel > c.L:
		return fmt.Errorf("flow: kernel %d, want an odd size ≤ L = %d", c.Kernel, c.L)
	case c.DType != dtypes.Float32 && c.DType != dtypes.Float64:
		return fmt.Errorf("flow: dtype %s, want Float32 or Float64", c.DType)
	}
	for _, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("flow: hidden channels %v, want positive sizes", c.Hidden)
		}
	}
	return nil
}

// conv is one convolution: weights [k·k·in, out] (patch-major), bias [out].
type conv struct{ w, b *model.Variable }

// Flow is a real NVP flow with its weights in Store.
type Flow struct {
	Config  Config
	Backend compute.Backend
	Store   *model.Store

	convs [][]conv // [layer][conv]
	lat   *lattice

	sample, density *model.Exec
}

// New creates a flow with fresh weights drawn from cfg.Seed.
func New(backend compute.Backend, cfg Config) (*Flow, error) {
	if cfg.DType == dtypes.InvalidDType {
		cfg.DType = dtypes.Float32
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, fmt.Errorf("flow: backend is nil")
	}
	f := &Flow{Config: cfg, Backend: backend, Store: model.NewStore(), lat: newLattice(cfg.L, cfg.Kernel)}
	src := rng.New(cfg.Seed, 0xf10)
	root := f.Store.RootScope()
	chans := append(append([]int{1}, cfg.Hidden...), 2)
	k2 := cfg.Kernel * cfg.Kernel
	for l := range cfg.Layers {
		var layer []conv
		for c := 0; c+1 < len(chans); c++ {
			in, out := chans[c], chans[c+1]
			bound := 1 / math.Sqrt(float64(k2*in))
			w := make([]float64, k2*in*out)
			for i := range w {
				w[i] = bound * (2*src.Float64() - 1)
			}
			b := make([]float64, out)
			for i := range b {
				b[i] = bound * (2*src.Float64() - 1)
			}
			scope := root.At("layer%02d", l).At("conv%d", c)
			wv, err := scope.CreateVariable("weights", tensorOf(cfg.DType, w, k2*in, out))
			if err != nil {
				return nil, err
			}
			bv, err := scope.CreateVariable("bias", tensorOf(cfg.DType, b, out))
			if err != nil {
				return nil, err
			}
			layer = append(layer, conv{wv, bv})
		}
		f.convs = append(f.convs, layer)
	}
	return f, nil
}

func tensorOf(dt dtypes.DType, xs []float64, dims ...int) *tensors.Tensor {
	if dt == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), xs...), dims...)
	}
	x32 := make([]float32, len(xs))
	for i, v := range xs {
		x32[i] = float32(v)
	}
	return tensors.FromFlatDataAndDimensions(x32, dims...)
}

// NumParameters is the number of trainable weights.
func (f *Flow) NumParameters() int { return f.Store.RootScope().NumParameters() }

// Mask is the checkerboard of coupling layer i: 1 on the frozen sites
// (x₀ + x₁ + i even), 0 on the sites the layer transforms.
func (f *Flow) Mask(i int) []float64 {
	L := f.Config.L
	m := make([]float64, L*L)
	for a := range L {
		for b := range L {
			if (a+b+i)%2 == 0 {
				m[a*L+b] = 1
			}
		}
	}
	return m
}

// lattice is the site bookkeeping of the checkerboard: the flow works on
// the two sublattices of parity q = (x₀ + x₁) mod 2 separately, the field of
// each shaped [L²/2, batch] (sites in row-major order, the batch last).
type lattice struct {
	L, k int
	// sites[q] lists the sites (x₀·L + x₁) of parity q; pos[s] is the
	// place of site s in its sublattice.
	sites [2][]int
	pos   []int
}

func newLattice(L, k int) *lattice {
	lat := &lattice{L: L, k: k, pos: make([]int, L*L)}
	for s := range L * L {
		q := lat.parity(s)
		lat.pos[s] = len(lat.sites[q])
		lat.sites[q] = append(lat.sites[q], s)
	}
	return lat
}

func (lat *lattice) parity(s int) int { return (s/lat.L + s%lat.L) % 2 }

// neighbour is the site at offset (a − k/2, b − k/2) from site s, periodic.
func (lat *lattice) neighbour(s, a, b int) int {
	L, h := lat.L, lat.k/2
	return ((s/L+a-h+L)%L)*L + (s%L+b-h+L)%L
}

// patchIndex is the gather index of a convolution: for every offset (a, b)
// of the k×k kernel (patch-major), every input channel c and every output
// site s in outSites, the row c·inRows + row(neighbour(s, a, b)) of the
// input [in·inRows, batch]; shaped [k²·in·len(outSites), 1].
func (lat *lattice) patchIndex(in, inRows int, row func(site int) int, outSites []int) *tensors.Tensor {
	k := lat.k
	idx := make([]int32, 0, k*k*in*len(outSites))
	for a := range k {
		for b := range k {
			for c := range in {
				for _, s := range outSites {
					idx = append(idx, int32(c*inRows+row(lat.neighbour(s, a, b))))
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(idx, len(idx), 1)
}

// gatherConv is a convolution with periodic padding as a gather and one
// matrix product: x holds in channels on inRows rows each, [in·inRows,
// batch] (channel-major); idx (patchIndex) picks for each output site the
// k² neighbours of every channel, the patches [k²·in, sites·batch], which
// the weights [k²·in, out] contract: out_{o,s} = Σ_{a,b,c} W_{(a,b,c),o}
// x_{c, s+(a−k/2, b−k/2)} + b_o, shaped [out·sites, batch] — the
// cross-correlation of PyTorch's Conv2d with padding_mode="circular". The
// layout (channels and sites first, the batch last) makes the gather pick
// whole rows and the product need no transposition; on these tiny
// convolutions (8×8 sites, ≤ 8 channels) gather + product is several
// times faster than a convolution operation, forward and backward.
// TestCircularConvMatchesDefinition and TestCircularConvMatchesConvolve
// check it.
func gatherConv(x *Node, c conv, idx *tensors.Tensor, sites int) *Node {
	g := x.Graph()
	w := c.w.NodeValue(g)
	batch := x.Shape().Dimensions[1]
	kin, out := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
	patches := Reshape(Gather(x, Const(g, idx), true), kin, sites*batch)
	y := DotGeneral(w, []int{0}, nil, patches, []int{0}, nil) // [out, sites·batch]
	y = Add(y, Reshape(c.b.NodeValue(g), out, 1))
	return Reshape(y, out*sites, batch)
}

// net returns s and t, each [L²/2, batch] on the active sublattice of layer
// i (parity 1 − i mod 2), from the field on its frozen sublattice (parity
// i mod 2), [L²/2, batch]. It is the layer's conv net on the masked field
// m·φ (zero on the active sites), with s and t read on the active sites:
// the first convolution reads the frozen sites only (the active ones are
// zero) and the last one is evaluated on the active sites only.
func (f *Flow) net(i int, frozen *Node) (s, t *Node) {
	lat := f.lat
	q := i % 2
	V, half := f.Config.L*f.Config.L, len(lat.sites[q])
	all := make([]int, V)
	for s := range all {
		all[s] = s
	}
	// The frozen field with a row of zeros (row half) that the
	// convolution reads at the active sites.
	x := Concatenate([]*Node{frozen, ZerosLike(SliceAxis(frozen, 0, AxisRange(0, 1)))}, 0)
	inRows := half + 1
	row := func(s int) int {
		if lat.parity(s) == q {
			return lat.pos[s]
		}
		return half
	}
	convs := f.convs[i]
	in := 1
	for c, cv := range convs {
		outSites := all
		if c == len(convs)-1 {
			outSites = lat.sites[1-q]
		}
		x = gatherConv(x, cv, lat.patchIndex(in, inRows, row, outSites), len(outSites))
		if c < len(convs)-1 {
			x = Max(x, MulScalar(x, 0.01)) // LeakyReLU(0.01)
		} else {
			x = Tanh(x)
		}
		in, inRows, row = cv.b.Shape().Dimensions[0], V, func(s int) int { return s }
	}
	return SliceAxis(x, 0, AxisRange(0, half)), SliceAxis(x, 0, AxisRange(half, 2*half))
}

// split turns fields [batch, L, L] into their two sublattices, each
// [L²/2, batch].
func (f *Flow) split(x *Node) [2]*Node {
	g := x.Graph()
	L := f.Config.L
	rows := Transpose(Reshape(x, x.Shape().Dimensions[0], L*L), 0, 1) // [L², batch]
	var out [2]*Node
	for q := range 2 {
		idx := make([]int32, len(f.lat.sites[q]))
		for j, s := range f.lat.sites[q] {
			idx[j] = int32(s)
		}
		out[q] = Gather(rows, Const(g, tensors.FromFlatDataAndDimensions(idx, len(idx), 1)), true)
	}
	return out
}

// join is the inverse of split: [batch, L, L] from the two sublattices.
func (f *Flow) join(h [2]*Node) *Node {
	g := h[0].Graph()
	L := f.Config.L
	idx := make([]int32, L*L)
	for s := range idx {
		idx[s] = int32(f.lat.pos[s] + f.lat.parity(s)*len(f.lat.sites[0]))
	}
	rows := Gather(Concatenate([]*Node{h[0], h[1]}, 0), Const(g, tensors.FromFlatDataAndDimensions(idx, L*L, 1)), true)
	return Reshape(Transpose(rows, 0, 1), rows.Shape().Dimensions[1], L, L)
}

// Forward is the flow as graph code: noise z [batch, L, L] → the sample φ
// and Σ_layers log|det ∂g/∂φ|, shaped [batch]. Layer i with mask m
// (Mask(i)) maps φ to m·φ + (1 − m)·(φ·e^s + t), with s, t the layer's net
// of m·φ; it is computed on the two sublattices: the frozen one (m = 1) is
// left as it is, the active one becomes φ·e^s + t.
func (f *Flow) Forward(z *Node) (phi, logDet *Node) {
	h := f.split(z)
	logDet = ZerosLike(ReduceSum(h[0], 0))
	for i := range f.Config.Layers {
		q := i % 2
		s, t := f.net(i, h[q])
		h[1-q] = Add(Mul(h[1-q], Exp(s)), t)
		logDet = Add(logDet, ReduceSum(s, 0))
	}
	return f.join(h), logDet
}

// Inverse is the inverse flow as graph code: φ [batch, L, L] → the noise z
// with φ = Forward(z), and Σ_layers log|det ∂g⁻¹/∂φ| (minus Forward's).
func (f *Flow) Inverse(phi *Node) (z, logDet *Node) {
	h := f.split(phi)
	logDet = ZerosLike(ReduceSum(h[0], 0))
	for i := f.Config.Layers - 1; i >= 0; i-- {
		q := i % 2
		s, t := f.net(i, h[q])
		h[1-q] = Mul(Sub(h[1-q], t), Exp(Neg(s)))
		logDet = Sub(logDet, ReduceSum(s, 0))
	}
	return f.join(h), logDet
}

// LogPrior is log r(z) = −½ Σ_x z_x² − (V/2) log 2π for z [batch, L, L],
// shaped [batch].
func LogPrior(z *Node) *Node {
	v := float64(z.Shape().Dimensions[1] * z.Shape().Dimensions[2])
	return AddScalar(MulScalar(ReduceSum(Square(z), 1, 2), -0.5), -0.5*v*math.Log(2*math.Pi))
}

// SampleGraph returns the samples φ = Forward(z) and their log q(φ) =
// log r(z) − log|det ∂φ/∂z|.
func (f *Flow) SampleGraph(z *Node) (phi, logQ *Node) {
	phi, logDet := f.Forward(z)
	return phi, Sub(LogPrior(z), logDet)
}

// LogQGraph returns log q(φ) of given fields: log r(z) + log|det ∂z/∂φ| with
// z = Inverse(φ).
func (f *Flow) LogQGraph(phi *Node) *Node {
	z, logDet := f.Inverse(phi)
	return Add(LogPrior(z), logDet)
}

// Samples are fields drawn from the flow with their log q and action.
type Samples struct {
	// Phi[k] is the k-th field, L² sites row-major.
	Phi  [][]float64
	LogQ []float64
	// S is the action, −log p̃.
	S []float64
}

// LogW returns the log importance weights log w = log p̃ − log q = −S − log q.
func (s *Samples) LogW() []float64 {
	out := make([]float64, len(s.S))
	for i := range out {
		out[i] = -s.S[i] - s.LogQ[i]
	}
	return out
}

// Noise draws n prior samples z ~ N(0, 1), shaped [n, L, L], from src, as a
// tensor of the flow's dtype.
func (f *Flow) Noise(src *rng.Source, n int) *tensors.Tensor {
	L := f.Config.L
	z := make([]float64, n*L*L)
	for i := range z {
		z[i] = src.Normal()
	}
	return tensorOf(f.Config.DType, z, n, L, L)
}

// Sample draws n fields from the flow, with their log q, and their action
// under theory (computed in float64 in Go).
func (f *Flow) Sample(theory phi4.Theory, src *rng.Source, n int) (*Samples, error) {
	if theory.L != f.Config.L {
		return nil, fmt.Errorf("flow: Sample: theory on L = %d, flow on L = %d", theory.L, f.Config.L)
	}
	if f.sample == nil {
		var err error
		f.sample, err = model.NewExec(f.Backend, f.Store, func(_ *model.Scope, z *Node) (*Node, *Node) {
			phi, logQ := f.SampleGraph(z)
			return ConvertDType(phi, dtypes.Float64), ConvertDType(logQ, dtypes.Float64)
		})
		if err != nil {
			return nil, err
		}
	}
	V := f.Config.L * f.Config.L
	s := &Samples{}
	for done := 0; done < n; done += chunk {
		m := min(chunk, n-done)
		out, err := f.sample.Call(f.Noise(src, m))
		if err != nil {
			return nil, fmt.Errorf("flow: Sample: %w", err)
		}
		flat := tensors.MustCopyFlatData[float64](out[0])
		s.LogQ = append(s.LogQ, tensors.MustCopyFlatData[float64](out[1])...)
		for k := range m {
			phi := flat[k*V : (k+1)*V]
			s.Phi = append(s.Phi, phi)
			s.S = append(s.S, theory.Action(phi))
		}
	}
	return s, nil
}

// chunk is the most fields Sample and LogQ send through the flow at once:
// the activations of a chunk take a few tens of MB.
const chunk = 4096

// LogQ evaluates log q of given fields (each L² sites) through the inverse
// flow.
func (f *Flow) LogQ(phis [][]float64) ([]float64, error) {
	if f.density == nil {
		var err error
		f.density, err = model.NewExec(f.Backend, f.Store, func(_ *model.Scope, phi *Node) *Node {
			return ConvertDType(f.LogQGraph(ConvertDType(phi, f.Config.DType)), dtypes.Float64)
		})
		if err != nil {
			return nil, err
		}
	}
	L := f.Config.L
	var logQ []float64
	for done := 0; done < len(phis); done += chunk {
		part := phis[done:min(done+chunk, len(phis))]
		flat := make([]float64, 0, len(part)*L*L)
		for i, p := range part {
			if len(p) != L*L {
				return nil, fmt.Errorf("flow: LogQ: field %d has %d sites, want %d", done+i, len(p), L*L)
			}
			flat = append(flat, p...)
		}
		out, err := f.density.Call(tensors.FromFlatDataAndDimensions(flat, len(part), L, L))
		if err != nil {
			return nil, fmt.Errorf("flow: LogQ: %w", err)
		}
		logQ = append(logQ, tensors.MustCopyFlatData[float64](out[0])...)
	}
	return logQ, nil
}

// CheckpointKind is the kind of model on the card of a flow's checkpoint.
const CheckpointKind = "flow"

// Save writes the flow to dir in pkg/fit's checkpoint format, replacing
// what was there: its weights, and its Config on the card. Nothing else of
// the store is saved — not the optimiser's state, so that training a loaded
// flow starts Adam afresh, as training a new one does.
func (f *Flow) Save(dir string) error {
	weights := map[*model.Variable]bool{}
	for _, layer := range f.convs {
		for _, cv := range layer {
			weights[cv.w], weights[cv.b] = true, true
		}
	}
	var others []*model.Variable
	for v := range f.Store.IterVariables() {
		if !weights[v] {
			others = append(others, v)
		}
	}
	return fit.SaveCheckpoint(dir, f.Store, fit.Card{Kind: CheckpointKind, Model: f.Config}, others...)
}

// Load reads a flow written by Save in dir.
func Load(backend compute.Backend, dir string) (*Flow, error) {
	var cfg Config
	if _, err := fit.ReadCard(dir, CheckpointKind, &cfg, nil); err != nil {
		return nil, fmt.Errorf("flow: %w", err)
	}
	f, err := New(backend, cfg)
	if err != nil {
		return nil, fmt.Errorf("flow: %s: %w", dir, err)
	}
	// New created the weights, which GoMLX v0.28.8's immediate load leaves
	// as they are: the checkpoint loads into a store of its own, and the
	// weights are copied from there.
	saved := model.NewStore()
	if _, err := fit.LoadCheckpoint(dir, saved, CheckpointKind, nil, nil); err != nil {
		return nil, fmt.Errorf("flow: %w", err)
	}
	for v := range f.Store.IterVariables() {
		s := saved.GetVariable(v.Path())
		if s == nil {
			return nil, fmt.Errorf("flow: %s: no weights %s", dir, v.Path())
		}
		t, err := s.Value()
		if err != nil {
			return nil, fmt.Errorf("flow: %s: %w", dir, err)
		}
		if !t.Shape().Equal(v.Shape()) {
			return nil, fmt.Errorf("flow: %s: weights %s shaped %s, want %s", dir, v.Path(), t.Shape(), v.Shape())
		}
		if err := v.SetValue(t); err != nil {
			return nil, err
		}
	}
	return f, nil
}
