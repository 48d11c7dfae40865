package bench

import "golang.org/x/sys/cpu"

func addChain(n int64) int64
func fma256(n int64)
func fma512(n int64)

// fmaKernels are the FMA loops this CPU can run, by vector width in bits.
func fmaKernels() map[int]func(int64) {
	k := map[int]func(int64){}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		k[256] = fma256
	}
	if cpu.X86.HasAVX512F {
		k[512] = fma512
	}
	return k
}

// fmaPerIteration is the number of FMA instructions in one iteration of
// the fma loops.
const fmaPerIteration = 12

// addsPerIteration is the number of dependent additions in one iteration
// of addChain.
const addsPerIteration = 16
