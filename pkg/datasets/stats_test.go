package datasets

import (
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

func TestPixelStats(t *testing.T) {
	s := indexedImages(300) // 2 channels
	mean, std := s.PixelStats()
	// Direct two-pass computation over the float values.
	for c := range 2 {
		var sum float64
		var values []float64
		for i := c; i < len(s.Pixels); i += 2 {
			values = append(values, float64(s.Pixels[i])/255)
			sum += float64(s.Pixels[i]) / 255
		}
		mu := sum / float64(len(values))
		var ss float64
		for _, v := range values {
			ss += (v - mu) * (v - mu)
		}
		sigma := math.Sqrt(ss / float64(len(values)))
		if math.Abs(mean[c]-mu) > 1e-12 || math.Abs(std[c]-sigma) > 1e-12 {
			t.Errorf("channel %d: got mean %v std %v, want %v %v", c, mean[c], std[c], mu, sigma)
		}
	}
}

// TestPixelStatsMNIST compares with the normalisation constants every MNIST
// tutorial uses, mean 0.1307 and std 0.3081 over the training set.
func TestPixelStatsMNIST(t *testing.T) {
	dir := requireShared(t, "mnist")
	train, err := ReadIDXImages("mnist/train", filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz"), MNISTClasses)
	if err != nil {
		t.Fatal(err)
	}
	mean, std := train.PixelStats()
	if math.Abs(mean[0]-0.1307) > 5e-5 || math.Abs(std[0]-0.3081) > 5e-5 {
		t.Errorf("MNIST mean %.5f std %.5f, want 0.1307 and 0.3081", mean[0], std[0])
	}
}

func TestSampleAndByClass(t *testing.T) {
	s := indexedImages(100)
	a := s.Sample(10, 1)
	if len(a) != 10 || !slices.Equal(a, s.Sample(10, 1)) || slices.Equal(a, s.Sample(10, 2)) {
		t.Errorf("Sample: %v is not 10 indices reproducible by seed", a)
	}
	sorted := slices.Sorted(slices.Values(a))
	if len(slices.Compact(sorted)) != 10 {
		t.Errorf("Sample repeated an index: %v", a)
	}
	byClass := s.ByClass(3, 1)
	if len(byClass) != 30 {
		t.Fatalf("ByClass(3) gave %d indices, want 30", len(byClass))
	}
	for k, i := range byClass {
		if int(s.Labels[i]) != k/3 {
			t.Errorf("index %d of ByClass is image %d of class %d, want class %d", k, i, s.Labels[i], k/3)
		}
	}
}

func TestGrid(t *testing.T) {
	gray := &Images{Name: "gray", Height: 2, Width: 3, Channels: 1, Classes: []string{"x", "y"},
		Pixels: []byte{1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, Labels: []byte{0, 1}}
	img, captions := gray.Grid([]int{1, 0, 1}, GridLayout{Cols: 2, Gap: 1, Scale: 2})
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("Grid of gray images is a %T, want *image.Gray", img)
	}
	// 2 columns of 6-pixel-wide tiles with 3 gaps; 2 rows of 4-pixel-high tiles.
	if b := g.Bounds(); b.Dx() != 1+2*(6+1) || b.Dy() != 1+2*(4+1) {
		t.Errorf("bounds %v, want 15×11", b)
	}
	if !slices.Equal(captions, []string{"y", "x", "y"}) {
		t.Errorf("captions %v", captions)
	}
	// Tile 1 (image 0) starts at x = 1+6+1 = 8, y = 1; its pixel (row 1, col 2) = 6
	// covers grid pixels x 8+4..8+5, y 1+2..1+3.
	if got := g.GrayAt(8+5, 1+3).Y; got != 6 {
		t.Errorf("pixel of tile 1: %d, want 6", got)
	}
	if got := g.GrayAt(0, 0); got != GridBackground {
		t.Errorf("gap pixel %v, want the background", got)
	}
	// The empty fourth cell is background.
	if got := g.GrayAt(8+1, 6+1); got != GridBackground {
		t.Errorf("empty cell pixel %v, want the background", got)
	}

	rgb := &Images{Name: "rgb", Height: 1, Width: 1, Channels: 3, Classes: []string{"c"},
		Pixels: []byte{200, 100, 50}, Labels: []byte{0}}
	img, _ = rgb.Grid([]int{0}, GridLayout{})
	if got := img.At(0, 0); got != (color.RGBA{200, 100, 50, 255}) {
		t.Errorf("RGB pixel %v", got)
	}
}
