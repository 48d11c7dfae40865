package gan

import (
	"testing"
	"time"

	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/toy2d"
)

func TestQuickSpeed(t *testing.T) {
	b, desc := backend.MustNew()
	t.Log(desc)
	m := toy2d.TwoClusters()
	xy, _ := m.Sample(20000, 1)
	lo, hi := toy2d.MinMax(xy)
	data := toy2d.Rescale(xy, lo, hi)
	for _, d := range []Divergence{ForwardKL, ReverseKL, GAN} {
		tr, err := New(b, Config{Divergence: d, Generator: Net{Output: "sigmoid"}, Discriminator: Net{Hidden: []int{32, 32}, Activation: "leaky_relu"},
			NoiseDim: 10, Batch: 64, LRDiscriminator: 5e-4, LRGenerator: 1e-4, Seed: 1, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := tr.Train(10); err != nil {
			t.Fatal(err)
		}
		t.Logf("first 10 steps %v", time.Since(start))
		start = time.Now()
		if err := tr.Train(1000); err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		s, _ := tr.Sample(2000, 5)
		var mx, my float64
		for _, p := range s {
			mx += p[0] / 2000
			my += p[1] / 2000
		}
		t.Logf("%s: %v per step; D loss %.4f G loss %.4f; mean (%.3f, %.3f)", d.Name, el/1000, tr.History.DLoss[len(tr.History.DLoss)-1], tr.History.GLoss[len(tr.History.GLoss)-1], mx, my)
	}
}
