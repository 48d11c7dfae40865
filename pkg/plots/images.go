package plots

import (
	"fmt"
	"image"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ImageGrid returns a figure of the images in rows of cols tiles, each image
// drawn in a tile×tile square, titled with its caption (a class name, or
// "true → predicted"). Small images are enlarged with square pixels, not
// smoothed.
func ImageGrid(images []image.Image, captions []string, cols int, tile vg.Length) (*Figure, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("plots.ImageGrid: no images")
	}
	if len(captions) != 0 && len(captions) != len(images) {
		return nil, fmt.Errorf("plots.ImageGrid: %d captions for %d images", len(captions), len(images))
	}
	if cols <= 0 {
		return nil, fmt.Errorf("plots.ImageGrid: %d columns, want at least 1", cols)
	}
	ps := make([]*plot.Plot, len(images))
	for i, img := range images {
		p := plot.New()
		b := img.Bounds()
		p.Add(plotter.NewImage(enlarge(img, pixelsPerImagePixel), 0, 0, float64(b.Dx()), float64(b.Dy())))
		p.HideAxes()
		if len(captions) > 0 {
			p.Title.Text = captions[i]
			p.Title.TextStyle.Font.Size = vg.Points(9)
		}
		ps[i] = p
	}
	height := tile
	if len(captions) > 0 {
		height += vg.Points(14) // The title's line.
	}
	return Tiles(cols, tile, height, ps...), nil
}

// pixelsPerImagePixel is how much ImageGrid enlarges images before they are
// drawn: enough that the renderer's smoothing, when it shrinks them to the
// tile, no longer blurs one image pixel into its neighbours.
const pixelsPerImagePixel = 8

// enlarge returns img scaled by an integer factor, each pixel becoming a
// factor×factor square.
func enlarge(img image.Image, factor int) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*factor, b.Dy()*factor))
	for y := range b.Dy() * factor {
		for x := range b.Dx() * factor {
			out.Set(x, y, img.At(b.Min.X+x/factor, b.Min.Y+y/factor))
		}
	}
	return out
}
