package plots

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
	if want := 6*vg.Centimeter + vg.Millimeter; f.Width != want {
		t.Errorf("3 images in 2 columns: width %v, want %v", f.Width, want)
	}
	png, err := f.PNG(72)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("PNG: %v", err)
	}
	if len(f.drawn) != 3 {
		t.Errorf("3 images in the grid, %d drawn", len(f.drawn))
	}
	if _, err := ImageGrid([]image.Image{img}, []string{"a", "b"}, 1, vg.Centimeter); err == nil {
		t.Error("2 captions for 1 image: no error")
	}
}

// TestImageGridKeepsAspect checks that a wide mosaic (280×84, as lecture 4's
// rows of ten digits) is drawn with its shape, alone and beside a square
// image, and that the figure's HTML says where and in what shape.
func TestImageGridKeepsAspect(t *testing.T) {
	wide := image.NewGray(image.Rect(0, 0, 280, 84))
	square := image.NewGray(image.Rect(0, 0, 28, 28))
	for _, tc := range []struct {
		images   []image.Image
		captions []string
		cols     int
	}{
		{[]image.Image{wide}, []string{"test digits · reconstructions"}, 1},
		{[]image.Image{wide, wide}, []string{"CD-1", "PCD-1"}, 2},
		{[]image.Image{square, wide, square}, nil, 2},
	} {
		f, err := ImageGrid(tc.images, tc.captions, tc.cols, 12*vg.Centimeter)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.HTML()
		if err != nil {
			t.Fatal(err)
		}
		boxes := imageBoxes(t, page)
		if len(boxes) != len(tc.images) {
			t.Fatalf("%d images, %d boxes in %s", len(tc.images), len(boxes), ImagesAttr)
		}
		for i, b := range boxes {
			px := tc.images[i].Bounds().Size()
			want := float64(px.X) / float64(px.Y)
			shown := b.W * f.Width.Points() / (b.H * f.Height.Points())
			if math.Abs(shown/want-1) > 1e-3 || math.Abs(b.Aspect/want-1) > 1e-3 {
				t.Errorf("image %d (%v) drawn %.3f:1, recorded aspect %.3f, want %.3f", i, px, shown, b.Aspect, want)
			}
			if b.X < 0 || b.Y < 0 || b.X+b.W > 1+1e-6 || b.Y+b.H > 1+1e-6 {
				t.Errorf("image %d drawn outside the figure: %+v", i, b)
			}
		}
	}
	// One 280×84 mosaic 12 cm wide: 3.6 cm of image and a caption's line,
	// not the 12 cm square it was once stretched into.
	f, _ := ImageGrid([]image.Image{wide}, []string{"caption"}, 1, 12*vg.Centimeter)
	if h := f.Height.Points() / vg.Centimeter.Points(); h < 3.6 || h > 4.3 {
		t.Errorf("a 280×84 mosaic 12 cm wide is drawn %.2f cm tall, want 3.6 cm and a caption", h)
	}
}

type imageBox struct{ X, Y, W, H, Aspect float64 }

// imageBoxes returns the boxes of the data-images attribute of an <img> element.
func imageBoxes(t *testing.T, html string) []imageBox {
	t.Helper()
	_, rest, ok := strings.Cut(html, " "+ImagesAttr+"='")
	if !ok {
		t.Fatalf("no %s attribute in %.200s", ImagesAttr, html)
	}
	attr, _, _ := strings.Cut(rest, "'")
	var boxes []imageBox
	if err := json.Unmarshal([]byte(attr), &boxes); err != nil {
		t.Fatalf("%s=%q: %v", ImagesAttr, attr, err)
	}
	return boxes
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

func TestTickLabel(t *testing.T) {
	for v, want := range map[float64]string{-275: "−275", -272.5: "−272.5", 0.25: "0.25", 0.1 + 0.2: "0.3", 1e-5: "1e-05", 0: "0", 3: "3"} {
		if got := TickLabel(v); got != want {
			t.Errorf("TickLabel(%v) = %q, want %q", v, got, want)
		}
	}
	for _, tk := range (Ticks{}).Ticks(-280, -270) {
		if strings.Contains(tk.Label, ".00") || strings.HasPrefix(tk.Label, "-") {
			t.Errorf("tick label %q", tk.Label)
		}
	}
}

// TestSquareAndMargins checks that a plot marked Square keeps a square data
// area (an image on it keeps its shape) in a wide tile, and that a colour
// bar and a legend moved outside take room beside the data area, not in it.
func TestSquareAndMargins(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	p := plot.New()
	p.Add(plotter.NewImage(img, -3, -3, 3, 3))
	Square(p)
	if err := AddColourBar(p, []color.Color{color.White, color.Black}, 0, 1); err != nil {
		t.Fatal(err)
	}
	q, err := Scatter("s", "x", "y", Points{Name: "a long legend entry", X: []float64{0, 1}, Y: []float64{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	plain := dataSize(q)
	LegendOutside(q)
	if moved := dataSize(q); moved.X >= plain.X {
		t.Errorf("legend outside: data area %v wide, %v before: no room made beside it", moved.X, plain.X)
	}
	f := Row(p, q)
	page, err := f.HTML()
	if err != nil {
		t.Fatal(err)
	}
	b := imageBoxes(t, page)[0]
	if shown := b.W * f.Width.Points() / (b.H * f.Height.Points()); math.Abs(shown-1) > 0.01 {
		t.Errorf("square image on a Square plot in a wide tile drawn %.3f:1", shown)
	}
	if err := AddColourBar(p, []color.Color{color.White}, 0, 1); err == nil {
		t.Error("one colour: no error")
	}
}

// dataSize is the size of p's data area in a figure of the default size.
func dataSize(p *plot.Plot) vg.Point {
	return p.DataCanvas(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: Width, Y: Height}}}).Size()
}

func TestJoinAnd(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{{nil, ""}, {[]int{1}, "1"}, {[]int{1, 10}, "1 and 10"}, {[]int{1, 10, 100, 1000}, "1, 10, 100 and 1000"}} {
		if got := JoinAnd(tc.in); got != tc.want {
			t.Errorf("JoinAnd(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSquareData checks that SquareData sizes a figure so that its data
// areas come out square.
func TestSquareData(t *testing.T) {
	p, err := Scatter("s", "x", "y", Points{X: []float64{-3, 3}, Y: []float64{-3, 3}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*Figure{Single(p), Tiles(2, 5*vg.Centimeter, 9*vg.Centimeter, p, p, p)} {
		f.SquareData()
		w, h, _, ok := f.firstDataArea()
		if !ok || math.Abs(float64(w-h)) > 0.05 {
			t.Errorf("after SquareData: data area %v × %v", w, h)
		}
	}
}
