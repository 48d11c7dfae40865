package datasets

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// GridLayout arranges the tiles of a Grid.
type GridLayout struct {
	Cols  int // tiles per row; ≤ 0 chooses ⌈√n⌉ for n tiles
	Gap   int // pixels of background between tiles and around the grid; 0 for none
	Scale int // each image pixel becomes Scale×Scale grid pixels; ≤ 1 for 1
}

// GridBackground is the colour of a grid's gaps and of the unused cells of its last row.
var GridBackground = color.Gray{Y: 255}

// Grid draws the images at indices as tiles of a grid, row by row, and returns
// the picture and the class names of the tiles in the same order (to caption
// them in a plot). Grayscale images give an *image.Gray, RGB images an
// *image.RGBA. It panics if an index is out of range or the images have a
// channel count other than 1 or 3.
func (s *Images) Grid(indices []int, layout GridLayout) (image.Image, []string) {
	if s.Channels != 1 && s.Channels != 3 {
		panic(fmt.Sprintf("datasets: Grid of %s: images with %d channels; only 1 (gray) or 3 (RGB) can be drawn", s.Name, s.Channels))
	}
	n := len(indices)
	cols := layout.Cols
	if cols <= 0 {
		cols = max(1, int(math.Ceil(math.Sqrt(float64(n)))))
	}
	rows := max(1, (n+cols-1)/cols)
	scale := max(layout.Scale, 1)
	gap := max(layout.Gap, 0)
	tileW, tileH := s.Width*scale, s.Height*scale
	bounds := image.Rect(0, 0, gap+cols*(tileW+gap), gap+rows*(tileH+gap))

	var img interface {
		image.Image
		Set(x, y int, c color.Color)
	}
	if s.Channels == 1 {
		img = image.NewGray(bounds)
	} else {
		img = image.NewRGBA(bounds)
	}
	for y := range bounds.Dy() {
		for x := range bounds.Dx() {
			img.Set(x, y, GridBackground)
		}
	}
	captions := make([]string, n)
	for k, i := range indices {
		if i < 0 || i >= s.Len() {
			panic(fmt.Sprintf("datasets: Grid of %s: index %d out of range [0, %d)", s.Name, i, s.Len()))
		}
		captions[k] = s.ClassName(int(s.Labels[i]))
		x0, y0 := gap+(k%cols)*(tileW+gap), gap+(k/cols)*(tileH+gap)
		pixels := s.Image(i)
		for y := range tileH {
			for x := range tileW {
				p := ((y/scale)*s.Width + x/scale) * s.Channels
				var c color.Color
				if s.Channels == 1 {
					c = color.Gray{Y: pixels[p]}
				} else {
					c = color.RGBA{R: pixels[p], G: pixels[p+1], B: pixels[p+2], A: 255}
				}
				img.Set(x0+x, y0+y, c)
			}
		}
	}
	return img, captions
}

// Picture returns image i alone, as Grid draws it: an *image.Gray or an
// *image.RGBA of the image's size.
func (s *Images) Picture(i int) image.Image {
	img, _ := s.Grid([]int{i}, GridLayout{Cols: 1})
	return img
}
