package datasets

import (
	"path/filepath"
	"slices"
	"testing"
)

// cifarRecords generates n CIFAR-10 records with labels i mod 10 and pixels
// that depend on the record, channel and position.
func cifarRecords(n int) []byte {
	b := make([]byte, n*CIFARRecordSize)
	for i := range n {
		r := b[i*CIFARRecordSize : (i+1)*CIFARRecordSize]
		r[0] = byte(i % 10)
		for p := 1; p < len(r); p++ {
			r[p] = byte(i*31 + p*7)
		}
	}
	return b
}

func TestReadCIFAR10Generated(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, filepath.Join(dir, "a.bin"), cifarRecords(3))
	b := writeFile(t, filepath.Join(dir, "b.bin"), cifarRecords(2))
	s, err := ReadCIFAR10("generated", CIFAR10Classes, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 5 || s.Height != 32 || s.Width != 32 || s.Channels != 3 {
		t.Fatalf("got %d images of %d×%d×%d, want 5 of 32×32×3", s.Len(), s.Height, s.Width, s.Channels)
	}
	if got, want := s.Labels, []uint8{0, 1, 2, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	// Pixel (row 5, column 7) of image 1 in channel c is the record's byte
	// 1 + c·1024 + 5·32 + 7.
	rec := cifarRecords(3)[CIFARRecordSize : 2*CIFARRecordSize]
	img := s.Image(1)
	for c := range 3 {
		if got, want := img[(5*32+7)*3+c], rec[1+c*1024+5*32+7]; got != want {
			t.Errorf("channel %d of pixel (5, 7): got %d, want %d", c, got, want)
		}
	}
}

// TestReadCIFAR10Prefix reads the real prefix files and checks the counts and
// first labels the data's README publishes.
func TestReadCIFAR10Prefix(t *testing.T) {
	dir := requireShared(t, "cifar10")
	classes, err := ReadClassNames(filepath.Join(dir, "batches.meta.txt"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(classes, CIFAR10Classes) {
		t.Errorf("batches.meta.txt names %v, want %v", classes, CIFAR10Classes)
	}
	train, err := ReadCIFAR10("cifar10/train", classes, filepath.Join(dir, "data_batch_1.first4000.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 4000 {
		t.Errorf("%d training images, want 4000", train.Len())
	}
	if got, want := train.Labels[:10], []uint8{6, 9, 9, 4, 1, 1, 2, 7, 8, 3}; !slices.Equal(got, want) {
		t.Errorf("first labels %v, want %v", got, want)
	}
	if got, want := train.ClassCounts(), []int{396, 366, 420, 384, 422, 393, 414, 385, 407, 413}; !slices.Equal(got, want) {
		t.Errorf("class counts %v, want %v", got, want)
	}
	test, err := ReadCIFAR10("cifar10/test", classes, filepath.Join(dir, "test_batch.first1000.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if test.Len() != 1000 {
		t.Errorf("%d test images, want 1000", test.Len())
	}
}

func TestCIFARBadInput(t *testing.T) {
	records := cifarRecords(4)
	if shared := sharedData(t, "cifar10"); shared != "" {
		records = readFile(t, filepath.Join(shared, "test_batch.first1000.bin"))[:4*CIFARRecordSize]
	}
	dir := t.TempDir()
	t.Run("size not a whole number of records", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "short.bin"), records[:len(records)-5])
		_, err := ReadCIFAR10("bad", CIFAR10Classes, path)
		checkFileError(t, err, path, "file size", "3073-byte records")
	})
	t.Run("label out of range", func(t *testing.T) {
		b := slices.Clone(records)
		b[2*CIFARRecordSize] = 10
		path := writeFile(t, filepath.Join(dir, "label.bin"), b)
		_, err := ReadCIFAR10("bad", CIFAR10Classes, path)
		checkFileError(t, err, path, "label of record 2", "0..9")
	})
	t.Run("class names", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "meta.txt"), []byte("airplane\nautomobile\n\nbird\n"))
		_, err := ReadClassNames(path, 10)
		checkFileError(t, err, path, "number of class names", "10")
		_, err = ReadClassNames(path, 0)
		checkFileError(t, err, path, "class name on line 3", "a name")
	})
}
