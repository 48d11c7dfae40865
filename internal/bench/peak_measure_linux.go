//go:build linux

package bench

import (
	"errors"
	"runtime"

	"golang.org/x/sys/unix"
)

// measureCore times, on one core, a chain of dependent additions (one cycle
// each) for the clock, and loops of independent FMA instructions of each
// vector width this CPU has for the FP32 FLOPs per cycle. Times are the
// thread's CPU time, so that other programs on the machine lengthen them
// less than they lengthen wall time; each figure is the best of 5.
func measureCore() (*coreMeasure, error) {
	if runtime.GOARCH != "amd64" {
		return nil, errors.New("the measuring loops are written for amd64")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpuTime := func() float64 {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
			return 0
		}
		return float64(ts.Nano()) / 1e9
	}
	best := func(run func()) float64 {
		var fastest float64
		for range 5 {
			t := cpuTime()
			run()
			if dt := cpuTime() - t; dt > 0 && (fastest == 0 || dt < fastest) {
				fastest = dt
			}
		}
		return fastest
	}
	const adds = 20_000_000 // iterations: 3.2e8 cycles, about 0.1 s
	addChain(1_000_000)
	dt := best(func() { addChain(adds) })
	if dt <= 0 {
		return nil, errors.New("no thread CPU clock")
	}
	m := &coreMeasure{GHz: adds * addsPerIteration / dt / 1e9, FLOPsPerCycle: map[int]float64{}}
	const iters = 10_000_000
	for bits, loop := range fmaKernels() {
		loop(100_000)
		dt := best(func() { loop(iters) })
		flops := float64(iters) * fmaPerIteration * float64(bits/32) * 2
		m.FLOPsPerCycle[bits] = flops / dt / (m.GHz * 1e9)
	}
	return m, nil
}
