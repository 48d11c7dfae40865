package datasets

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadIDXGzippedAndRaw(t *testing.T) {
	pixels, _ := generatedImages(5, 3, 4, 10)
	raw := idxBytes([]int{5, 3, 4}, pixels)
	dir := t.TempDir()
	for _, path := range []string{
		writeFile(t, filepath.Join(dir, "images.idx"), raw),
		writeFile(t, filepath.Join(dir, "images.idx.gz"), gzipBytes(t, raw)),
		writeFile(t, filepath.Join(dir, "gzipped-without-suffix"), gzipBytes(t, raw)),
	} {
		idx, err := ReadIDX(path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(idx.Dims, []int{5, 3, 4}) || !slices.Equal(idx.Data, pixels) {
			t.Errorf("%s: got dims %v and %d bytes, want [5 3 4] and the %d written", path, idx.Dims, len(idx.Data), len(pixels))
		}
	}
}

func TestReadIDXImagesGenerated(t *testing.T) {
	dir := t.TempDir()
	pixels, labels := generatedImages(20, 28, 28, 10)
	images := writeFile(t, filepath.Join(dir, "images.gz"), gzipBytes(t, idxBytes([]int{20, 28, 28}, pixels)))
	labelsPath := writeFile(t, filepath.Join(dir, "labels.gz"), gzipBytes(t, idxBytes([]int{20}, labels)))
	s, err := ReadIDXImages("generated", images, labelsPath, MNISTClasses)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 20 || s.Height != 28 || s.Width != 28 || s.Channels != 1 {
		t.Fatalf("got %d images of %d×%d×%d, want 20 of 28×28×1", s.Len(), s.Height, s.Width, s.Channels)
	}
	if !slices.Equal(s.Pixels, pixels) || !slices.Equal(s.Labels, labels) {
		t.Error("pixels or labels differ from those written")
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// TestReadMNIST reads the real MNIST files and compares with MNIST's published
// class frequencies and its well-known first labels.
func TestReadMNIST(t *testing.T) {
	dir := requireShared(t, "mnist")
	train, err := ReadIDXImages("mnist/train", filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz"), MNISTClasses)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 60000 || train.Height != 28 || train.Width != 28 {
		t.Fatalf("got %d images of %d×%d, want 60000 of 28×28", train.Len(), train.Height, train.Width)
	}
	if got, want := train.Labels[:10], []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}; !slices.Equal(got, want) {
		t.Errorf("first labels %v, want %v", got, want)
	}
	// The training set's digit counts, as listed e.g. in LeCun et al.'s
	// data-set statistics and reproduced by every MNIST tutorial.
	if got, want := train.ClassCounts(), []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}; !slices.Equal(got, want) {
		t.Errorf("class counts %v, want %v", got, want)
	}
}

// TestIDXBadInput corrupts copies of real files (generated ones when the real
// data is absent) and checks that each defect gives a FileError naming the file
// with what was expected and what was found.
func TestIDXBadInput(t *testing.T) {
	dir := t.TempDir()
	var imagesGz, labelsGz []byte
	if shared := sharedData(t, "mnist"); shared != "" {
		// The test set keeps the re-compressions below fast.
		imagesGz = readFile(t, filepath.Join(shared, "t10k-images-idx3-ubyte.gz"))
		labelsGz = readFile(t, filepath.Join(shared, "t10k-labels-idx1-ubyte.gz"))
	} else {
		pixels, labels := generatedImages(10000, 28, 28, 10)
		imagesGz, labelsGz = gzipBytes(t, idxBytes([]int{10000, 28, 28}, pixels)), gzipBytes(t, idxBytes([]int{10000}, labels))
	}
	images, labels := gunzipBytes(t, imagesGz), gunzipBytes(t, labelsGz)
	goodImages := writeFile(t, filepath.Join(dir, "good-images.gz"), imagesGz)
	goodLabels := writeFile(t, filepath.Join(dir, "good-labels.gz"), labelsGz)

	modify := func(b []byte, f func([]byte) []byte) []byte { return f(slices.Clone(b)) }
	tests := []struct {
		name           string
		images, labels []byte // nil: the good file
		badFile        string // "images" or "labels"
		what, expected string // substrings of the FileError's fields
	}{
		{name: "truncated gzip", images: imagesGz[:len(imagesGz)/2], badFile: "images",
			what: "gzip stream", expected: "complete gzip stream"},
		{name: "wrong magic", images: gzipBytes(t, modify(images, func(b []byte) []byte { b[2] = 0x0d; return b })), badFile: "images",
			what: "magic number", expected: "0x00000803"},
		{name: "labels as images", images: labelsGz, badFile: "images",
			what: "magic number", expected: "0x00000803"},
		{name: "truncated content", images: gzipBytes(t, images[:len(images)-100]), badFile: "images",
			what: "IDX data size", expected: "7840000 bytes"},
		{name: "image/label count mismatch", labels: gzipBytes(t, idxBytes([]int{9999}, labels[8:len(labels)-1])), badFile: "labels",
			what: "number of labels", expected: "10000"},
		{name: "label out of range", labels: gzipBytes(t, modify(labels, func(b []byte) []byte { b[8+123] = 10; return b })), badFile: "labels",
			what: "label 123", expected: "0..9"},
		{name: "corrupt gzip data", images: modify(imagesGz, func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }), badFile: "images",
			what: "gzip", expected: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			imagesPath, labelsPath := goodImages, goodLabels
			if tc.images != nil {
				imagesPath = writeFile(t, filepath.Join(t.TempDir(), "images.gz"), tc.images)
			}
			if tc.labels != nil {
				labelsPath = writeFile(t, filepath.Join(t.TempDir(), "labels.gz"), tc.labels)
			}
			_, err := ReadIDXImages("bad", imagesPath, labelsPath, MNISTClasses)
			wantPath := map[string]string{"images": imagesPath, "labels": labelsPath}[tc.badFile]
			checkFileError(t, err, wantPath, tc.what, tc.expected)
		})
	}
}

// checkFileError checks that err is a FileError about path whose What and
// Expected contain what and expected, and that its message names the file.
func checkFileError(t *testing.T, err error, path, what, expected string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got error %v, want a *FileError about %s", err, path)
	}
	if fe.Path != path || !strings.Contains(fe.What, what) || !strings.Contains(fe.Expected, expected) || fe.Found == "" {
		t.Errorf("got %#v, want a FileError about %s: %q, expected %q", fe, path, what, expected)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("message %q does not name %s", err, path)
	}
	t.Log(err)
}
