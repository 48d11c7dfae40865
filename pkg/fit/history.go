package fit

import (
	"fmt"

	"github.com/klcourse/klcourse/internal/safefile"
)

// History records a training run per epoch, as Keras's History.history.
type History struct {
	// Name labels the run in plots and tables, e.g. "forward KL".
	Name string `json:"name"`
	// Loss and Accuracy are the means over each epoch's training batches,
	// as they were while the weights changed (with dropout on). A
	// Generative model's history has no accuracy.
	Loss     []float64 `json:"loss"`
	Accuracy []float64 `json:"accuracy"`
	// ValLoss and ValAccuracy are measured on the validation set at the
	// end of each epoch (dropout off); empty without a validation split.
	ValLoss     []float64 `json:"val_loss,omitempty"`
	ValAccuracy []float64 `json:"val_accuracy,omitempty"`
	// Metrics holds the extra metrics, by name for the training set and
	// "val_"+name for the validation set.
	Metrics map[string][]float64 `json:"metrics,omitempty"`
	// Seconds is the wall time of each epoch, validation included.
	Seconds []float64 `json:"seconds"`
	// TrainImages and ValImages are the sizes of the two sets.
	TrainImages int `json:"train_images"`
	ValImages   int `json:"val_images"`
}

// Epochs returns the number of epochs recorded.
func (h *History) Epochs() int { return len(h.Loss) }

// ImagesPerSecond is the training throughput of the run, validation
// included.
func (h *History) ImagesPerSecond() float64 {
	total := 0.0
	for _, s := range h.Seconds {
		total += s
	}
	if total == 0 {
		return 0
	}
	return float64(h.Epochs()*h.TrainImages) / total
}

// Save writes the history as JSON to path.
func (h *History) Save(path string) error { return safefile.WriteJSON(path, h) }

// LoadHistory reads a history saved by History.Save.
func LoadHistory(path string) (*History, error) {
	var h History
	if err := safefile.ReadJSON(path, &h); err != nil {
		return nil, err
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &h, nil
}

// check reports a history whose per-epoch records disagree in length.
func (h *History) check() error {
	if (len(h.Accuracy) != 0 && len(h.Accuracy) != len(h.Loss)) || len(h.Seconds) != len(h.Loss) {
		return fmt.Errorf("inconsistent history: %d losses, %d accuracies, %d epoch times", len(h.Loss), len(h.Accuracy), len(h.Seconds))
	}
	return nil
}
