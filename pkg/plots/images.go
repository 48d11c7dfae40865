package plots

import (
	"fmt"
	"image"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ImageGrid returns a figure of the images in rows of cols tiles, each tile
// wide, titled with its caption (a class name, or "true → predicted"). Every
// image keeps its shape: it is drawn tile wide and as tall as its aspect
// ratio makes it (a 280×84 mosaic of digits is 0.3 tile tall), and a row is
// as tall as its tallest image; a narrower image is centred in its tile.
// Small images are enlarged with square pixels, not smoothed.
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
	for i, img := range images {
		if b := img.Bounds(); b.Empty() {
			return nil, fmt.Errorf("plots.ImageGrid: image %d is empty (%v)", i, b)
		}
	}
	cols = min(cols, len(images))
	style := plot.New().Title.TextStyle
	style.Font.Size = vg.Points(9)
	captionH := vg.Length(0)
	if len(captions) > 0 {
		captionH = style.Height("Mg") + vg.Points(3)
	}
	gap := vg.Millimeter
	// Each image's height when drawn tile wide; each row's height.
	var rowH []vg.Length
	for i, img := range images {
		b := img.Bounds()
		h := tile * vg.Length(b.Dy()) / vg.Length(b.Dx())
		if i%cols == 0 {
			rowH = append(rowH, 0)
		}
		rowH[len(rowH)-1] = max(rowH[len(rowH)-1], h)
	}
	f := &Figure{Width: vg.Length(cols)*tile + vg.Length(cols-1)*gap}
	for _, h := range rowH {
		f.Height += captionH + h
	}
	f.Height += vg.Length(len(rowH)-1) * gap
	enlarged := make([]image.Image, len(images))
	for i, img := range images {
		enlarged[i] = enlarge(img, pixelsPerImagePixel)
	}
	f.paint = func(c draw.Canvas) {
		top := c.Max.Y
		for r, h := range rowH {
			for k := range cols {
				i := r*cols + k
				if i >= len(images) {
					break
				}
				left := c.Min.X + vg.Length(k)*(tile+gap)
				if len(captions) > 0 {
					drawCaption(c, style, captions[i], vg.Point{X: left + tile/2, Y: top - captionH})
				}
				b := images[i].Bounds()
				ih := tile * vg.Length(b.Dy()) / vg.Length(b.Dx())
				y := top - captionH - (h-ih)/2 - ih
				c.DrawImage(vg.Rectangle{Min: vg.Point{X: left, Y: y}, Max: vg.Point{X: left + tile, Y: y + ih}}, enlarged[i])
			}
			top -= captionH + h + gap
		}
	}
	return f, nil
}

// drawCaption writes s centred on at's x, its baseline's descent above at.
func drawCaption(c draw.Canvas, style text.Style, s string, at vg.Point) {
	style.XAlign = draw.XCenter
	style.YAlign = draw.YBottom
	c.FillText(style, vg.Point{X: at.X, Y: at.Y + style.FontExtents().Descent}, s)
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
