package fit

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/klcourse/klcourse/pkg/plots"
)

// PlotHistories returns the loss and accuracy curves of the runs side by
// side: each run in its own colour, training solid and validation dashed,
// with a legend that names the runs.
func PlotHistories(runs ...*History) (*plots.Figure, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("fit.PlotHistories: no runs")
	}
	lossPlot, err := historyPlot("Loss", "loss", runs, func(h *History) ([]float64, []float64) { return h.Loss, h.ValLoss })
	if err != nil {
		return nil, err
	}
	accPlot, err := historyPlot("Accuracy", "accuracy", runs, func(h *History) ([]float64, []float64) { return h.Accuracy, h.ValAccuracy })
	if err != nil {
		return nil, err
	}
	return plots.Row(lossPlot, accPlot), nil
}

func historyPlot(title, yLabel string, runs []*History, series func(*History) (train, val []float64)) (*plot.Plot, error) {
	var curves []plots.Curve
	var colours []int
	for i, h := range runs {
		train, val := series(h)
		name := h.Name
		if name == "" {
			name = fmt.Sprintf("run %d", i+1)
		}
		curves = append(curves, plots.Curve{Name: name + " train", X: epochAxis(len(train)), Y: train})
		colours = append(colours, i)
		if len(val) > 0 {
			curves = append(curves, plots.Curve{Name: name + " validation", X: epochAxis(len(val)), Y: val, Dashed: true})
			colours = append(colours, i)
		}
	}
	return plots.CurvesColoured(title, "epoch", yLabel, colours, curves...)
}

func epochAxis(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}

// Confusion counts predictions by true class: counts[t][p] is the number of
// images of class t predicted as class p.
func Confusion(labels []uint8, predicted []int, classes int) ([][]int, error) {
	if len(labels) != len(predicted) {
		return nil, fmt.Errorf("fit.Confusion: %d labels and %d predictions", len(labels), len(predicted))
	}
	counts := make([][]int, classes)
	for i := range counts {
		counts[i] = make([]int, classes)
	}
	for i, t := range labels {
		p := predicted[i]
		if int(t) >= classes || p < 0 || p >= classes {
			return nil, fmt.Errorf("fit.Confusion: image %d has label %d and prediction %d; want classes below %d", i, t, p, classes)
		}
		counts[t][p]++
	}
	return counts, nil
}
