package plots

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// movingBump returns frames of a bump moving to the right over a fixed
// dashed curve, with fixed axes.
func movingBump(t *testing.T, n int) []*Figure {
	t.Helper()
	var frames []*Figure
	for i := range n {
		shift := float64(i) / 2
		p, err := Curves("step", "x", "y",
			Func("fixed", func(x float64) float64 { return math.Exp(-x * x) }, -4, 4, 200),
			Func("moving", func(x float64) float64 { return math.Exp(-(x - shift) * (x - shift)) }, -4, 4, 200))
		if err != nil {
			t.Fatal(err)
		}
		p.Y.Min, p.Y.Max = 0, 1.5
		frames = append(frames, &Figure{Plots: [][]*plot.Plot{{p}}, Width: 8 * vg.Centimeter, Height: 5 * vg.Centimeter})
	}
	return frames
}

func TestAnimationGIF(t *testing.T) {
	frames := movingBump(t, 5)
	frames = append(frames, frames[4]) // An unchanged frame.
	a := &Animation{Frames: frames, Delay: 80 * time.Millisecond, Hold: time.Second}
	data, err := a.GIF()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the GIF does not decode: %v", err)
	}
	if len(g.Image) != 6 {
		t.Fatalf("%d frames, want 6", len(g.Image))
	}
	for i, d := range g.Delay {
		want := 8
		if i == 5 {
			want = 100
		}
		if d != want {
			t.Errorf("frame %d: delay %d hundredths, want %d", i, d, want)
		}
	}
	if g.LoopCount != 0 {
		t.Errorf("loop count %d, want 0 (forever)", g.LoopCount)
	}
	// 8 cm at 96 dpi is 302 pixels; 5 cm is 189.
	if g.Config.Width != 302 || g.Config.Height != 189 {
		t.Errorf("size %d×%d, want 302×189", g.Config.Width, g.Config.Height)
	}
	if b := g.Image[5].Bounds(); b.Dx()*b.Dy() != 1 {
		t.Errorf("an unchanged frame stores %v, want one pixel", b)
	}
	if b := g.Image[2].Bounds(); b.Dx() >= 302 && b.Dy() >= 189 {
		t.Errorf("frame 2 stores the whole image %v, want only what changed", b)
	}
	// Drawing each frame over the previous ones must give every frame as
	// rendered on its own.
	palette := AnimationPalette()
	quantize := newQuantizer(palette)
	screen := image.NewPaletted(image.Rect(0, 0, g.Config.Width, g.Config.Height), palette)
	for i, frame := range g.Image {
		draw.Draw(screen, frame.Bounds(), frame, frame.Bounds().Min, draw.Over)
		canvas := vgimg.NewWith(vgimg.UseWH(frames[i].Width, frames[i].Height), vgimg.UseDPI(AnimationDPI))
		frames[i].draw(vgdraw.New(canvas))
		want := quantize(canvas.Image())
		if !bytes.Equal(screen.Pix, want.Pix) {
			t.Fatalf("frame %d composed over the previous ones differs from the frame rendered alone", i)
		}
	}
}

func TestAnimationHTMLAndSave(t *testing.T) {
	a := &Animation{Frames: movingBump(t, 3), Delay: 100 * time.Millisecond}
	html, err := a.HTML()
	if err != nil {
		t.Fatal(err)
	}
	const prefix = `<img width="302" src="data:image/gif;base64,`
	if !strings.HasPrefix(html, prefix) || !strings.HasSuffix(html, `"/>`) {
		t.Fatalf("HTML = %.80q…", html)
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(html, prefix), `"/>`))
	if err != nil || !bytes.HasPrefix(data, []byte("GIF89a")) {
		t.Errorf("the data URL does not hold a GIF: %v", err)
	}
	if err := a.Show(); err != nil { // Not a notebook: does nothing.
		t.Errorf("Show outside a notebook: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bump.gif")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	if saved, err := os.ReadFile(path); err != nil || !bytes.Equal(saved, data) {
		t.Errorf("saved file differs from the GIF shown: %v", err)
	}
	if err := a.Save(filepath.Join(dir, "bump.png")); err == nil || !strings.Contains(err.Error(), "want a .gif file name") {
		t.Errorf("Save(bump.png): err = %v", err)
	}
}

func TestAnimationErrors(t *testing.T) {
	frames := movingBump(t, 2)
	other := Single(frames[0].Plots[0][0]) // The default size.
	cases := []struct {
		name string
		a    Animation
		want string
	}{
		{"no frames", Animation{Delay: time.Second}, "no frames"},
		{"short delay", Animation{Frames: frames, Delay: time.Millisecond}, "at least 10ms"},
		{"sizes differ", Animation{Frames: append(frames, other), Delay: time.Second}, "frame 2 is"},
		{"nil frame", Animation{Frames: append(frames, nil), Delay: time.Second}, "frame 2 is nil"},
	}
	for _, c := range cases {
		if _, err := c.a.GIF(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestAnimationPalette(t *testing.T) {
	p := AnimationPalette()
	if len(p) != 3+31+4*len(Palette) || len(p) > 256 {
		t.Fatalf("%d colours", len(p))
	}
	// Every grey must stay grey: a light grid line once came out pink.
	for v := range 256 {
		r, g, b, _ := p[p.Index(color.Gray{uint8(v)})].RGBA()
		if r != g || g != b {
			t.Errorf("grey %d becomes %v", v, p[p.Index(color.Gray{uint8(v)})])
		}
	}
	if _, _, _, a := p[0].RGBA(); a != 0 {
		t.Error("colour 0 is not transparent")
	}
	// The first tint of each colour is the colour itself, the last a quarter of it on white.
	for i, c := range Palette {
		r, _, _, _ := c.RGBA()
		full, _, _, _ := p[34+4*i].RGBA()
		faint, _, _, _ := p[34+4*i+3].RGBA()
		if full>>8 != r>>8 || faint>>8 != (r>>8+3*0xff)/4 {
			t.Errorf("colour %d: tints %x and %x of %x", i, full>>8, faint>>8, r>>8)
		}
	}
}

func TestScatter(t *testing.T) {
	p, err := Scatter("samples", "x", "y",
		Points{Name: "data", X: []float64{0, 1, 2}, Y: []float64{1, 0, 2}},
		Points{X: []float64{3}, Y: []float64{3}, Radius: vg.Points(4)})
	if err != nil {
		t.Fatal(err)
	}
	if err := AddContours(p, 2, Density{Name: "density", Grid: gaussGrid{21}}); err != nil {
		t.Fatal(err)
	}
	svg, err := Single(p).SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"samples", "data", "density"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if _, err := Scatter("t", "x", "y", Points{Name: "bad", X: []float64{1, 2}, Y: []float64{1}}); err == nil || !strings.Contains(err.Error(), `points "bad": 2 x values but 1 y values`) {
		t.Errorf("mismatched points: err = %v", err)
	}
}
