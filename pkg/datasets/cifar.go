package datasets

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
)

// The CIFAR-10 binary format (Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html):
// a file is a sequence of records of 1 label byte (0–9) followed by the 32×32
// red, then green, then blue bytes of one image, each plane row by row.
const (
	CIFARSide       = 32
	CIFARRecordSize = 1 + 3*CIFARSide*CIFARSide // 3073 bytes
)

// CIFAR10Classes are the names of CIFAR-10's classes in label order, as in the
// official batches.meta.txt.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// ReadCIFAR10 reads files in the CIFAR-10 binary format, in order, into one set
// of 32×32 RGB Images named name. Each file holds as many records as its size
// allows; a size that is not a whole number of 3073-byte records is an error.
// Every label must index classes.
func ReadCIFAR10(name string, classes []string, paths ...string) (*Images, error) {
	parts := make([][]byte, len(paths))
	for i, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		parts[i] = b
	}
	return decodeCIFAR(name, classes, paths, parts)
}

// decodeCIFAR decodes the contents of CIFAR-10 binary files; paths name them in errors.
func decodeCIFAR(name string, classes []string, paths []string, parts [][]byte) (*Images, error) {
	count := 0
	for i, b := range parts {
		if err := checkCIFAR(paths[i], b, -1, len(classes)); err != nil {
			return nil, err
		}
		count += len(b) / CIFARRecordSize
	}
	s := &Images{
		Name:   name,
		Height: CIFARSide, Width: CIFARSide, Channels: 3,
		Pixels:  make([]uint8, count*3*CIFARSide*CIFARSide),
		Labels:  make([]uint8, count),
		Classes: slices.Clone(classes),
	}
	i := 0
	for _, b := range parts {
		for r := 0; r < len(b); r += CIFARRecordSize {
			decodeCIFARRecord(b[r:r+CIFARRecordSize], s.Image(i), &s.Labels[i])
			i++
		}
	}
	return s, nil
}

// decodeCIFARRecord turns one record's planes (CHW) into interleaved pixels (HWC).
func decodeCIFARRecord(record, image []uint8, label *uint8) {
	const plane = CIFARSide * CIFARSide
	*label = record[0]
	red, green, blue := record[1:1+plane], record[1+plane:1+2*plane], record[1+2*plane:1+3*plane]
	for p := range plane {
		image[3*p], image[3*p+1], image[3*p+2] = red[p], green[p], blue[p]
	}
}

// checkCIFAR checks the structure of the contents b of a CIFAR-10 binary file:
// a whole number of records (exactly wantRecords of them unless wantRecords < 0)
// and every label below numClasses.
func checkCIFAR(path string, b []byte, wantRecords, numClasses int) error {
	if len(b)%CIFARRecordSize != 0 {
		return fileErrorf(path, "file size", fmt.Sprintf("a whole number of %d-byte records", CIFARRecordSize),
			"%d bytes = %d records and %d bytes left over", len(b), len(b)/CIFARRecordSize, len(b)%CIFARRecordSize)
	}
	if n := len(b) / CIFARRecordSize; wantRecords >= 0 && n != wantRecords {
		return fileErrorf(path, "number of records", fmt.Sprintf("%d (%d bytes)", wantRecords, wantRecords*CIFARRecordSize), "%d (%d bytes)", n, len(b))
	}
	for r := 0; r < len(b); r += CIFARRecordSize {
		if int(b[r]) >= numClasses {
			return fileErrorf(path, fmt.Sprintf("label of record %d (byte offset %d)", r/CIFARRecordSize, r),
				fmt.Sprintf("a class in 0..%d", numClasses-1), "%d", b[r])
		}
	}
	return nil
}

// ReadClassNames reads a class-name file such as CIFAR-10's batches.meta.txt:
// one name a line, in label order; blank lines at the end are ignored. It
// insists on exactly want names when want > 0.
func ReadClassNames(path string, want int) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseClassNames(path, b, want)
}

func parseClassNames(path string, b []byte, want int) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		names = append(names, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	if want > 0 && len(names) != want {
		return nil, fileErrorf(path, "number of class names", fmt.Sprintf("%d, one a line", want), "%d", len(names))
	}
	for i, n := range names {
		if n == "" {
			return nil, fileErrorf(path, fmt.Sprintf("class name on line %d", i+1), "a name", "an empty line")
		}
	}
	return names, nil
}
