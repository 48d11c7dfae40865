package gaussfit

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// testBackend is the pure-Go backend, whatever GOMLX_BACKEND says.
var testBackend = sync.OnceValue(func() compute.Backend {
	backend, err := compute.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	return backend
})

// evaluate returns the value of loss at theta and its gradient.
func evaluate(t *testing.T, loss Loss, theta []float64) (float64, []float64) {
	t.Helper()
	ev, err := graphx.Evaluate(testBackend(), func(x *Node) *Node { return loss(x) }, theta)
	if err != nil {
		t.Fatalf("evaluating the loss at %v: %v", theta, err)
	}
	return ev.Value[0], ev.Gradients[0]
}

// evaluateSampled returns the value of loss at theta with noise eps and its
// gradient with respect to theta.
func evaluateSampled(t *testing.T, loss SampledLoss, theta []float64, eps any) (float64, []float64) {
	t.Helper()
	ev, err := graphx.Evaluate(testBackend(), func(th, e *Node) *Node { return loss(th, e) }, theta, eps)
	if err != nil {
		t.Fatalf("evaluating the loss at %v: %v", theta, err)
	}
	return ev.Value[0], ev.Gradients[0]
}

// checkGradient compares the gradient of f at theta, by automatic
// differentiation, with central finite differences of its value.
func checkGradient(t *testing.T, name string, f func(theta []float64) (float64, []float64), theta []float64) {
	t.Helper()
	_, grad := f(theta)
	for i := range theta {
		h := 1e-5 * max(1, math.Abs(theta[i]))
		plus, minus := append([]float64(nil), theta...), append([]float64(nil), theta...)
		plus[i] += h
		minus[i] -= h
		fp, _ := f(plus)
		fm, _ := f(minus)
		numeric := (fp - fm) / (2 * h)
		if math.Abs(numeric-grad[i]) > 1e-6*(1+math.Abs(numeric)) {
			t.Errorf("%s: ∂/∂θ%d at %v = %.10g by autodiff, %.10g by finite differences", name, i, theta, grad[i], numeric)
		}
	}
}

// close reports whether a and b agree within tol, absolutely or relatively.
func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*max(1, math.Abs(b))
}

// seedGrid is the bimodal target of seed 002 on the seed's grid.
func seedGrid(t *testing.T) *Grid {
	t.Helper()
	g, err := NewGrid(mixture.Linspace(-15, 15, 1000), mixture.Bimodal().LogPDF)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// reference holds testdata/reference.json (see gen_reference.py).
type reference struct {
	Optimizers map[string]struct {
		Params [][]float64 `json:"params"`
		Loss   []float64   `json:"loss"`
	} `json:"optimizers"`
	Seed002 []struct {
		Steps           int
		Mu, Sigma, Loss float64
	} `json:"seed002"`
}

var loadReference = sync.OnceValues(func() (*reference, error) {
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		return nil, err
	}
	var r reference
	return &r, json.Unmarshal(data, &r)
})

func mustReference(t *testing.T) *reference {
	t.Helper()
	r, err := loadReference()
	if err != nil {
		t.Fatalf("testdata/reference.json: %v", err)
	}
	return r
}
