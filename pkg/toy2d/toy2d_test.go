package toy2d

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/klcourse/klcourse/pkg/mixture"
)

// reference holds testdata/reference.json, computed by testdata/reference.py
// with SciPy 1.10 and NumPy 1.24.
type reference struct {
	Ring, Grid struct {
		Points   [][2]float64
		LogPDF   []float64 `json:"logpdf"`
		Coverage struct {
			PerMode     []int `json:"per_mode"`
			Covered     int
			HighQuality float64 `json:"high_quality"`
			KL          float64
		}
	}
	TwoClustersEntropy float64 `json:"two_clusters_entropy"`
	Energy             struct {
		X, Y     [][2]float64
		Distance float64
	}
}

func load(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Ring.Points) == 0 || len(r.Grid.Points) == 0 || len(r.Energy.X) == 0 {
		t.Fatal("testdata/reference.json: missing points")
	}
	return r
}

func close(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestLogPDFAgainstSciPy(t *testing.T) {
	r := load(t)
	for _, c := range []struct {
		name string
		m    mixture.Bivariate
		pts  [][2]float64
		want []float64
	}{{"Ring8", Ring8(), r.Ring.Points, r.Ring.LogPDF}, {"Grid25", Grid25(), r.Grid.Points, r.Grid.LogPDF}} {
		got := LogPDFs(c.m, c.pts)
		for i := range got {
			if !close(got[i], c.want[i], 1e-10) {
				t.Errorf("%s: log p%v = %.12g, SciPy %.12g", c.name, c.pts[i], got[i], c.want[i])
			}
		}
	}
}

func TestCoverageAgainstPacGANMetric(t *testing.T) {
	r := load(t)
	for _, c := range []struct {
		name string
		m    mixture.Bivariate
		pts  [][2]float64
		want struct {
			PerMode     []int `json:"per_mode"`
			Covered     int
			HighQuality float64 `json:"high_quality"`
			KL          float64
		}
	}{{"Ring8", Ring8(), r.Ring.Points, r.Ring.Coverage}, {"Grid25", Grid25(), r.Grid.Points, r.Grid.Coverage}} {
		got := Coverage(c.m, c.pts)
		for i := range got.PerMode {
			if got.PerMode[i] != c.want.PerMode[i] {
				t.Errorf("%s: mode %d has %d high-quality points, reference %d", c.name, i, got.PerMode[i], c.want.PerMode[i])
			}
		}
		if got.Covered != c.want.Covered || !close(got.HighQuality, c.want.HighQuality, 1e-12) || !close(got.KL, c.want.KL, 1e-12) {
			t.Errorf("%s: covered %d, high quality %g, KL %g; reference %d, %g, %g", c.name,
				got.Covered, got.HighQuality, got.KL, c.want.Covered, c.want.HighQuality, c.want.KL)
		}
	}
}

func TestCoverageOfTheTargetAndOfACollapse(t *testing.T) {
	m := Grid25()
	xy, _ := m.Sample(20000, 1)
	r := Coverage(m, xy)
	// P(χ²₂ < 9) = 1 − e^{−4.5} = 0.98889 of the target's own samples lie within 3σ.
	if r.Covered != 25 || math.Abs(r.HighQuality-(1-math.Exp(-4.5))) > 0.004 || r.KL > 0.005 {
		t.Errorf("target samples: covered %d, high quality %.4f, KL %.4f; want 25, 0.9889, ≈0", r.Covered, r.HighQuality, r.KL)
	}
	// All points on one mode: 1 mode covered, KL = log 25.
	one := make([][2]float64, 100)
	for i := range one {
		one[i] = [2]float64{2 + 0.01*float64(i%7), -4}
	}
	r = Coverage(m, one)
	if r.Covered != 1 || r.HighQuality != 1 || !close(r.KL, math.Log(25), 1e-12) || r.CoveredAtLeast(101) != 0 {
		t.Errorf("collapsed: %+v", r)
	}
	// No point near any mode.
	r = Coverage(m, [][2]float64{{1, 1}, {3, 3}})
	if r.Covered != 0 || r.HighQuality != 0 || !math.IsNaN(r.KL) {
		t.Errorf("between the modes: %+v", r)
	}
}

func TestCoverageWithUnequalWeightsAndCovariances(t *testing.T) {
	m := TwoClusters()
	// (0.5+5.9, 2) is 2.95 standard deviations (σx = 2) from the first mean; (9, 9+5.3) is 3.06 (σy = √3) from the second.
	r := Coverage(m, [][2]float64{{0.5 + 5.9, 2}, {9, 9 + 5.3}, {9, 10}, {9, 8}})
	if r.PerMode[0] != 1 || r.PerMode[1] != 2 || r.HighQuality != 0.75 {
		t.Fatalf("got %+v, want per mode [1 2], high quality 0.75", r)
	}
	want := 1.0/3*math.Log((1.0/3)/0.75) + 2.0/3*math.Log((2.0/3)/0.25)
	if !close(r.KL, want, 1e-12) {
		t.Errorf("KL = %g, want %g", r.KL, want)
	}
}

func TestEntropy(t *testing.T) {
	r := load(t)
	n := 20000
	if testing.Short() {
		n = 4000
	}
	h, se := EntropyMC(TwoClusters(), n, 7)
	if math.Abs(h-r.TwoClustersEntropy) > 4*se || se > 0.05 {
		t.Errorf("TwoClusters: Monte Carlo entropy %.4f ± %.4f, quadrature (SciPy) %.6f", h, se, r.TwoClustersEntropy)
	}
	// Rescaling by a multiplies the density by a⁻² and adds 2 log a to the entropy.
	lo, hi := -4.0, 14.0
	hr, _ := EntropyMC(RescaleMixture(TwoClusters(), lo, hi), n, 7)
	if !close(hr, h-2*math.Log(hi-lo), 1e-9) {
		t.Errorf("rescaled entropy %.10f, want %.10f", hr, h-2*math.Log(hi-lo))
	}
	// Separated modes: the bound log K + 1 + log(2πσ²) is the entropy.
	for _, c := range []struct {
		name  string
		m     mixture.Bivariate
		k     int
		sigma float64
	}{{"Ring8", Ring8(), 8, 0.01}, {"Grid25", Grid25(), 25, 0.05}} {
		want := math.Log(float64(c.k)) + 1 + math.Log(2*math.Pi*c.sigma*c.sigma)
		if got := EntropySeparated(c.m); !close(got, want, 1e-12) {
			t.Errorf("%s: EntropySeparated = %.12g, want %.12g", c.name, got, want)
		}
		h, se := EntropyMC(c.m, n, 3)
		if math.Abs(h-want) > 4*se {
			t.Errorf("%s: Monte Carlo entropy %.4f ± %.4f, closed form %.4f", c.name, h, se, want)
		}
	}
	// The bound is strict for the overlapping TwoClusters.
	if EntropySeparated(TwoClusters()) <= r.TwoClustersEntropy {
		t.Errorf("EntropySeparated(TwoClusters) = %g is not above the entropy %g", EntropySeparated(TwoClusters()), r.TwoClustersEntropy)
	}
}

func TestEnergyDistance(t *testing.T) {
	r := load(t)
	if got := EnergyDistance(r.Energy.X, r.Energy.Y); !close(got, r.Energy.Distance, 1e-12) {
		t.Errorf("EnergyDistance = %.15g, NumPy %.15g", got, r.Energy.Distance)
	}
	// Two point masses a distance δ apart (jittered by 1e-9 so that the within terms are defined): 2δ.
	a := [][2]float64{{0, 0}, {1e-9, 0}}
	b := [][2]float64{{3, 4}, {3, 4 + 1e-9}}
	if got := EnergyDistance(a, b); math.Abs(got-10) > 1e-8 {
		t.Errorf("point masses 5 apart: %g, want 10", got)
	}
	// Same distribution: near 0; a collapsed generator: clearly positive.
	m := Ring8()
	x, _ := m.Sample(800, 1)
	y, _ := m.Sample(800, 2)
	same := EnergyDistance(x, y)
	var collapsed [][2]float64
	for _, p := range y {
		if p[0] > 0.9 {
			collapsed = append(collapsed, p)
		}
	}
	far := EnergyDistance(x, collapsed)
	if math.Abs(same) > 0.01 || far < 0.5 {
		t.Errorf("same distribution %g (want ≈ 0), one mode of eight %g (want > 0.5)", same, far)
	}
}

func TestGeometry(t *testing.T) {
	ring := Ring8()
	for i, c := range ring.Components {
		if !close(math.Hypot(c.Mean[0], c.Mean[1]), 1, 1e-15) || !close(c.Cov[0][0], 1e-4, 1e-15) || c.Weight != 0.125 {
			t.Errorf("ring component %d: %+v", i, c)
		}
	}
	// Distinct modes (the linspace(0, 2π, 8) bug gives 7).
	for i := range ring.Components {
		for j := i + 1; j < len(ring.Components); j++ {
			a, b := ring.Components[i].Mean, ring.Components[j].Mean
			if math.Hypot(a[0]-b[0], a[1]-b[1]) < 0.7 {
				t.Errorf("ring modes %d and %d are %v and %v", i, j, a, b)
			}
		}
	}
	grid := Grid25()
	if len(grid.Components) != 25 || grid.Components[0].Mean != [2]float64{-4, -4} || grid.Components[24].Mean != [2]float64{4, 4} ||
		grid.Components[1].Mean != [2]float64{-4, -2} || !close(grid.Components[7].Cov[1][1], 0.0025, 1e-15) {
		t.Errorf("grid: %+v", grid.Components)
	}
	if _, err := Ring(0, 1, 0.1); err == nil {
		t.Error("Ring(0, …) gave no error")
	}
	if _, err := Grid(3, 1, -1); err == nil {
		t.Error("Grid with σ < 0 gave no error")
	}
}

func TestRescale(t *testing.T) {
	m := TwoClusters()
	xy, _ := m.Sample(1000, 5)
	lo, hi := MinMax(xy)
	s := Rescale(xy, lo, hi)
	lo2, hi2 := MinMax(s)
	if !close(lo2, 0, 1e-12) || !close(hi2, 1, 1e-12) {
		t.Errorf("rescaled range [%g, %g], want [0, 1]", lo2, hi2)
	}
	// Change of variables: log p_s(s) = log p(x) + 2 log(hi − lo).
	ms := RescaleMixture(m, lo, hi)
	for i := range 10 {
		got := ms.LogPDF(s[i][0], s[i][1])
		want := m.LogPDF(xy[i][0], xy[i][1]) + 2*math.Log(hi-lo)
		if !close(got, want, 1e-9) {
			t.Errorf("point %d: rescaled log density %g, want %g", i, got, want)
		}
	}
	if u := Unflatten(Flatten(xy[:3])); math.Abs(u[2][1]-xy[2][1]) > 1e-5 {
		t.Errorf("Flatten/Unflatten: %v vs %v", u, xy[:3])
	}
}
