package datasets

import (
	"runtime"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// The conversions to GoMLX tensors. Pixels become float32 in [0, 1] (byte/255);
// labels become int32 of shape [n, 1], the "sparse" form that GoMLX's
// loss.SparseCategoricalCrossEntropyLogits and accuracy metrics take, or
// float32 one-hot rows for loss.CategoricalCrossEntropy. Each call returns a new
// tensor that the caller owns.

// unitScale maps a pixel byte b to b/255 in float32.
var unitScale = func() (t [256]float32) {
	for b := range t {
		t[b] = float32(b) / 255
	}
	return t
}()

// ImagesTensor returns all images as a float32 tensor [Len, Height, Width, Channels] with values in [0, 1].
func (s *Images) ImagesTensor() *tensors.Tensor {
	return s.imagesTensor(nil, false)
}

// FlatImagesTensor returns all images as a float32 tensor [Len, Height·Width·Channels]
// with values in [0, 1], each image flattened row by row (channels innermost).
func (s *Images) FlatImagesTensor() *tensors.Tensor {
	return s.imagesTensor(nil, true)
}

// LabelsTensor returns the labels as an int32 tensor [Len, 1].
func (s *Images) LabelsTensor() *tensors.Tensor {
	return s.labelsTensor(nil)
}

// OneHotTensor returns the labels one-hot encoded, a float32 tensor [Len, NumClasses]
// whose row i is 1 in column Labels[i] and 0 elsewhere.
func (s *Images) OneHotTensor() *tensors.Tensor {
	return s.oneHotTensor(nil)
}

// imagesTensor converts the images at indices (all images when indices is nil).
func (s *Images) imagesTensor(indices []int, flat bool) *tensors.Tensor {
	n := s.count(indices)
	dims := []int{n, s.Height, s.Width, s.Channels}
	if flat {
		dims = []int{n, s.Size()}
	}
	t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
	tensors.MustMutableFlatData(t, func(dst []float32) {
		if indices == nil {
			scaleParallel(dst, s.Pixels)
			return
		}
		size := s.Size()
		for k, i := range indices {
			out := dst[k*size : (k+1)*size]
			for j, b := range s.Pixels[i*size : (i+1)*size] {
				out[j] = unitScale[b]
			}
		}
	})
	return t
}

func (s *Images) labelsTensor(indices []int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Int32, s.count(indices), 1))
	tensors.MustMutableFlatData(t, func(dst []int32) {
		for k := range dst {
			dst[k] = int32(s.Labels[s.index(indices, k)])
		}
	})
	return t
}

func (s *Images) oneHotTensor(indices []int) *tensors.Tensor {
	classes := s.NumClasses()
	t := tensors.FromShape(shapes.Make(dtypes.Float32, s.count(indices), classes))
	tensors.MustMutableFlatData(t, func(dst []float32) {
		for k := range s.count(indices) {
			dst[k*classes+int(s.Labels[s.index(indices, k)])] = 1
		}
	})
	return t
}

func (s *Images) count(indices []int) int {
	if indices == nil {
		return s.Len()
	}
	return len(indices)
}

func (s *Images) index(indices []int, k int) int {
	if indices == nil {
		return k
	}
	return indices[k]
}

// scaleParallel sets dst[i] = src[i]/255, splitting a large conversion among
// the CPUs (it is bound by memory bandwidth and page faults, which parallelise).
func scaleParallel(dst []float32, src []uint8) {
	const chunk = 1 << 20
	workers := min(runtime.GOMAXPROCS(0), (len(src)+chunk-1)/chunk)
	if workers <= 1 {
		scale(dst, src)
		return
	}
	var wg sync.WaitGroup
	per := (len(src) + workers - 1) / workers
	for lo := 0; lo < len(src); lo += per {
		hi := min(lo+per, len(src))
		wg.Go(func() { scale(dst[lo:hi], src[lo:hi]) })
	}
	wg.Wait()
}

func scale(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = unitScale[b]
	}
}
