package bench

// A benchModel is one row group of "klcourse bench": a Go benchmark that
// measures one or more modes with internal/benchstep, and the peers'
// workloads of the same name in python/bench/models/*.py.
//
// To add a model:
//  1. in its package, a benchmark BenchmarkXxx with one sub-benchmark per
//     mode ("train", "eval", "sample", ...), each calling benchstep.Measure;
//  2. a line below;
//  3. python/bench/models/NAME.py: the same computation in PyTorch and in
//     JAX, registered with @workload("NAME", modes=..., unit=...) and
//     @workload(..., framework="jax") (see python/bench/driver.py for the
//     protocol), with the same modes and unit.
type benchModel struct {
	name      string // the row's name, also the peers' workloads'
	pkg       string // the Go package of its benchmark, relative to the module root
	benchmark string // the Go benchmark function
	batch     int    // items per step, shown in the table
}

var benchModels = []benchModel{
	{"cnn", "./pkg/convnet", "BenchmarkCNN", 250},
	{"vae", "./pkg/vae", "BenchmarkVAE", 128},
	{"rbm", "./pkg/rbm", "BenchmarkRBM", 64},
	{"rbm-pcd", "./pkg/rbm", "BenchmarkRBMPCD", 64},
	{"rbm-ais", "./pkg/rbm", "BenchmarkAIS", 100 * 25},
	{"flow", "./pkg/flow", "BenchmarkFlow", 64},
	{"hmc", "./pkg/phi4", "BenchmarkHMC", 1},
	{"iwae", "./pkg/vae", "BenchmarkIWAE", 10 * 1000},
	{"gan_post", "./pkg/gan", "BenchmarkGANPost", 64},
	{"gan_mlp", "./pkg/gan", "BenchmarkGANMLP", 128},
	{"diffusion", "./pkg/diffusion", "BenchmarkDiffusion", 256},
}

func findBenchModel(name string) (benchModel, bool) {
	for _, m := range benchModels {
		if m.name == name {
			return m, true
		}
	}
	return benchModel{}, false
}

func benchModelNames() []string {
	var names []string
	for _, m := range benchModels {
		names = append(names, m.name)
	}
	return names
}
