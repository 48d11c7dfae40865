package rbm

import (
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/testbackends"
)

// splitMix64 is the published reference stream (Vigna's splitmix64.c) of the
// seed x: its first outputs for x = 1234567 are the test vector below.
func splitMix64(x uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		out[i] = z ^ (z >> 31)
	}
	return out
}

func TestSplitMixReference(t *testing.T) {
	// The first five outputs of splitmix64.c seeded with 1234567.
	want := []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}
	for i, w := range splitMix64(1234567, 5) {
		if w != want[i] {
			t.Fatalf("splitmix64 output %d = %d, want %d", i, w, want[i])
		}
	}
}

// TestUniforms: the graph's numbers are the reference stream's words, top 24
// bits first, then bottom 24 bits, continued across calls by the state, the
// same on every backend; odd sizes drop the last bottom half.
func TestUniforms(t *testing.T) {
	const key = 1234567
	words := splitMix64(key, 5+3)
	for _, b := range testbackends.List(t) {
		exec, err := graph.NewExec(b.Backend, func(state *graph.Node) []*graph.Node {
			s, u := uniforms(state, 2, 5)
			s, v := uniforms(s, 5)
			return []*graph.Node{s, u, v}
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromValue([]uint64{key, 0}))
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		state := tensors.MustCopyFlatData[uint64](out[0])
		if state[0] != key || state[1] != 8 {
			t.Errorf("%s: state after 10 + 5 numbers = %v, want [%d 8] (8 words used)", b.Name, state, key)
		}
		u := tensors.MustCopyFlatData[float32](out[1])
		v := tensors.MustCopyFlatData[float32](out[2])
		for i := range 5 {
			top, bottom := float32(words[i]>>40)/(1<<24), float32(words[i]&(1<<24-1))/(1<<24)
			if u[i] != top || u[5+i] != bottom {
				t.Errorf("%s: numbers %d and %d = %v, %v, want %v, %v (word %d's top and bottom 24 bits)", b.Name, i, 5+i, u[i], u[5+i], top, bottom, i)
			}
		}
		for i := range 3 {
			if want := float32(words[5+i]>>40) / (1 << 24); v[i] != want {
				t.Errorf("%s: second call's number %d = %v, want %v", b.Name, i, v[i], want)
			}
		}
		for i := range 2 {
			if want := float32(words[5+i]&(1<<24-1)) / (1 << 24); v[3+i] != want {
				t.Errorf("%s: second call's number %d = %v, want %v", b.Name, 3+i, v[3+i], want)
			}
		}
	}
}

// TestUniformsAreUniform: a million numbers have the mean, variance and
// decile counts of the uniform distribution within 5 standard errors.
func TestUniformsAreUniform(t *testing.T) {
	b := testbackends.Go(t)
	const n = 1 << 20
	u, err := graph.ExecOnce(b, func(state *graph.Node) *graph.Node { _, u := uniforms(state, n); return u }, uniformState(7, 1))
	if err != nil {
		t.Fatal(err)
	}
	xs := tensors.MustCopyFlatData[float32](u)
	var sum, sq float64
	counts := make([]int, 10)
	for _, x := range xs {
		if x < 0 || x >= 1 {
			t.Fatalf("number %v outside [0, 1)", x)
		}
		sum += float64(x)
		sq += float64(x) * float64(x)
		counts[int(x*10)]++
	}
	mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
	if d := mean - 0.5; d*d > 25*(1.0/12)/n {
		t.Errorf("mean %v, want 0.5 within 5 standard errors", mean)
	}
	if d := variance - 1.0/12; d*d > 25*(1.0/180)/n {
		t.Errorf("variance %v, want 1/12 within 5 standard errors", variance)
	}
	for k, c := range counts {
		if d := float64(c) - n/10.0; d*d > 25*n*0.1*0.9 {
			t.Errorf("decile %d holds %d numbers, want %d within 5 standard errors", k, c, n/10)
		}
	}
}
