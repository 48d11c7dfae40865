package flow

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/safefile"
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
	f := &Flow{Config: cfg, Backend: backend, Store: model.NewStore()}
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

func (f *Flow) maskNode(g *Graph, i int) *Node {
	L := f.Config.L
	return ConvertDType(Const(g, tensorOf(dtypes.Float64, f.Mask(i), 1, L, L).Value()), f.Config.DType)
}

// circularPad pads x [batch, L, L, C] periodically by p sites on each side
// of both lattice axes: [batch, L+2p, L+2p, C].
func circularPad(x *Node, p int) *Node {
	for _, axis := range []int{1, 2} {
		n := x.Shape().Dimensions[axis]
		x = Concatenate([]*Node{SliceAxis(x, axis, AxisRange(n-p, n)), x, SliceAxis(x, axis, AxisRange(0, p))}, axis)
	}
	return x
}

// circularConv is a convolution with periodic padding: x [batch, L, L, in]
// → [batch, L, L, out], out_{ij} = Σ_{a,b,c} W_{abc} x_{i+a−k/2, j+b−k/2, c} + b
// (cross-correlation, as PyTorch's Conv2d with padding_mode="circular").
// It is computed as one matrix product: the field is padded periodically by
// k/2 sites, the k² shifted L×L windows of the padded field are put side by
// side along the channel axis (patch-major, channel fastest, the layout of
// the weights), and the patches [batch·L·L, k²·in] are multiplied by the
// weights [k²·in, out]. On these tiny convolutions (8×8 sites, ≤ 8
// channels) that is 2–3× faster than a convolution operation, forward and
// backward; TestCircularConvMatchesDefinition and
// TestCircularConvMatchesConvolve check it.
func circularConv(x *Node, c conv, k int) *Node {
	g := x.Graph()
	w := c.w.NodeValue(g)
	dims := x.Shape().Dimensions
	batch, L1, L2, in := dims[0], dims[1], dims[2], dims[3]
	out := w.Shape().Dimensions[1]
	patches := x
	if k > 1 {
		padded := circularPad(x, k/2)
		windows := make([]*Node, 0, k*k)
		for a := range k {
			for b := range k {
				windows = append(windows, Slice(padded, AxisRange(), AxisRange(a, a+L1), AxisRange(b, b+L2), AxisRange()))
			}
		}
		patches = Concatenate(windows, 3)
	}
	y := Dot(Reshape(patches, batch*L1*L2, k*k*in), w).Product()
	y = Add(y, InsertAxes(c.b.NodeValue(g), 0))
	return Reshape(y, batch, L1, L2, out)
}

// net returns s and t, each [batch, L, L], of layer i from the frozen field.
func (f *Flow) net(i int, frozen *Node) (s, t *Node) {
	x := InsertAxes(frozen, -1)
	convs := f.convs[i]
	for c, cv := range convs {
		x = circularConv(x, cv, f.Config.Kernel)
		if c < len(convs)-1 {
			x = Where(GreaterOrEqual(x, ScalarZero(x.Graph(), x.DType())), x, MulScalar(x, 0.01)) // LeakyReLU(0.01)
		} else {
			x = Tanh(x)
		}
	}
	s = Squeeze(SliceAxis(x, 3, AxisElem(0)), 3)
	t = Squeeze(SliceAxis(x, 3, AxisElem(1)), 3)
	return s, t
}

// Forward is the flow as graph code: noise z [batch, L, L] → the sample φ
// and Σ_layers log|det ∂g/∂φ|, shaped [batch].
func (f *Flow) Forward(z *Node) (phi, logDet *Node) {
	g := z.Graph()
	phi = z
	logDet = ZerosLike(ReduceSum(z, 1, 2))
	for i := range f.Config.Layers {
		m := f.maskNode(g, i)
		frozen := Mul(m, phi)
		s, t := f.net(i, frozen)
		active := OneMinus(m)
		phi = Add(frozen, Mul(active, Add(Mul(phi, Exp(s)), t)))
		logDet = Add(logDet, ReduceSum(Mul(active, s), 1, 2))
	}
	return phi, logDet
}

// Inverse is the inverse flow as graph code: φ [batch, L, L] → the noise z
// with φ = Forward(z), and Σ_layers log|det ∂g⁻¹/∂φ| (minus Forward's).
func (f *Flow) Inverse(phi *Node) (z, logDet *Node) {
	g := phi.Graph()
	z = phi
	logDet = ZerosLike(ReduceSum(phi, 1, 2))
	for i := f.Config.Layers - 1; i >= 0; i-- {
		m := f.maskNode(g, i)
		frozen := Mul(m, z)
		s, t := f.net(i, frozen)
		active := OneMinus(m)
		z = Add(frozen, Mul(active, Mul(Sub(z, t), Exp(Neg(s)))))
		logDet = Sub(logDet, ReduceSum(Mul(active, s), 1, 2))
	}
	return z, logDet
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

// saved is the file format of Save: the configuration and the weights.
type saved struct {
	Config  Config
	Weights map[string][]float64
}

// Save writes the configuration and weights as JSON to path.
func (f *Flow) Save(path string) error {
	s := saved{Config: f.Config, Weights: map[string][]float64{}}
	for l, layer := range f.convs {
		for c, cv := range layer {
			for _, v := range []*model.Variable{cv.w, cv.b} {
				t, err := v.Value()
				if err != nil {
					return err
				}
				s.Weights[fmt.Sprintf("%d/%d/%s", l, c, v.Name())] = flatFloat64(t)
			}
		}
	}
	return safefile.Write(path, func(w io.Writer) error { return json.NewEncoder(w).Encode(s) }, nil)
}

func flatFloat64(t *tensors.Tensor) []float64 {
	if t.DType() == dtypes.Float64 {
		return tensors.MustCopyFlatData[float64](t)
	}
	x := tensors.MustCopyFlatData[float32](t)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// Load reads a flow written by Save.
func Load(backend compute.Backend, path string) (*Flow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s saved
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("flow: %s: not a saved flow: %w", path, err)
	}
	f, err := New(backend, s.Config)
	if err != nil {
		return nil, fmt.Errorf("flow: %s: %w", path, err)
	}
	for l, layer := range f.convs {
		for c, cv := range layer {
			for _, v := range []*model.Variable{cv.w, cv.b} {
				key := fmt.Sprintf("%d/%d/%s", l, c, v.Name())
				w, ok := s.Weights[key]
				if !ok || len(w) != v.Shape().Size() {
					return nil, fmt.Errorf("flow: %s: weights %q missing or of the wrong size", path, key)
				}
				if err := v.SetValue(tensorOf(s.Config.DType, w, v.Shape().Dimensions...)); err != nil {
					return nil, err
				}
			}
		}
	}
	return f, nil
}
