package plots

import (
	"bytes"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

func TestBarsAndCurvesRender(t *testing.T) {
	bars, err := Bars("P and Q", "probability", []string{"R", "G", "B"},
		Series{"P", []float64{0.1, 0.4, 0.5}}, Series{"Q", []float64{0.8, 0.15, 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	curves, err := Curves("densities", "x", "density",
		Func("N(0,1)", func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }, -4, 4, 101),
		Curve{Name: "target", X: []float64{-1, 0, 1}, Y: []float64{0, 1, 0}, Dashed: true})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Row(bars, curves).SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "P and Q", "densities", "N(0,1)", "target", ">R<", ">B<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	png, err := Single(bars).PNG(72)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("PNG output starts with %q", png[:8])
	}
	if err := Show(bars); err != nil { // Not a notebook: does nothing.
		t.Errorf("Show outside a notebook: %v", err)
	}
}

func TestBarsErrors(t *testing.T) {
	if _, err := Bars("t", "y", []string{"a", "b"}, Series{"P", []float64{1}}); err == nil || !strings.Contains(err.Error(), `series "P" has 1 values for 2 categories`) {
		t.Errorf("mismatched series: err = %v", err)
	}
	if _, err := Bars("t", "y", []string{"a"}); err == nil {
		t.Error("no series: no error")
	}
	if _, err := Curves("t", "x", "y", Curve{Name: "c", X: []float64{1, 2}, Y: []float64{1}}); err == nil || !strings.Contains(err.Error(), `curve "c": 2 x values but 1 y values`) {
		t.Errorf("mismatched curve: err = %v", err)
	}
}

func TestSave(t *testing.T) {
	p, err := Curves("t", "x", "y", Func("f", math.Sin, 0, 3, 10))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"f.svg", "f.png"} {
		if err := Single(p).Save(filepath.Join(dir, name)); err != nil {
			t.Errorf("Save(%s): %v", name, err)
		}
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Size() == 0 {
			t.Errorf("Save(%s) wrote nothing: %v", name, err)
		}
	}
	if err := Single(p).Save(filepath.Join(dir, "f.jpeg")); err == nil || !strings.Contains(err.Error(), "want a .svg or .png") {
		t.Errorf("Save(f.jpeg): err = %v", err)
	}
	tiles := Tiles(2, Width/2, Height/2, p, p, p)
	if len(tiles.Plots) != 2 || tiles.Plots[1][1] != nil {
		t.Errorf("Tiles(2, 3 plots) = %d rows, last tile %v", len(tiles.Plots), tiles.Plots[1][1])
	}
	if _, err := tiles.SVG(); err != nil {
		t.Errorf("tiles with an empty tile: %v", err)
	}
}

// gaussGrid is exp(-(x²+y²)/2) on an n×n grid of [-3, 3]².
type gaussGrid struct{ n int }

func (g gaussGrid) Dims() (int, int)   { return g.n, g.n }
func (g gaussGrid) X(c int) float64    { return -3 + 6*float64(c)/float64(g.n-1) }
func (g gaussGrid) Y(r int) float64    { return g.X(r) }
func (g gaussGrid) Z(c, r int) float64 { x, y := g.X(c), g.Y(r); return math.Exp(-(x*x + y*y) / 2) }

func TestContours(t *testing.T) {
	p, err := Contours("N(0, I)", "x", "y", Density{Name: "p", Grid: gaussGrid{41}}, Density{Name: "q", Grid: gaussGrid{21}, Levels: []float64{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Single(p).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("N(0, I)")) || bytes.Count(svg, []byte("<path")) < 5 {
		t.Errorf("contour SVG lacks its title or lines (%d paths)", bytes.Count(svg, []byte("<path")))
	}
	if _, err := Contours("t", "x", "y", Density{Name: "tiny", Grid: gaussGrid{1}}); err == nil || !strings.Contains(err.Error(), "grid is 1×1") {
		t.Errorf("1×1 grid: err = %v", err)
	}
}

func TestImageGrid(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(16 * i)
	}
	f, err := ImageGrid([]image.Image{img, img, img}, []string{"cat", "dog", "frog"}, 2, 3*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	big := enlarge(img, 3)
	r1, _, _, _ := big.At(5, 2).RGBA()
	r0, _, _, _ := img.At(1, 0).RGBA()
	if big.Bounds().Dx() != 12 || r1 != r0 {
		t.Errorf("enlarge ×3: %v, pixel (5,2) = %v, want %v", big.Bounds(), big.At(5, 2), img.At(1, 0))
	}
	if len(f.Plots) != 2 || f.Width != 6*vg.Centimeter {
		t.Errorf("3 images in 2 columns: %d rows, width %v", len(f.Plots), f.Width)
	}
	png, err := f.PNG(72)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("PNG: %v", err)
	}
	if _, err := ImageGrid([]image.Image{img}, []string{"a", "b"}, 1, vg.Centimeter); err == nil {
		t.Error("2 captions for 1 image: no error")
	}
}

func TestConfusionMatrix(t *testing.T) {
	counts := [][]int{{5, 1, 0}, {2, 7, 1}, {0, 0, 9}}
	p, err := ConfusionMatrix("test set", []string{"cat", "dog", "frog"}, counts)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Single(p).SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">cat<", ">frog<", ">9<", ">7<", "predicted class"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("confusion matrix SVG lacks %q", want)
		}
	}
	g := confusionGrid{counts: counts}
	if g.count(0, 2) != 5 || g.count(2, 0) != 9 {
		t.Errorf("grid: top-left %d (want the first class's 5), bottom-right %d (want 9)", g.count(0, 2), g.count(2, 0))
	}
	if _, err := ConfusionMatrix("bad", []string{"a", "b"}, [][]int{{1, 2}, {3}}); err == nil {
		t.Error("ragged counts: no error")
	}
}

// TestDoubleBar checks that figures write KL(P‖Q) with a visible "||", in
// titles, axis labels and legends alike.
func TestDoubleBar(t *testing.T) {
	if got := FigureText("KL(P‖Q), nats"); got != "KL(P || Q), nats" {
		t.Errorf("FigureText = %q", got)
	}
	p := plot.New()
	for name, sty := range map[string]text.Style{"title": p.Title.TextStyle, "x label": p.X.Label.TextStyle, "legend": p.Legend.TextStyle} {
		w, _, _ := sty.Handler.Box("KL(P‖Q)", sty.Font)
		want, _, _ := sty.Handler.Box("KL(P || Q)", sty.Font)
		if w != want {
			t.Errorf("%s: KL(P‖Q) is %v wide, KL(P || Q) %v: the double bar is not replaced", name, w, want)
		}
	}
}
