package course

import (
	"math/rand/v2"
	"testing"
)

// Rand is math/rand's PCG generator of (seed, stream): the numbers the
// notebooks drew before it existed.
func TestRand(t *testing.T) {
	a, b := Rand(4, 1), rand.New(rand.NewPCG(4, 1))
	for range 20 {
		if x, y := a.NormFloat64(), b.NormFloat64(); x != y {
			t.Fatalf("Rand(4, 1) gave %v, rand.New(rand.NewPCG(4, 1)) %v", x, y)
		}
	}
	if Rand(4, 1).Uint64() == Rand(4, 2).Uint64() {
		t.Error("two streams of one seed start alike")
	}
}
