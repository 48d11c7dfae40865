package datasets

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Rows is a set of float32 vectors of one length, without labels: data that
// are not images of bytes (the points of a 2-D mixture) or images already
// turned into numbers (an RBM's pixel intensities). NewRowBatches serves
// them in batches, in the same seeded orders as Batches serves Images.
type Rows struct {
	Name   string    // for messages: "mnist/train pixels", "two clusters"
	Width  int       // values per row
	Values []float32 // row i is Values[i*Width : (i+1)*Width]
}

// Len returns the number of rows.
func (r *Rows) Len() int {
	if r.Width <= 0 {
		return 0
	}
	return len(r.Values) / r.Width
}

// Check reports whether r is consistent: a positive Width that divides
// len(Values).
func (r *Rows) Check() error {
	if r.Width <= 0 {
		return fmt.Errorf("%s: rows need a positive width, found %d", r.Name, r.Width)
	}
	if len(r.Values)%r.Width != 0 {
		return fmt.Errorf("%s: %d values are not whole rows of %d", r.Name, len(r.Values), r.Width)
	}
	return nil
}

// NewRowBatches returns a Batches over rows: each batch is a float32 tensor
// [batch, Width] of fresh copies of the rows, epoch e in the order given by
// (Seed, e) when shuffled — the same order as NewBatches gives Images of as
// many images. Rows have no labels: opts.Labels must be NoLabels (the rows
// alone) or InputLabels (a second copy, an autoencoder's targets);
// opts.Flatten does not matter (rows are flat).
func NewRowBatches(rows *Rows, opts BatchOptions) (*Batches, error) {
	if err := rows.Check(); err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	if opts.Labels != NoLabels && opts.Labels != InputLabels {
		return nil, fmt.Errorf("datasets: %s has no labels: set BatchOptions.Labels to NoLabels or InputLabels, found kind %d", rows.Name, opts.Labels)
	}
	if opts.Size <= 0 {
		return nil, fmt.Errorf("datasets: batch size for %s must be positive, found %d", rows.Name, opts.Size)
	}
	if rows.Len() == 0 || (opts.DropRemainder && rows.Len() < opts.Size) {
		return nil, fmt.Errorf("datasets: %s has %d rows, too few for one batch of %d", rows.Name, rows.Len(), opts.Size)
	}
	return &Batches{rows: rows, opts: opts}, nil
}

// tensor copies the rows at indices into a new float32 tensor [len(indices), Width].
func (r *Rows) tensor(indices []int) *tensors.Tensor {
	w := r.Width
	t := tensors.FromShape(shapes.Make(dtypes.Float32, len(indices), w))
	tensors.MustMutableFlatData(t, func(dst []float32) {
		for k, i := range indices {
			copy(dst[k*w:(k+1)*w], r.Values[i*w:(i+1)*w])
		}
	})
	return t
}
