package gaussfit

import (
	"math"
	"testing"

	"github.com/klcourse/klcourse/pkg/mixture"
)

func TestMaxLikelihood(t *testing.T) {
	n, err := MaxLikelihood([]float64{1, 2, 3, 6})
	if err != nil {
		t.Fatal(err)
	}
	// Mean 3, squared deviations 4, 1, 0, 9: variance 14/4 with divisor N.
	if n.Mu != 3 || !close(n.Sigma, math.Sqrt(3.5), 1e-15) {
		t.Errorf("MaxLikelihood = %v, want N(3, 3.5)", n)
	}
	if _, err := MaxLikelihood([]float64{2, 2, 2}); err == nil {
		t.Error("equal samples: no error")
	}
	n2, err := MaxLikelihood2D([][2]float64{{0, 0}, {2, 0}, {0, 2}, {2, 2}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if n2.Mean != [2]float64{1, 1} || !close(n2.Cov[0][0], 0.8, 1e-15) || n2.Cov[0][1] != 0 || !close(n2.Cov[1][1], 0.8, 1e-15) {
		t.Errorf("MaxLikelihood2D = %v, want N((1, 1), 0.8 I)", n2)
	}
	if _, err := MaxLikelihood2D([][2]float64{{0, 0}, {1, 1}, {2, 2}}); err == nil {
		t.Error("samples on a line: no error")
	}
	// Many samples of the lecture's mixture: close to its exact moments.
	xy, _ := mixture.TwoClusters().Sample(200_000, 1)
	ml, err := MaxLikelihood2D(xy)
	if err != nil {
		t.Fatal(err)
	}
	mean, cov := mixture.TwoClusters().Mean(), mixture.TwoClusters().Cov()
	for i := range 2 {
		if math.Abs(ml.Mean[i]-mean[i]) > 0.05 {
			t.Errorf("ML mean = %v, exact %v", ml.Mean, mean)
		}
		for j := range 2 {
			if math.Abs(ml.Cov[i][j]-cov[i][j]) > 0.2 {
				t.Errorf("ML covariance = %v, exact %v", ml.Cov, cov)
			}
		}
	}
}
