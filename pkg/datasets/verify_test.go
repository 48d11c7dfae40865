package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const debianFashion = "/usr/share/datasets/fashion-mnist"

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			writeFile(t, filepath.Join(dst, e.Name()), readFile(t, filepath.Join(src, e.Name())))
		}
	}
	return dst
}

func TestVerifyRealData(t *testing.T) {
	t.Run("mnist", func(t *testing.T) {
		rep, err := Verify(MNIST, requireShared(t, "mnist"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Files) != 4 || !slices.Equal(rep.Complete, []string{"full"}) {
			t.Errorf("report:\n%s", rep)
		}
		for _, f := range rep.Files {
			if f.Verified != "sha256 of the published file" {
				t.Errorf("%s verified by %q", f.Path, f.Verified)
			}
		}
	})
	t.Run("cifar10 prefix", func(t *testing.T) {
		rep, err := Verify(CIFAR10, requireShared(t, "cifar10"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Complete, []string{"quick"}) || len(rep.Files) != 3 {
			t.Errorf("report:\n%s", rep)
		}
	})
	t.Run("fashion-mnist from Debian", func(t *testing.T) {
		if !dirExists(debianFashion) {
			t.Skip("no " + debianFashion)
		}
		rep, err := Verify(FashionMNIST, debianFashion)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Files {
			if f.Verified != "sha256 of the published uncompressed content" {
				t.Errorf("%s verified by %q", f.Path, f.Verified)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, err := Verify(MNIST, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") {
			t.Errorf("Verify of an empty directory: %v", err)
		}
	})
}

// TestVerifyCorruptCopies corrupts one file of a copy of the real data at a
// time; Verify must name it and say what was expected and found.
func TestVerifyCorruptCopies(t *testing.T) {
	mnist := requireShared(t, "mnist")
	const images, labels = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
	rawImages := gunzipBytes(t, readFile(t, filepath.Join(mnist, images)))
	rawLabels := gunzipBytes(t, readFile(t, filepath.Join(mnist, labels)))
	change := func(b []byte, f func([]byte) []byte) []byte { return f(slices.Clone(b)) }
	for _, tc := range []struct {
		name, file     string
		content        []byte
		what, expected string
	}{
		{"truncated gzip", images, readFile(t, filepath.Join(mnist, images))[:100000], "gzip stream", "complete"},
		{"wrong magic", images, gzipBytes(t, change(rawImages, func(b []byte) []byte { b[3] = 1; return b })), "magic number", "0x00000803"},
		{"wrong dimensions", images, gzipBytes(t, change(rawImages, func(b []byte) []byte {
			copy(b[8:16], []byte{0, 0, 0, 56, 0, 0, 0, 14}) // same size as 28×28
			return b
		})), "dimensions", "[10000×28×28]"},
		{"label count", labels, gzipBytes(t, idxBytes([]int{9999}, rawLabels[8:len(rawLabels)-1])), "number of labels", "10000"},
		{"label out of range", labels, gzipBytes(t, change(rawLabels, func(b []byte) []byte { b[8+77] = 12; return b })), "label 77", "0..9"},
		{"checksum mismatch", images, gzipBytes(t, change(rawImages, func(b []byte) []byte { b[1000] ^= 0x10; return b })), "sha256", "8d422c7b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, mnist)
			path := writeFile(t, filepath.Join(dir, tc.file), tc.content)
			_, err := Verify(MNIST, dir)
			checkFileError(t, err, path, tc.what, tc.expected)
		})
	}

	t.Run("truncated cifar10 prefix", func(t *testing.T) {
		dir := copyDir(t, requireShared(t, "cifar10"))
		path := filepath.Join(dir, cifarTestPrefix)
		writeFile(t, path, readFile(t, path)[:5000])
		_, err := Verify(CIFAR10, dir)
		checkFileError(t, err, path, "file size", "3073-byte records")
	})
	t.Run("cifar10 label out of range", func(t *testing.T) {
		dir := copyDir(t, requireShared(t, "cifar10"))
		path := filepath.Join(dir, cifarTrainPrefix)
		b := readFile(t, path)
		b[5*CIFARRecordSize] = 11
		writeFile(t, path, b)
		_, err := Verify(CIFAR10, dir)
		checkFileError(t, err, path, "label of record 5", "0..9")
	})
}

func TestLoadRealData(t *testing.T) {
	ctx := context.Background()
	t.Run("mnist", func(t *testing.T) {
		f := &Fetcher{Client: noNetwork(t)}
		train, test, err := f.Load(ctx, MNIST, requireShared(t, "mnist"))
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != 60000 || test.Len() != 10000 || train.Name != "mnist/train" {
			t.Errorf("got %s with %d and %s with %d images", train.Name, train.Len(), test.Name, test.Len())
		}
	})
	t.Run("cifar10 quick", func(t *testing.T) {
		f := &Fetcher{Quick: true, Client: noNetwork(t)}
		dir := requireShared(t, "cifar10")
		train, test, err := f.Load(ctx, CIFAR10, dir)
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != 4000 || test.Len() != 1000 || train.Channels != 3 {
			t.Errorf("got %d and %d images of %d channels, want 4000 and 1000 RGB", train.Len(), test.Len(), train.Channels)
		}
		if got := train.ClassCounts(); !slices.Equal(got, []int{396, 366, 420, 384, 422, 393, 414, 385, 407, 413}) {
			t.Errorf("class counts %v", got)
		}
	})
	t.Run("cifar10 full offline", func(t *testing.T) {
		f := &Fetcher{Offline: true, Client: noNetwork(t)}
		dir := requireShared(t, "cifar10")
		_, _, err := f.Load(ctx, CIFAR10, dir)
		var incomplete *IncompleteError
		if !errors.As(err, &incomplete) {
			t.Fatalf("got %v, want an IncompleteError", err)
		}
		for _, want := range []string{filepath.Join(dir, "cifar-10-binary.tar.gz"), "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
			cifarSpec.archive.sha256, "KLCOURSE_QUICK=1", cifarTrainPrefix} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not mention %q:\n%v", want, err)
			}
		}
	})
	t.Run("fashion-mnist packaged", func(t *testing.T) {
		if !dirExists(debianFashion) {
			t.Skip("no " + debianFashion)
		}
		f := &Fetcher{Offline: true, Client: noNetwork(t)}
		train, test, err := f.Load(ctx, FashionMNIST, filepath.Join(t.TempDir(), "fashion-mnist"))
		if err != nil {
			t.Fatal(err)
		}
		// Fashion-MNIST is balanced: 6000 training and 1000 test images a class.
		for c, n := range train.ClassCounts() {
			if n != 6000 {
				t.Errorf("class %d (%s) has %d training images, want 6000", c, train.Classes[c], n)
			}
		}
		for c, n := range test.ClassCounts() {
			if n != 1000 {
				t.Errorf("class %d has %d test images, want 1000", c, n)
			}
		}
	})
}

// TestFetchRealMNISTFromServer downloads the real MNIST files, served by a
// test server at every official URL, into an empty directory.
func TestFetchRealMNISTFromServer(t *testing.T) {
	shared := requireShared(t, "mnist")
	files := map[string][]byte{}
	for _, f := range mnistSpec.files {
		files[f.name] = readFile(t, filepath.Join(shared, f.name))
	}
	server := newFileServer(t, files, "ok")
	server.mode["train-images-idx3-ubyte.gz"] = "broken" // the first mirror breaks; so do the others: all are this server
	dir := filepath.Join(t.TempDir(), "mnist")
	f := &Fetcher{Client: redirectTo(server.Server)}
	_, err := f.Fetch(context.Background(), MNIST, dir)
	if err == nil {
		t.Fatal("the fetch succeeded although every mirror broke off train-images")
	}
	if exists(filepath.Join(dir, "train-images-idx3-ubyte.gz")) || len(partFiles(t, dir)) != 0 {
		t.Error("a broken transfer left a file behind")
	}
	if !exists(filepath.Join(dir, "t10k-images-idx3-ubyte.gz")) {
		t.Error("the files that did arrive were not kept")
	}
	delete(server.mode, "train-images-idx3-ubyte.gz")
	requestsBefore := server.count()
	rep, err := f.Fetch(context.Background(), MNIST, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := server.count() - requestsBefore; got != 1 {
		t.Errorf("the second fetch made %d requests, want 1 (the missing file)", got)
	}
	if _, err := Verify(MNIST, dir); err != nil {
		t.Errorf("%v\n%s", err, rep)
	}
}

// TestLoadCIFARQuickFromFull checks that quick mode takes the same records
// from the full batches as the prefix files hold.
func TestLoadCIFARQuickFromFull(t *testing.T) {
	trainPrefix, testPrefix := cifarRecords(cifarQuickTrain), cifarRecords(cifarQuickTest)
	if dir := sharedData(t, "cifar10"); dir != "" {
		trainPrefix, testPrefix = readFile(t, filepath.Join(dir, cifarTrainPrefix)), readFile(t, filepath.Join(dir, cifarTestPrefix))
	}
	extra := cifarRecords(7)
	full := map[string][]byte{"data_batch_1.bin": append(slices.Clone(trainPrefix), extra...), cifarTest: append(slices.Clone(testPrefix), extra...)}
	fromFull, fromFullTest, err := loadCIFAR(full, true)
	if err != nil {
		t.Fatal(err)
	}
	fromPrefix, fromPrefixTest, err := loadCIFAR(map[string][]byte{cifarTrainPrefix: trainPrefix, cifarTestPrefix: testPrefix}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fromFull.Pixels, fromPrefix.Pixels) || !slices.Equal(fromFull.Labels, fromPrefix.Labels) ||
		!slices.Equal(fromFullTest.Pixels, fromPrefixTest.Pixels) || fromFull.Len() != cifarQuickTrain || fromFullTest.Len() != cifarQuickTest {
		t.Error("quick mode takes different images from the full batches than from the prefix files")
	}
}

// fullCIFAR builds a directory laid out like the extracted official data set
// whose data_batch_1.bin and test_batch.bin begin with the real prefix records
// (and continue with generated ones); data_batch_2..5 share one generated file.
func fullCIFAR(t *testing.T) string {
	shared := requireShared(t, "cifar10")
	dir := t.TempDir()
	filler := cifarRecords(cifarBatch)
	trainPrefix, testPrefix := readFile(t, filepath.Join(shared, cifarTrainPrefix)), readFile(t, filepath.Join(shared, cifarTestPrefix))
	writeFile(t, filepath.Join(dir, "data_batch_1.bin"), append(slices.Clone(trainPrefix), filler[len(trainPrefix):]...))
	writeFile(t, filepath.Join(dir, cifarTest), append(slices.Clone(testPrefix), filler[len(testPrefix):]...))
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), filler)
	for _, name := range cifarTrainBatches[2:] {
		if err := os.Link(filepath.Join(dir, "data_batch_2.bin"), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, cifarMeta), readFile(t, filepath.Join(shared, cifarMeta)))
	return dir
}

func TestCIFARFullLayout(t *testing.T) {
	dir := fullCIFAR(t)
	rep, err := Verify(CIFAR10, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Complete, []string{"full"}) {
		t.Errorf("complete: %v", rep.Complete)
	}
	for _, f := range rep.Files {
		if strings.HasSuffix(f.Path, "data_batch_1.bin") && !strings.Contains(f.Verified, "first records match "+cifarTrainPrefix) {
			t.Errorf("%s verified by %q", f.Path, f.Verified)
		}
	}

	ctx := context.Background()
	train, test, err := (&Fetcher{Client: noNetwork(t)}).Load(ctx, CIFAR10, dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 50000 || test.Len() != 10000 {
		t.Errorf("full mode: %d and %d images, want 50000 and 10000", train.Len(), test.Len())
	}
	quickTrain, quickTest, err := (&Fetcher{Quick: true, Client: noNetwork(t)}).Load(ctx, CIFAR10, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(quickTrain.Pixels, train.Head(cifarQuickTrain).Pixels) || quickTest.Len() != cifarQuickTest {
		t.Error("quick mode from the full set is not the first 4000 / 1000 images")
	}

	// A data_batch_1.bin whose first records differ from the pinned prefix.
	path := filepath.Join(dir, "data_batch_1.bin")
	b := readFile(t, path)
	b[12345]++
	writeFile(t, path, b)
	_, err = Verify(CIFAR10, dir)
	checkFileError(t, err, path, "sha256 of the first 12292000 bytes", cifarTrainPrefix)
}
