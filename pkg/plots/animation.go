package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"path/filepath"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/safefile"
	"gonum.org/v1/plot/vg/vgimg"
)

// AnimationDPI is the default resolution of animation frames: one pixel per
// CSS pixel of a browser, which keeps an animation of a few dozen frames
// well under a megabyte.
const AnimationDPI = 96

// An Animation is a sequence of figures of one size shown one after the
// other, encoded as an animated GIF that loops forever: a way to show an
// optimisation move, kept in the saved notebook like the static figures.
//
// GIF images have at most 256 colours. The frames are reduced to a fixed
// palette (AnimationPalette: white, greys and the course palette with lighter
// tints for the anti-aliased edges of lines), without dithering, and every
// frame after the first stores only the rectangle that changed, with the
// unchanged pixels in it transparent. A line plot then costs a few kilobytes
// per frame.
type Animation struct {
	// Frames are the figures in the order shown; all must have the same
	// Width and Height.
	Frames []*Figure
	// Delay is how long each frame is shown, at least 10 ms; GIF counts in
	// hundredths of a second, so it is rounded to those.
	Delay time.Duration
	// Hold is how long the last frame is shown before the animation starts
	// over; 0 means Delay.
	Hold time.Duration
	// DPI is the resolution of the frames; 0 means AnimationDPI.
	DPI int
}

// AnimationPalette returns the colours animation frames are reduced to:
// transparent (index 0, for the unchanged pixels of later frames), white,
// black, 31 greys 8 levels apart, and each colour of Palette at full strength
// and blended with white at ¾, ½ and ¼ strength. The greys are close enough
// together that every grey of a frame (text, axes, grid lines and their
// anti-aliased edges) is nearer to one of them than to a pale tint, which
// would otherwise turn light grey lines pink or blue.
func AnimationPalette() color.Palette {
	p := color.Palette{color.RGBA{}, color.White, color.Black}
	for g := 0x08; g < 0xff; g += 0x08 {
		p = append(p, color.RGBA{uint8(g), uint8(g), uint8(g), 0xff})
	}
	for _, c := range Palette {
		r, g, b, _ := c.RGBA()
		for _, strength := range []uint32{4, 3, 2, 1} { // in quarters
			blend := func(v uint32) uint8 { return uint8((v>>8*strength + 0xff*(4-strength)) / 4) }
			p = append(p, color.RGBA{blend(r), blend(g), blend(b), 0xff})
		}
	}
	return p
}

// GIF renders the frames and encodes them as an animated GIF.
func (a *Animation) GIF() ([]byte, error) {
	if len(a.Frames) == 0 {
		return nil, fmt.Errorf("plots.Animation: no frames")
	}
	if a.Delay < 10*time.Millisecond || a.Hold < 0 {
		return nil, fmt.Errorf("plots.Animation: the delay must be at least 10ms and the hold not negative, got %v and %v", a.Delay, a.Hold)
	}
	dpi := a.DPI
	if dpi == 0 {
		dpi = AnimationDPI
	}
	if dpi < 0 {
		return nil, fmt.Errorf("plots.Animation: DPI must be positive, got %d", dpi)
	}
	w, h := a.Frames[0].Width, a.Frames[0].Height
	palette := AnimationPalette()
	quantize := newQuantizer(palette)
	out := &gif.GIF{}
	var previous *image.Paletted
	for i, f := range a.Frames {
		if f == nil || f.Width != w || f.Height != h {
			return nil, fmt.Errorf("plots.Animation: frame %d is %s, frame 0 is %v×%v: all frames must have one size", i, frameSize(f), w, h)
		}
		canvas := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
		f.render(canvas)
		full := quantize(canvas.Image())
		frame := full
		if previous != nil {
			frame = changes(previous, full)
		}
		previous = full
		delay := a.Delay
		if i == len(a.Frames)-1 && a.Hold > 0 {
			delay = a.Hold
		}
		out.Image = append(out.Image, frame)
		out.Delay = append(out.Delay, int((delay+5*time.Millisecond)/(10*time.Millisecond)))
		out.Disposal = append(out.Disposal, gif.DisposalNone)
	}
	out.Config = image.Config{ColorModel: palette, Width: previous.Rect.Dx(), Height: previous.Rect.Dy()}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, out); err != nil {
		return nil, fmt.Errorf("plots.Animation: %w", err)
	}
	return buf.Bytes(), nil
}

func frameSize(f *Figure) string {
	if f == nil {
		return "nil"
	}
	return fmt.Sprintf("%v×%v", f.Width, f.Height)
}

// newQuantizer returns a function that maps an image to the nearest colours of
// palette (excluding its transparent first entry), remembering each colour's
// answer: a plot has few distinct colours.
func newQuantizer(palette color.Palette) func(image.Image) *image.Paletted {
	opaque := palette[1:]
	known := map[color.RGBA]uint8{}
	return func(img image.Image) *image.Paletted {
		b := img.Bounds()
		out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), palette)
		rgba, _ := img.(*image.RGBA) // What vgimg draws on: read its pixels directly.
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				var c color.RGBA
				if rgba != nil {
					i := rgba.PixOffset(x, y)
					c = color.RGBA{rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], rgba.Pix[i+3]}
				} else {
					c = color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				}
				index, ok := known[c]
				if !ok {
					index = uint8(opaque.Index(c) + 1)
					known[c] = index
				}
				out.Pix[(y-b.Min.Y)*out.Stride+(x-b.Min.X)] = index
			}
		}
		return out
	}
}

// changes returns the smallest rectangle of next that differs from previous,
// with the pixels that did not change transparent (palette index 0), to be
// drawn over previous. Identical frames give one transparent pixel, since a
// GIF frame cannot be empty.
func changes(previous, next *image.Paletted) *image.Paletted {
	b := next.Rect
	box := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := y * next.Stride
		for x := b.Min.X; x < b.Max.X; x++ {
			if next.Pix[row+x] != previous.Pix[row+x] {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Empty() {
		box = image.Rect(0, 0, 1, 1)
	}
	out := image.NewPaletted(box, next.Palette)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if v := next.Pix[y*next.Stride+x]; v != previous.Pix[y*previous.Stride+x] {
				out.SetColorIndex(x, y, v)
			}
		}
	}
	return out
}

// HTML returns an <img> element that shows the animation at the figures'
// size, with the GIF embedded as a data URL, so that it is saved with the
// notebook.
func (a *Animation) HTML() (string, error) {
	data, err := a.GIF()
	if err != nil {
		return "", err
	}
	return embeddedImage("image/gif", data, a.Frames[0].Width, a.Frames[0].imagesAttr()), nil
}

// Show displays the animation inline when running in a GoNB notebook, and
// does nothing elsewhere.
func (a *Animation) Show() error {
	return display(a.HTML)
}

// Save writes the animation to path, which must end in ".gif", through a
// temporary file renamed into place.
func (a *Animation) Save(path string) error {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".gif" {
		return fmt.Errorf("plots: cannot save an animation as %s: want a .gif file name, found %q", path, ext)
	}
	data, err := a.GIF()
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, data)
}
