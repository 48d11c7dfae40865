package datasets

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkReadMNISTTrain measures reading the 60000 MNIST training images
// (gunzip, IDX decoding) and converting them to GoMLX tensors.
func BenchmarkReadMNISTTrain(b *testing.B) {
	dir := requireShared(b, "mnist")
	for b.Loop() {
		train, err := ReadIDXImages("mnist/train", filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz"), MNISTClasses)
		if err != nil {
			b.Fatal(err)
		}
		images, labels := train.ImagesTensor(), train.LabelsTensor()
		images.MustFinalizeAll()
		labels.MustFinalizeAll()
	}
}

// BenchmarkLoadMNIST measures what a notebook's LoadMNIST costs: verifying the
// four files by sha256 and structure, decoding both sets, and converting the
// training set to tensors.
func BenchmarkLoadMNIST(b *testing.B) {
	dir := requireShared(b, "mnist")
	f := &Fetcher{Offline: true}
	for b.Loop() {
		train, _, err := f.Load(context.Background(), MNIST, dir)
		if err != nil {
			b.Fatal(err)
		}
		images, labels := train.ImagesTensor(), train.LabelsTensor()
		images.MustFinalizeAll()
		labels.MustFinalizeAll()
	}
}
