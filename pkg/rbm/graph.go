package rbm

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// Variable names of an RBM in a model.Store, under the scope "rbm".
const (
	ScopeName       = "rbm"
	WeightsName     = "weights"      // W [Visible, Hidden]
	VisibleBiasName = "visible_bias" // b [Visible]
	HiddenBiasName  = "hidden_bias"  // c [Hidden]
	FantasyName     = "fantasy"      // PCD's persistent chains [Chains, Visible], not trained
)

// Model is the graph side of an RBM: the free energy, the conditionals and
// Gibbs sampling as GoMLX graph code, on the variables of a model.Store
// (created by NewStore). Sigma is nil for binary visible units, or the σ_i of
// Gaussian ones.
type Model struct {
	Visible, Hidden int
	Sigma           []float64
}

// Model returns the graph side of an RBM shaped like p.
func (p *Params) Model() Model { return Model{Visible: p.Visible, Hidden: p.Hidden, Sigma: p.Sigma} }

// NewStore returns a store holding p's parameters as float32 variables, and
// the store's random number generator seeded with seed.
func NewStore(p *Params, seed int64) (*model.Store, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	scope := store.RootScope().At(ScopeName)
	scope.VariableWithValue(WeightsName, tensors.FromFlatDataAndDimensions(toFloat32(p.W), p.Visible, p.Hidden))
	scope.VariableWithValue(VisibleBiasName, toFloat32(p.B))
	scope.VariableWithValue(HiddenBiasName, toFloat32(p.C))
	return store, nil
}

// ParamsFromStore reads the RBM's parameters back from store.
func (m Model) ParamsFromStore(store *model.Store) (*Params, error) {
	scope := store.RootScope().At(ScopeName)
	get := func(name string, want int) ([]float64, error) {
		v := scope.GetVariable(name)
		if v == nil {
			return nil, fmt.Errorf("rbm: the store has no variable %s/%s", ScopeName, name)
		}
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		flat, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, err
		}
		if len(flat) != want {
			return nil, fmt.Errorf("rbm: variable %s has %d values, want %d", name, len(flat), want)
		}
		out := make([]float64, len(flat))
		for i, x := range flat {
			out[i] = float64(x)
		}
		return out, nil
	}
	p := &Params{Visible: m.Visible, Hidden: m.Hidden, Sigma: m.Sigma}
	var err error
	if p.W, err = get(WeightsName, m.Visible*m.Hidden); err != nil {
		return nil, err
	}
	if p.B, err = get(VisibleBiasName, m.Visible); err != nil {
		return nil, err
	}
	if p.C, err = get(HiddenBiasName, m.Hidden); err != nil {
		return nil, err
	}
	return p, nil
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// vars returns W, b and c from the store, as nodes of g.
func (m Model) vars(scope *model.Scope, g *Graph) (w, b, c *Node) {
	scope = scope.At(ScopeName)
	get := func(name string, dims ...int) *Node {
		v := scope.GetVariable(name)
		if v == nil {
			v = scope.VariableWithShape(name, shapes.Make(dtypes.Float32, dims...))
		}
		return v.NodeValue(g)
	}
	return get(WeightsName, m.Visible, m.Hidden), get(VisibleBiasName, m.Visible), get(HiddenBiasName, m.Hidden)
}

// invVar is 1/σ_i² as a [Visible] constant, for a Gaussian RBM.
func (m Model) invVar(g *Graph, dtype dtypes.DType) *Node {
	inv := make([]float64, m.Visible)
	for i, s := range m.Sigma {
		inv[i] = 1 / (s * s)
	}
	return ConvertDType(Const(g, inv), dtype)
}

// hiddenInput is c + v W (binary) or c + (v/σ²) W (Gaussian), [batch, Hidden].
func (m Model) hiddenInput(v, w, c *Node) *Node {
	if m.Sigma != nil {
		v = Mul(v, InsertAxes(m.invVar(v.Graph(), v.DType()), 0))
	}
	return Add(MatMul(v, w), InsertAxes(c, 0))
}

// visibleMean is p(v = 1 | h) (binary) or E[v | h] (Gaussian), [batch, Visible].
func (m Model) visibleMean(h, w, b *Node) *Node {
	x := Add(MatMul(h, Transpose(w, 0, 1)), InsertAxes(b, 0))
	if m.Sigma != nil {
		return x
	}
	return Sigmoid(x)
}

// sampleVisible draws v ~ p(v | h) given its mean.
func (m Model) sampleVisible(scope *model.Scope, mean *Node) *Node {
	if m.Sigma == nil {
		return graphx.Bernoulli(scope, mean)
	}
	sigma := ConvertDType(Const(mean.Graph(), m.Sigma), mean.DType())
	return Add(mean, Mul(scope.RandomNormal(mean.Graph(), mean.Shape()), InsertAxes(sigma, 0)))
}

// freeEnergy is F(v) [batch] given the hidden input c + v·W (or its Gaussian form).
func (m Model) freeEnergy(v, hiddenIn, b *Node) *Node {
	var visibleTerm *Node
	if m.Sigma != nil {
		d := Sub(v, InsertAxes(b, 0))
		visibleTerm = ReduceSum(Mul(Square(d), InsertAxes(MulScalar(m.invVar(v.Graph(), v.DType()), 0.5), 0)), -1)
	} else {
		visibleTerm = Neg(ReduceSum(Mul(v, InsertAxes(b, 0)), -1))
	}
	return Sub(visibleTerm, ReduceSum(graphx.Softplus(hiddenIn), -1))
}

// FreeEnergy returns F(v) [batch] for visible states v [batch, Visible].
func (m Model) FreeEnergy(scope *model.Scope, v *Node) *Node {
	m.check(v)
	w, b, c := m.vars(scope, v.Graph())
	return m.freeEnergy(v, m.hiddenInput(v, w, c), b)
}

// HiddenProbs returns p(h = 1 | v) [batch, Hidden].
func (m Model) HiddenProbs(scope *model.Scope, v *Node) *Node {
	m.check(v)
	w, _, c := m.vars(scope, v.Graph())
	return Sigmoid(m.hiddenInput(v, w, c))
}

// Reconstruct runs one Gibbs step from v: it samples h ~ p(h | v) and returns
// the mean of p(v | h), [batch, Visible].
func (m Model) Reconstruct(scope *model.Scope, v *Node) *Node {
	m.check(v)
	w, b, c := m.vars(scope, v.Graph())
	h := graphx.Bernoulli(scope, Sigmoid(m.hiddenInput(v, w, c)))
	return m.visibleMean(h, w, b)
}

// Gibbs runs k steps of block Gibbs sampling from v (h ~ p(h | v), then
// v ~ p(v | h)) and returns the last v and the mean of p(v | h) it was
// drawn from. No gradient flows through the chain.
func (m Model) Gibbs(scope *model.Scope, v *Node, k int) (sample, mean *Node) {
	m.check(v)
	w, b, c := m.vars(scope, v.Graph())
	w, b, c = StopGradient(w), StopGradient(b), StopGradient(c)
	sample = StopGradient(v)
	for range k {
		h := graphx.Bernoulli(scope, Sigmoid(m.hiddenInput(sample, w, c)))
		mean = m.visibleMean(h, w, b)
		sample = m.sampleVisible(scope, mean)
	}
	return sample, mean
}

// Loss returns the contrastive-divergence surrogate loss
//
//	mean F(v) − mean F(negative),
//
// whose gradient is the CD (or PCD) estimate of the gradient of the negative
// mean log-likelihood of v; negative (the end of the Gibbs chain) is held
// constant. Its value is not a log-likelihood.
func (m Model) Loss(scope *model.Scope, v, negative *Node) *Node {
	m.check(v)
	m.check(negative)
	w, b, c := m.vars(scope, v.Graph())
	negative = StopGradient(negative)
	return Sub(ReduceAllMean(m.freeEnergy(v, m.hiddenInput(v, w, c), b)),
		ReduceAllMean(m.freeEnergy(negative, m.hiddenInput(negative, w, c), b)))
}

func (m Model) check(v *Node) {
	if s := v.Shape(); s.Rank() != 2 || s.Dimensions[1] != m.Visible || !s.DType.IsFloat() {
		panic(fmt.Errorf("rbm: visible states must be float [batch, %d], got %s", m.Visible, s))
	}
}
