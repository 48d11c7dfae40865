package datasets

import (
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestTensors(t *testing.T) {
	s := &Images{Name: "tiny", Height: 1, Width: 2, Channels: 3, Classes: []string{"a", "b", "c"},
		Pixels: []byte{0, 255, 51, 1, 2, 3, 10, 20, 30, 40, 50, 60}, Labels: []byte{2, 0}}

	images := s.ImagesTensor()
	if images.DType() != dtypes.Float32 || !slices.Equal(images.Shape().Dimensions, []int{2, 1, 2, 3}) {
		t.Errorf("ImagesTensor shape %s, want float32 [2 1 2 3]", images.Shape())
	}
	want := make([]float32, len(s.Pixels))
	for i, b := range s.Pixels {
		want[i] = float32(b) / 255
	}
	if got := tensors.MustCopyFlatData[float32](images); !slices.Equal(got, want) {
		t.Errorf("ImagesTensor values %v, want %v", got, want)
	}
	flat := s.FlatImagesTensor()
	if !slices.Equal(flat.Shape().Dimensions, []int{2, 6}) {
		t.Errorf("FlatImagesTensor shape %s, want [2 6]", flat.Shape())
	}
	if got := tensors.MustCopyFlatData[float32](flat); !slices.Equal(got, want) {
		t.Error("FlatImagesTensor values differ from ImagesTensor's")
	}

	labels := s.LabelsTensor()
	if labels.DType() != dtypes.Int32 || !slices.Equal(labels.Shape().Dimensions, []int{2, 1}) {
		t.Errorf("LabelsTensor shape %s, want int32 [2 1]", labels.Shape())
	}
	if got := tensors.MustCopyFlatData[int32](labels); !slices.Equal(got, []int32{2, 0}) {
		t.Errorf("LabelsTensor %v, want [2 0]", got)
	}
	oneHot := s.OneHotTensor()
	if !slices.Equal(oneHot.Shape().Dimensions, []int{2, 3}) {
		t.Errorf("OneHotTensor shape %s, want [2 3]", oneHot.Shape())
	}
	if got := tensors.MustCopyFlatData[float32](oneHot); !slices.Equal(got, []float32{0, 0, 1, 1, 0, 0}) {
		t.Errorf("OneHotTensor %v", got)
	}
}

// TestImagesTensorLarge covers the parallel conversion.
func TestImagesTensorLarge(t *testing.T) {
	s := indexedImages(1 << 17) // 1 MiB of pixels, several chunks
	got := tensors.MustCopyFlatData[float32](s.FlatImagesTensor())
	for i, b := range s.Pixels {
		if got[i] != float32(b)/255 {
			t.Fatalf("value %d is %v, want %v", i, got[i], float32(b)/255)
		}
	}
}
