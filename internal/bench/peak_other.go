//go:build !amd64

package bench

func addChain(n int64) int64 { return 0 }

func fmaKernels() map[int]func(int64) { return nil }

const fmaPerIteration = 12

const addsPerIteration = 16
