package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/klcourse/klcourse/internal/machine"
	"github.com/klcourse/klcourse/pkg/convnet"
)

// The CIFAR CNN against the machine (issue 29): the FLOPs of one training
// step, counted from the layer shapes of pkg/convnet's network, and the
// fraction of the CPU's FP32 peak that the bench's throughput reaches.

// cifarImage is the shape of a CIFAR-10 image: height, width, channels.
var cifarImage = [3]int{32, 32, 3}

// A layerFLOPs is one layer's multiply-adds, counted as 2 FLOPs each.
type layerFLOPs struct {
	Layer   string  `json:"layer"`
	Shape   string  `json:"shape"`
	Forward float64 `json:"forward_per_image"`
}

// cnnFLOPs counts the FLOPs of the convolutions and dense layers of c on
// one image (biases, activations, pooling, dropout, the loss and Adam are
// left out: they are a few FLOPs per value, not per multiply-add):
//
//	convolution k×k, valid: 2 · outH · outW · out · k·k·in
//	dense in → out:         2 · in · out
//
// and one training step's as forward + backward, where the backward pass of
// each layer computes the gradient of its input and of its weights, each a
// product the size of the forward one, except for the first convolution,
// whose input (the images) needs no gradient:
//
//	train = 3 · forward − conv1
//
// (≈ 3× forward). It returns the layers, the forward FLOPs per image and
// the training step's.
func cnnFLOPs(c convnet.CNN, image [3]int) ([]layerFLOPs, float64, float64) {
	h, w, in := image[0], image[1], image[2]
	conv := func(name string, h, w, in, out int) layerFLOPs {
		oh, ow := h-2, w-2
		return layerFLOPs{name, fmt.Sprintf("3×3 conv %d×%d×%d → %d×%d×%d", h, w, in, oh, ow, out), 2 * float64(oh*ow*out*9*in)}
	}
	dense := func(name string, in, out int) layerFLOPs {
		return layerFLOPs{name, fmt.Sprintf("dense %d → %d", in, out), 2 * float64(in*out)}
	}
	c1 := conv("conv1", h, w, in, c.Filters1)
	p1h, p1w := (h-2)/2, (w-2)/2
	c2 := conv("conv2", p1h, p1w, c.Filters1, c.Filters2)
	p2h, p2w := (p1h-2)/2, (p1w-2)/2
	layers := []layerFLOPs{c1, c2, dense("dense1", p2h*p2w*c.Filters2, c.Hidden), dense("dense2", c.Hidden, c.Classes)}
	var fwd float64
	for _, l := range layers {
		fwd += l.Forward
	}
	return layers, fwd, 3*fwd - c1.Forward
}

// A cpuPeak is the FP32 peak of this machine's CPU, computed from what
// /proc/cpuinfo says and stated assumptions.
type cpuPeak struct {
	Cores         int      `json:"cores"`
	MHz           float64  `json:"mhz"`           // /proc/cpuinfo's "cpu MHz" (under a hypervisor: the nominal clock)
	Vector        string   `json:"vector"`        // widest FMA vector ISA in the flags
	VectorBits    int      `json:"vector_bits"`   // its register width
	DatapathBits  int      `json:"datapath_bits"` // the width the core executes per FMA unit
	FMAUnits      int      `json:"fma_units"`     // per core (an assumption)
	FLOPsPerCycle int      `json:"flops_per_cycle"`
	GFLOPS        float64  `json:"gflops"`     // cores × clock × FLOPs per cycle
	ISAGFLOPS     float64  `json:"isa_gflops"` // the same with the register width as datapath
	Assumptions   []string `json:"-"`          // peakAssumptions
}

// readPeak computes the peak from a /proc/cpuinfo text and the core count.
func readPeak(cpuinfo string, cores int) (cpuPeak, error) {
	p := cpuPeak{Cores: cores, FMAUnits: 2}
	var flags []string
	family := -1
	vendor := ""
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "cpu MHz":
			if p.MHz == 0 {
				p.MHz, _ = strconv.ParseFloat(v, 64)
			}
		case "flags":
			if flags == nil {
				flags = strings.Fields(v)
			}
		case "cpu family":
			if family < 0 {
				family, _ = strconv.Atoi(v)
			}
		case "vendor_id":
			vendor = v
		}
	}
	if p.MHz <= 0 || flags == nil {
		return p, fmt.Errorf("/proc/cpuinfo: no clock (cpu MHz) or no flags")
	}
	has := func(f string) bool {
		for _, x := range flags {
			if x == f {
				return true
			}
		}
		return false
	}
	switch {
	case has("avx512f") && has("fma"):
		p.Vector, p.VectorBits = "avx512f+fma", 512
	case has("avx2") && has("fma"):
		p.Vector, p.VectorBits = "avx2+fma", 256
	case has("avx"):
		p.Vector, p.VectorBits, p.FMAUnits = "avx (no fma)", 256, 1
	default:
		p.Vector, p.VectorBits, p.FMAUnits = "sse", 128, 1
	}
	p.DatapathBits = p.VectorBits
	zen4 := vendor == "AuthenticAMD" && family == 25 && p.VectorBits == 512
	if zen4 {
		// AMD family 19h with AVX-512 is Zen 4: its FP unit has two 256-bit
		// FMA pipes and runs a 512-bit instruction as two halves.
		p.DatapathBits = 256
	}
	p.Assumptions = peakAssumptions(p)
	p.FLOPsPerCycle = p.FMAUnits * (p.DatapathBits / 32) * 2
	p.GFLOPS = float64(p.Cores) * p.MHz / 1e3 * float64(p.FLOPsPerCycle)
	p.ISAGFLOPS = float64(p.Cores) * p.MHz / 1e3 * float64(p.FMAUnits*(p.VectorBits/32)*2)
	return p, nil
}

// A coreMeasure is what measureCore found on one core.
type coreMeasure struct {
	GHz           float64         `json:"ghz"`                     // dependent additions per second
	FLOPsPerCycle map[int]float64 `json:"flops_per_cycle_by_bits"` // FP32, by FMA vector width
	Load          float64         `json:"load_average"`            // when measured
	GFLOPS        float64         `json:"gflops"`                  // cores × GHz × the best FLOPs per cycle
}

// peakAssumptions states what the peak p assumes.
func peakAssumptions(p cpuPeak) []string {
	a := []string{
		fmt.Sprintf("%d FMA units per core, each completing one %d-bit fused multiply-add (2 FLOPs per FP32 lane) per cycle", p.FMAUnits, p.DatapathBits),
		fmt.Sprintf("the clock is /proc/cpuinfo's %.0f MHz on every core; boost clocks above it would lower the fractions", p.MHz),
	}
	if p.DatapathBits < p.VectorBits {
		a = append(a, "AMD family 25 (19h) with AVX-512 is Zen 4, whose two FMA pipes are 256 bits wide: a 512-bit FMA occupies a pipe for two halves, so the peak counts 256-bit lanes; the register-width figure (isa_gflops) is shown beside it")
	}
	return a
}

// A cnnMachine is the CIFAR CNN's training step against the machine.
type cnnMachine struct {
	Batch        int          `json:"batch"`
	Layers       []layerFLOPs `json:"layers"`
	ForwardFLOPs float64      `json:"forward_flops_per_image"`
	TrainFLOPs   float64      `json:"train_flops_per_image"`
	StepGFLOP    float64      `json:"train_step_gflop"`
	Formula      string       `json:"formula"`
	TorchCheck   *torchFLOPs  `json:"torch_check,omitempty"`
	Peak         cpuPeak      `json:"peak"`
	Throughput   float64      `json:"images_per_s,omitempty"` // GoMLX, from the bench JSON
	GFLOPS       float64      `json:"gflops,omitempty"`
	OfPeak       float64      `json:"fraction_of_peak,omitempty"`
	OfISAPeak    float64      `json:"fraction_of_isa_peak,omitempty"`
	Peers        []peerFLOPs  `json:"peers,omitempty"`
	Gemm         *gemmCeiling `json:"gemm,omitempty"`
	GemmLoad     float64      `json:"gemm_load_average,omitempty"`
	Measured     *coreMeasure `json:"measured,omitempty"`
	OfMeasured   float64      `json:"fraction_of_measured_peak,omitempty"`
	MeasureErr   string       `json:"measure_error,omitempty"`
}

type peerFLOPs struct {
	Peer   string  `json:"peer"`
	PerS   float64 `json:"images_per_s"`
	GFLOPS float64 `json:"gflops"`
	OfPeak float64 `json:"fraction_of_peak"`
}

// torchFLOPs is what the driver's --flops prints for the CNN.
type torchFLOPs struct {
	Batch     int                `json:"batch"`
	Forward   float64            `json:"forward"`
	TrainStep float64            `json:"train_step"`
	ByOp      map[string]float64 `json:"train_step_by_op"`
}

// gemmCeiling is what the driver's --gemm prints.
type gemmCeiling struct {
	N           int     `json:"n"`
	Reps        int     `json:"reps"`
	TorchGFLOPS float64 `json:"torch_gflops"`
	JAXGFLOPS   float64 `json:"jax_gflops"`
}

const cnnFormula = "per image: conv k×k valid = 2·outH·outW·out·k²·in, dense = 2·in·out; forward = sum over conv1, conv2, dense1, dense2; train step = 3·forward − conv1 (backward: input and weight gradients of every layer, no input gradient for the images)"

// cnnAgainstMachine counts the CNN's FLOPs, checks them against PyTorch's
// count when the peers are there, and relates the bench's throughput (res,
// the cnn train row of the bench JSON) to the CPU's peak.
func cnnAgainstMachine(res *benchResult, peers *peerRunner, threads int) (*cnnMachine, error) {
	layers, fwd, train := cnnFLOPs(convnet.SeedCNN(), cifarImage)
	c := &cnnMachine{Batch: 250, Layers: layers, ForwardFLOPs: fwd, TrainFLOPs: train, Formula: cnnFormula}
	c.StepGFLOP = train * float64(c.Batch) / 1e9
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil, fmt.Errorf("the CPU's peak needs /proc/cpuinfo: %w", err)
	}
	if c.Peak, err = readPeak(string(info), runtime.NumCPU()); err != nil {
		return nil, err
	}
	load := machine.LoadAverage()
	if m, err := measureCore(); err != nil {
		c.MeasureErr = err.Error()
	} else {
		m.Load = load
		var best float64
		for _, f := range m.FLOPsPerCycle {
			best = max(best, f)
		}
		m.GFLOPS = float64(c.Peak.Cores) * m.GHz * best
		c.Measured = m
	}
	if res != nil {
		c.Throughput = res.GoMLX.PerS
		c.GFLOPS = c.Throughput * train / 1e9
		c.OfPeak = c.GFLOPS / c.Peak.GFLOPS
		c.OfISAPeak = c.GFLOPS / c.Peak.ISAGFLOPS
		if c.Measured != nil && c.Measured.GFLOPS > 0 {
			c.OfMeasured = c.GFLOPS / c.Measured.GFLOPS
		}
		for _, p := range res.Peers {
			if p.Speed != nil {
				g := p.Speed.PerS * train / 1e9
				c.Peers = append(c.Peers, peerFLOPs{p.Peer, p.Speed.PerS, g, g / c.Peak.GFLOPS})
			}
		}
	}
	if peers != nil {
		lines, err := peers.run("--flops", "--models", "cnn")
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			var x struct {
				Model string     `json:"model"`
				FLOPs torchFLOPs `json:"flops"`
			}
			if json.Unmarshal([]byte(l), &x) == nil && x.Model == "cnn" {
				c.TorchCheck = &x.FLOPs
			}
		}
		c.GemmLoad = machine.LoadAverage()
		if lines, err = peers.run("--gemm", "--threads", strconv.Itoa(threads)); err != nil {
			return nil, err
		}
		for _, l := range lines {
			var x struct {
				Gemm *gemmCeiling `json:"gemm"`
			}
			if json.Unmarshal([]byte(l), &x) == nil && x.Gemm != nil {
				c.Gemm = x.Gemm
			}
		}
	}
	return c, nil
}
