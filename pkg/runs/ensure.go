package runs

import "fmt"

// TrainFn trains a run: it writes the run's files (weights, history, what
// the notebook reads back) into dir and returns the run's final metrics for
// its card.
type TrainFn func(dir string) (metrics map[string]float64, err error)

// Ensure is the cell's whole use of the store: it opens spec's run and,
// when no stored run is usable (none, a stale or corrupt one, or
// $KLCOURSE_RETRAIN), calls train and commits what it wrote to the own
// store; a training that fails or panics leaves nothing behind. backend describes the
// backend for the card. The run returned has its files in Dir either way;
// its Provenance says where it came from, or why it was trained.
func Ensure(spec Spec, backend string, train TrainFn) (*Run, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	return ensure(spec, root, backend, train)
}

func ensure(spec Spec, root, backend string, train TrainFn) (*Run, error) {
	r, err := open(spec, root)
	if err != nil || r.Found {
		return r, err
	}
	// A training that fails, panics (a must.* in train) or exits its
	// goroutine leaves no folder behind; a panic goes on up.
	committed := false
	defer func() {
		if !committed {
			r.Discard()
		}
	}()
	metrics, err := train(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("training run %q of %s: %w", spec.Name, spec.Notebook, err)
	}
	if err := r.Commit(metrics, backend); err != nil {
		return nil, err
	}
	committed = true
	return r, nil
}
