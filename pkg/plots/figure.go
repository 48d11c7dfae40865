package plots

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"

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

// draw draws the figure on c.
func (f *Figure) draw(c draw.Canvas) {
	if len(f.Plots) == 1 && len(f.Plots[0]) == 1 {
		f.Plots[0][0].Draw(c)
		return
	}
	cols := 0
	for _, row := range f.Plots {
		cols = max(cols, len(row))
	}
	tiles := draw.Tiles{Rows: len(f.Plots), Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter}
	canvases := plot.Align(f.Plots, tiles, c)
	for i, row := range f.Plots {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

// SVG renders the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.Width, f.Height)
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PNG renders the figure as a PNG image at dpi dots per inch.
func (f *Figure) PNG(dpi int) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi))}
	f.draw(draw.New(c))
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
// image embedded as a data URL.
func (f *Figure) HTML() (string, error) {
	png, err := f.PNG(ShowDPI)
	if err != nil {
		return "", err
	}
	return embeddedImage("image/png", png, f.Width), nil
}

// embeddedImage returns an <img> element that shows an image of the given
// MIME type, embedded as a data URL, width wide.
func embeddedImage(mime string, data []byte, width vg.Length) string {
	const cssPixelsPerPoint = 96.0 / 72
	return fmt.Sprintf(`<img width="%.0f" src="data:%s;base64,%s"/>`,
		width.Points()*cssPixelsPerPoint, mime, base64.StdEncoding.EncodeToString(data))
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
