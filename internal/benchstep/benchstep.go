// Package benchstep times one step of a computation in a Go benchmark, the
// way "klcourse bench" and its peers, PyTorch and JAX (python/bench), measure
// every model of the course: the first step, which compiles the
// graph, is reported on its own; Warmup more steps run untimed; then b.N
// steps are timed one by one and the median gives the throughput.
//
// A benchmark of a package calls Measure once per mode, in a sub-benchmark
// named after the mode:
//
//	func BenchmarkAIS(b *testing.B) {
//		be := benchstep.Backend(b)
//		b.Run("eval", func(b *testing.B) {
//			benchstep.Measure(b, 100*1000, "chain-temps", func() (benchstep.Step, error) {
//				exec := ... // build once: compile the graph, make the state
//				return func() (time.Duration, error) {
//					x := ... // inputs, outside the timed region
//					return benchstep.Time(func() error { _, err := exec.Call(x); return err })
//				}, nil
//			})
//		})
//	}
//
// and reports, in the format "klcourse bench" parses,
//
//	UNIT/s        items per step / median step time (UNIT is "images", "samples", ...)
//	ms/step       median step time
//	first-step-s  the first step, graph compilation included
//	items/step    items, the UNITs one step processes
//
// A step must end by reading a result back (a loss, a sample), so that the
// time includes the computation and not only its launch.
package benchstep

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/klcourse/klcourse/pkg/backend"
)

// Warmup is the number of untimed steps after the first.
const Warmup = 2

// A Step runs one step and returns the time of the part that counts.
type Step func() (time.Duration, error)

// Time runs f and returns how long it took.
func Time(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

type state struct {
	step  Step
	first time.Duration
}

var (
	mu     sync.Mutex
	states = map[string]*state{}

	backendOnce sync.Once
	backendVal  compute.Backend
	backendErr  error
)

// Backend returns the backend pkg/backend chooses (GOMLX_BACKEND picks
// another), created once per test binary, and prints its description as the
// line "backend: ..." that "klcourse bench" reads.
func Backend(b *testing.B) compute.Backend {
	backendOnce.Do(func() {
		var desc string
		backendVal, desc, backendErr = backend.New()
		if backendErr == nil {
			fmt.Println(desc)
		}
	})
	if backendErr != nil {
		b.Fatal(backendErr)
	}
	return backendVal
}

// Measure times the step that setup returns: setup runs once per benchmark
// name (the testing package calls a benchmark several times, first with
// b.N = 1), followed by the first step and the warm-up steps. items is the
// number of UNITs one step processes; unit must be one word without spaces.
func Measure(b *testing.B, items int, unit string, setup func() (Step, error)) {
	if items < 1 || unit == "" || strings.ContainsAny(unit, " \t/") {
		b.Fatalf("benchstep.Measure: want items ≥ 1 and a one-word unit, got %d and %q", items, unit)
	}
	mu.Lock()
	st := states[b.Name()]
	mu.Unlock()
	if st == nil {
		step, err := setup()
		if err != nil {
			b.Fatalf("%s: setup: %v", b.Name(), err)
		}
		st = &state{step: step}
		if st.first, err = step(); err != nil {
			b.Fatalf("%s: first step: %v", b.Name(), err)
		}
		for range Warmup {
			if _, err := step(); err != nil {
				b.Fatalf("%s: warm-up step: %v", b.Name(), err)
			}
		}
		mu.Lock()
		states[b.Name()] = st
		mu.Unlock()
	}
	times := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range times {
		d, err := st.step()
		if err != nil {
			b.Fatalf("%s: step %d: %v", b.Name(), i+1, err)
		}
		times[i] = d
	}
	b.StopTimer()
	median := Median(times).Seconds()
	b.ReportMetric(float64(items)/median, unit+"/s")
	b.ReportMetric(median*1e3, "ms/step")
	b.ReportMetric(st.first.Seconds(), "first-step-s")
	b.ReportMetric(float64(items), "items/step")
}

// Median is the median of times (the mean of the two middle ones for an
// even count).
func Median(times []time.Duration) time.Duration {
	if len(times) == 0 {
		return 0
	}
	s := slices.Clone(times)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
