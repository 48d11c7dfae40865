package datasets

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// rowEpoch runs one Iter of b over rows whose first value is their index
// (Width 3) and returns the indices of each batch, checking the shape, the
// copied values and, with InputLabels, the second copy.
func rowEpoch(t *testing.T, b *Batches) [][]int {
	t.Helper()
	var epoch [][]int
	for batch, err := range b.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		dims := batch.Inputs[0].Shape().Dimensions
		if len(dims) != 2 || dims[1] != 3 {
			t.Fatalf("a batch of rows has shape %v, want [n, 3]", dims)
		}
		values := tensors.MustCopyFlatData[float32](batch.Inputs[0])
		var indices []int
		for k := 0; k < len(values); k += 3 {
			i := int(values[k])
			if values[k+1] != 0.5*float32(i) || values[k+2] != -float32(i) {
				t.Fatalf("row %d came out as %v", i, values[k:k+3])
			}
			indices = append(indices, i)
		}
		switch b.opts.Labels {
		case NoLabels:
			if len(batch.Labels) != 0 {
				t.Fatalf("NoLabels gave %d label tensors", len(batch.Labels))
			}
		case InputLabels:
			if len(batch.Labels) != 1 || batch.Labels[0] == batch.Inputs[0] || !slices.Equal(tensors.MustCopyFlatData[float32](batch.Labels[0]), values) {
				t.Fatal("InputLabels did not give a separate copy of the rows")
			}
		}
		if err := batch.Finalize(); err != nil {
			t.Fatal(err)
		}
		epoch = append(epoch, indices)
	}
	return epoch
}

func indexedRows(n int) *Rows {
	r := &Rows{Name: "indexed rows", Width: 3}
	for i := range n {
		r.Values = append(r.Values, float32(i), 0.5*float32(i), -float32(i))
	}
	return r
}

// Rows are served in the order Images of as many images are: the same seed
// gives the same batches, whichever the data.
func TestRowBatchesOrder(t *testing.T) {
	for _, opts := range []BatchOptions{
		{Size: 5, Shuffle: true, Seed: 3, Labels: NoLabels},
		{Size: 5, Shuffle: true, Seed: 4, DropRemainder: true, Labels: InputLabels},
		{Size: 7, Labels: NoLabels},
	} {
		rb, err := NewRowBatches(indexedRows(23), opts)
		if err != nil {
			t.Fatal(err)
		}
		imgOpts := opts
		imgOpts.Labels = SparseLabels
		ib, err := NewBatches(indexedImages(23), imgOpts)
		if err != nil {
			t.Fatal(err)
		}
		if rb.Len() != ib.Len() || rb.Name() != "indexed rows" || rb.Options() != opts {
			t.Errorf("%+v: Len %d (images: %d), Name %q, Options %+v", opts, rb.Len(), ib.Len(), rb.Name(), rb.Options())
		}
		for e := range 2 {
			rows, images := rowEpoch(t, rb), epochIndices(t, ib)
			if !slices.EqualFunc(rows, images, slices.Equal) {
				t.Errorf("%+v, epoch %d: rows in batches %v, images in %v", opts, e, rows, images)
			}
			if opts.DropRemainder && len(rows[len(rows)-1]) != opts.Size {
				t.Errorf("%+v: DropRemainder left a last batch of %d", opts, len(rows[len(rows)-1]))
			}
		}
	}
}

func TestRowBatchesErrors(t *testing.T) {
	for name, c := range map[string]struct {
		rows *Rows
		opts BatchOptions
	}{
		"labels":      {indexedRows(4), BatchOptions{Size: 2}}, // SparseLabels, the zero value
		"one-hot":     {indexedRows(4), BatchOptions{Size: 2, Labels: OneHotLabels}},
		"width":       {&Rows{Name: "bad", Width: 0, Values: []float32{1}}, BatchOptions{Size: 1, Labels: NoLabels}},
		"partial row": {&Rows{Name: "bad", Width: 3, Values: []float32{1, 2}}, BatchOptions{Size: 1, Labels: NoLabels}},
		"size":        {indexedRows(4), BatchOptions{Size: 0, Labels: NoLabels}},
		"too few":     {indexedRows(4), BatchOptions{Size: 5, DropRemainder: true, Labels: NoLabels}},
		"empty":       {&Rows{Name: "empty", Width: 3}, BatchOptions{Size: 1, Labels: NoLabels}},
	} {
		if _, err := NewRowBatches(c.rows, c.opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
