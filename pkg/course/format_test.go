package course

import "testing"

func TestJoin(t *testing.T) {
	if got := Join([]float64{0.1, 0.4, 0.5}, "%.1f"); got != "0.1, 0.4, 0.5" {
		t.Errorf("Join floats = %q", got)
	}
	if got := Join([]int{1, 10, 100}, "%d"); got != "1, 10, 100" {
		t.Errorf("Join ints = %q", got)
	}
	if got := Join([]float32{}, "%g"); got != "" {
		t.Errorf("Join of nothing = %q", got)
	}
}
