package plots

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/klcourse/klcourse/internal/safefile"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default size of a single figure.
const (
	Width  = 16 * vg.Centimeter
	Height = 10 * vg.Centimeter
)

// A Figure is one plot or a grid of plots, drawn at a fixed size.
type Figure struct {
	// Plots are the tiles, row by row; a nil entry leaves its tile empty.
	Plots [][]*plot.Plot
	// Width and Height are the size of the whole figure.
	Width, Height vg.Length

	// paint, when not nil, draws the figure instead of Plots (ImageGrid).
	paint func(c draw.Canvas)
	// drawn are the images the last rendering drew, where it drew them.
	drawn []drawnImage
}

// drawnImage is an image drawn on a figure: rect is where, in the figure's
// points (origin at the bottom left), and pixels its size in pixels.
type drawnImage struct {
	rect   vg.Rectangle
	pixels image.Point
}

// imageRecorder is a canvas that notes every image drawn on it, so that a
// figure can tell where its raster images went (see Figure.HTML).
type imageRecorder struct {
	vg.CanvasSizer
	drawn *[]drawnImage
}

func (r imageRecorder) DrawImage(rect vg.Rectangle, img image.Image) {
	*r.drawn = append(*r.drawn, drawnImage{rect: rect, pixels: img.Bounds().Size()})
	r.CanvasSizer.DrawImage(rect, img)
}

// Single returns a figure of one plot at the default size.
func Single(p *plot.Plot) *Figure {
	return &Figure{Plots: [][]*plot.Plot{{p}}, Width: Width, Height: Height}
}

// Row returns a figure with the plots side by side, each at the default
// height and 2/3 of the default width.
func Row(ps ...*plot.Plot) *Figure {
	return &Figure{Plots: [][]*plot.Plot{ps}, Width: vg.Length(len(ps)) * Width * 2 / 3, Height: Height}
}

// Tiles returns a figure of the plots laid out in rows of cols, each tile
// w×h.
func Tiles(cols int, w, h vg.Length, ps ...*plot.Plot) *Figure {
	var rows [][]*plot.Plot
	for len(ps) > 0 {
		n := min(cols, len(ps))
		row := make([]*plot.Plot, cols)
		copy(row, ps[:n])
		rows = append(rows, row)
		ps = ps[n:]
	}
	return &Figure{Plots: rows, Width: vg.Length(cols) * w, Height: vg.Length(len(rows)) * h}
}

// render draws the figure on c, noting the images it draws.
func (f *Figure) render(c vg.CanvasSizer) {
	f.drawn = nil
	f.draw(draw.New(imageRecorder{c, &f.drawn}))
}

// draw draws the figure on c.
func (f *Figure) draw(c draw.Canvas) {
	if f.paint != nil {
		f.paint(c)
		return
	}
	canvases := f.layout(c)
	for i, row := range f.Plots {
		for j, p := range row {
			if p != nil {
				p.Draw(squared(p, canvases[i][j]))
			}
		}
	}
}

// layout returns the canvas of each plot of the figure drawn on c: c itself
// for a single plot, the aligned tiles of a grid.
func (f *Figure) layout(c draw.Canvas) [][]draw.Canvas {
	if len(f.Plots) == 1 && len(f.Plots[0]) == 1 {
		return [][]draw.Canvas{{c}}
	}
	cols := 0
	for _, row := range f.Plots {
		cols = max(cols, len(row))
	}
	tiles := draw.Tiles{Rows: len(f.Plots), Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter}
	return plot.Align(f.Plots, tiles, c)
}

// SVG renders the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.Width, f.Height)
	f.render(c)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PNG renders the figure as a PNG image at dpi dots per inch.
func (f *Figure) PNG(dpi int) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi))}
	f.render(c)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ShowDPI is the resolution of figures shown in notebooks: twice the 96
// pixels per inch of a browser, so that they stay sharp on high-density
// screens.
const ShowDPI = 192

// Show displays the figure inline when running in a GoNB notebook, and does
// nothing elsewhere. The figure is shown as a PNG image embedded in the cell's
// output: it is saved with the notebook and its text is laid out exactly as
// measured (an SVG's text is drawn with whatever fonts the viewer has, which
// can overlap legends and labels).
func (f *Figure) Show() error {
	return display(f.HTML)
}

// HTML returns an <img> element that shows the figure at its size, with the
// image embedded as a data URL. When the figure holds raster images (a grid
// of digits, a decoded latent grid), the element's data-images attribute
// says where each was drawn and what shape its data has (ImagesAttr), so
// that a page can be checked for images stretched out of their shape.
func (f *Figure) HTML() (string, error) {
	png, err := f.PNG(ShowDPI)
	if err != nil {
		return "", err
	}
	return embeddedImage("image/png", png, f.Width, f.imagesAttr()), nil
}

// ImagesAttr is the attribute of a figure's <img> element that lists the
// raster images drawn in it, as JSON: an array of {"x", "y", "w", "h",
// "aspect"}, where x, y (top left corner), w and h are fractions of the
// figure's width and height, and aspect is the image's width over its height
// in pixels. Shown undistorted, w·width / (h·height) equals aspect.
const ImagesAttr = "data-images"

// imagesAttr returns ` data-images='…'` for the images drawn by the last
// rendering, or "" when there were none.
func (f *Figure) imagesAttr() string {
	if len(f.drawn) == 0 {
		return ""
	}
	type box struct {
		X      float64 `json:"x"`
		Y      float64 `json:"y"`
		W      float64 `json:"w"`
		H      float64 `json:"h"`
		Aspect float64 `json:"aspect"`
	}
	boxes := make([]box, len(f.drawn))
	round := func(v float64) float64 { return math.Round(v*1e5) / 1e5 }
	for i, d := range f.drawn {
		r := d.rect
		boxes[i] = box{
			X: round(float64(r.Min.X / f.Width)), Y: round(float64((f.Height - r.Max.Y) / f.Height)),
			W: round(float64(r.Size().X / f.Width)), H: round(float64(r.Size().Y / f.Height)),
			Aspect: round(float64(d.pixels.X) / float64(d.pixels.Y)),
		}
	}
	data, err := json.Marshal(boxes)
	if err != nil { // Cannot happen: numbers only.
		panic(err)
	}
	return fmt.Sprintf(" %s='%s'", ImagesAttr, data)
}

// embeddedImage returns an <img> element that shows an image of the given
// MIME type, embedded as a data URL, width wide, with extra attributes attrs
// (each starting with a space).
func embeddedImage(mime string, data []byte, width vg.Length, attrs string) string {
	const cssPixelsPerPoint = 96.0 / 72
	return fmt.Sprintf(`<img width="%.0f"%s src="data:%s;base64,%s"/>`,
		width.Points()*cssPixelsPerPoint, attrs, mime, base64.StdEncoding.EncodeToString(data))
}

// display shows the HTML that html returns in the cell's output when running
// in a GoNB notebook, and does nothing elsewhere (html is not even called).
func display(html func() (string, error)) error {
	if !gonbui.IsNotebook {
		return nil
	}
	h, err := html()
	if err != nil {
		return err
	}
	gonbui.DisplayHTML(h)
	return nil
}

// Show displays one plot at the default size; see Figure.Show.
func Show(p *plot.Plot) error {
	return Single(p).Show()
}

// Save writes the figure to path as SVG or PNG, chosen by the extension
// (".svg", ".png"), through a temporary file renamed into place.
func (f *Figure) Save(path string) error {
	var data []byte
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		data, err = f.SVG()
	case ".png":
		data, err = f.PNG(144)
	default:
		return fmt.Errorf("plots: cannot save %s: want a .svg or .png file name, found %q", path, ext)
	}
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, data)
}

// SquareData sets the figure's height so that the data area of its first
// plot is square (and, the plots of a grid being aligned, every tile's):
// with equal x and y ranges, a unit of x is then as long as a unit of y,
// and an image drawn on the data area, such as a decoded latent grid, keeps
// its shape. Set the plots' ranges first.
func (f *Figure) SquareData() *Figure {
	for range 4 { // Tick labels may change with the height: settle.
		w, h, rows, ok := f.firstDataArea()
		if !ok || math.Abs(float64(w-h)) < 0.01 {
			break
		}
		f.Height += vg.Length(rows) * (w - h)
	}
	return f
}

// firstDataArea returns the size of the data area of the figure's first
// plot as the figure lays it out, and the number of rows of the grid.
func (f *Figure) firstDataArea() (w, h vg.Length, rows int, ok bool) {
	if f.paint != nil || len(f.Plots) == 0 {
		return 0, 0, 0, false
	}
	canvases := f.layout(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: f.Width, Y: f.Height}}})
	for i, row := range f.Plots {
		for j, p := range row {
			if p != nil {
				d := p.DataCanvas(canvases[i][j])
				return d.Max.X - d.Min.X, d.Max.Y - d.Min.Y, len(f.Plots), true
			}
		}
	}
	return 0, 0, 0, false
}

// squarePlots are the plots marked by Square.
var squarePlots sync.Map

// Square marks p as a plot whose data area must be square, whatever the
// size of the figure or tile it is drawn in: a figure that gives it a wider
// (taller) tile draws it narrower (shorter), centred. With equal x and y
// ranges, a unit of x is then as long as a unit of y: an image drawn on the
// data area (a decoded latent grid) keeps its shape. It returns p.
func Square(p *plot.Plot) *plot.Plot {
	squarePlots.Store(p, true)
	return p
}

// squared returns c, narrowed or shortened about its centre so that p's
// data area in it is square when p is marked by Square; otherwise c.
func squared(p *plot.Plot, c draw.Canvas) draw.Canvas {
	if _, ok := squarePlots.Load(p); !ok {
		return c
	}
	d := p.DataCanvas(c)
	w, h := d.Max.X-d.Min.X, d.Max.Y-d.Min.Y
	if w > h {
		c.Min.X += (w - h) / 2
		c.Max.X -= (w - h) / 2
	} else {
		c.Min.Y += (h - w) / 2
		c.Max.Y -= (h - w) / 2
	}
	return c
}
