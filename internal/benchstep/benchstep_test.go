package benchstep

import (
	"errors"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{ms(3, 1, 2), 2 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond},
		{ms(7), 7 * time.Millisecond},
		{nil, 0},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestTime(t *testing.T) {
	boom := errors.New("boom")
	d, err := Time(func() error { time.Sleep(5 * time.Millisecond); return boom })
	if err != boom || d < 5*time.Millisecond {
		t.Errorf("Time = %v, %v; want ≥ 5ms and the function's error", d, err)
	}
}

// BenchmarkSleep checks the whole path: setup once, then the reported
// metrics (run with go test -bench Sleep ./internal/benchstep).
func BenchmarkSleep(b *testing.B) {
	setups := 0
	b.Run("eval", func(b *testing.B) {
		Measure(b, 10, "naps", func() (Step, error) {
			setups++
			return func() (time.Duration, error) {
				return Time(func() error { time.Sleep(time.Millisecond); return nil })
			}, nil
		})
	})
	if setups != 1 {
		b.Errorf("setup ran %d times, want 1", setups)
	}
}
