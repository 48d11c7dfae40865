package datasets

import (
	"fmt"
	"iter"
	"sync"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/klcourse/klcourse/internal/rng"
)

// LabelKind selects the labels a Batches yields with each batch of images.
type LabelKind int

const (
	// SparseLabels are class indices, int32 [batch, 1], as GoMLX's
	// loss.SparseCategoricalCrossEntropyLogits takes them.
	SparseLabels LabelKind = iota
	// OneHotLabels are float32 [batch, NumClasses] rows, 1 at the class.
	OneHotLabels
	// InputLabels are a second, separate copy of the batch's images, the
	// targets of an autoencoder. (The trainer frees each batch tensor after
	// use, so inputs and labels must never be the same tensor.)
	InputLabels
	// NoLabels yields the images alone.
	NoLabels
)

// BatchOptions configure a Batches.
type BatchOptions struct {
	Size          int       // images per batch; must be positive
	Shuffle       bool      // visit the images in a new random order each epoch, chosen by Seed
	Seed          uint64    // seed of the shuffles; epoch e's order depends on Seed and e only
	DropRemainder bool      // skip the last batch of an epoch when it has fewer than Size images
	Flatten       bool      // images as [batch, Height·Width·Channels] instead of [batch, Height, Width, Channels]
	Labels        LabelKind // what each batch's labels are
	// Repeat makes one Iter run forever, epoch after epoch, for
	// train.Loop.RunSteps; without it each Iter is exactly one epoch, for
	// train.Loop.RunEpochs (a Keras-like fit) and for evaluation.
	Repeat bool
}

// Batches serves Images (or, made by NewRowBatches, Rows) in batches to
// GoMLX's training loop: it implements train.Dataset. Every batch is made of fresh tensors, because the trainer takes
// ownership of them and frees them after the step.
//
// Each call of Iter starts a new epoch: epoch 0, 1, 2, … in call order. With
// Shuffle, epoch e visits the images in the order given by (Seed, e), so a run
// is reproducible whatever was read of earlier epochs. The last batch of an
// epoch holds the remaining images (fewer than Size) unless DropRemainder is
// set. On backends without dynamic shapes (XLA) that smaller batch compiles its
// own graph once.
type Batches struct {
	images *Images
	rows   *Rows // instead of images: NewRowBatches
	opts   BatchOptions

	mu    sync.Mutex
	epoch int // epochs started
}

var _ train.Dataset = (*Batches)(nil)

// NewBatches returns a Batches over images.
func NewBatches(images *Images, opts BatchOptions) (*Batches, error) {
	if opts.Size <= 0 {
		return nil, fmt.Errorf("datasets: batch size for %s must be positive, found %d", images.Name, opts.Size)
	}
	if opts.Labels < SparseLabels || opts.Labels > NoLabels {
		return nil, fmt.Errorf("datasets: unknown label kind %d for %s", opts.Labels, images.Name)
	}
	if images.Len() == 0 || (opts.DropRemainder && images.Len() < opts.Size) {
		return nil, fmt.Errorf("datasets: %s has %d images, too few for one batch of %d", images.Name, images.Len(), opts.Size)
	}
	return &Batches{images: images, opts: opts}, nil
}

// Name implements train.Dataset: the name of the images (or rows).
func (b *Batches) Name() string {
	if b.rows != nil {
		return b.rows.Name
	}
	return b.images.Name
}

// Options returns the options the Batches was made with.
func (b *Batches) Options() BatchOptions { return b.opts }

// count is the number of images (or rows) of an epoch.
func (b *Batches) count() int {
	if b.rows != nil {
		return b.rows.Len()
	}
	return b.images.Len()
}

// Len returns the number of batches in one epoch.
func (b *Batches) Len() int {
	n, size := b.count(), b.opts.Size
	if b.opts.DropRemainder {
		return n / size
	}
	return (n + size - 1) / size
}

// Epoch returns the number of epochs started so far (calls of Iter).
func (b *Batches) Epoch() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.epoch
}

// Iter implements train.Dataset: it yields the batches of the next epoch
// (of all following epochs, with Repeat).
func (b *Batches) Iter() iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		for {
			b.mu.Lock()
			epoch := b.epoch
			b.epoch++
			b.mu.Unlock()
			order := b.order(epoch)
			for k := range b.Len() {
				indices := order[k*b.opts.Size : min((k+1)*b.opts.Size, len(order))]
				if !yield(b.batch(indices), nil) {
					return
				}
			}
			if !b.opts.Repeat {
				return
			}
		}
	}
}

// order returns the order in which epoch visits the images.
func (b *Batches) order(epoch int) []int {
	if !b.opts.Shuffle {
		return firstN(b.count())
	}
	return rng.New(b.opts.Seed, streamBatches<<32|uint64(epoch)).Perm(b.count())
}

func (b *Batches) batch(indices []int) train.Batch {
	if r := b.rows; r != nil {
		batch := train.Batch{Inputs: []*tensors.Tensor{r.tensor(indices)}}
		if b.opts.Labels == InputLabels {
			batch.Labels = []*tensors.Tensor{r.tensor(indices)}
		}
		return batch
	}
	s := b.images
	inputs := []*tensors.Tensor{s.imagesTensor(indices, b.opts.Flatten)}
	var labels []*tensors.Tensor
	switch b.opts.Labels {
	case SparseLabels:
		labels = []*tensors.Tensor{s.labelsTensor(indices)}
	case OneHotLabels:
		labels = []*tensors.Tensor{s.oneHotTensor(indices)}
	case InputLabels:
		labels = []*tensors.Tensor{s.imagesTensor(indices, b.opts.Flatten)}
	}
	return train.Batch{Inputs: inputs, Labels: labels}
}
