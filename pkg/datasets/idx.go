package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// IDX is the content of an IDX file of unsigned bytes, the format of MNIST and
// Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/): a magic
// number 0x0000TTRR (TT = 0x08 for unsigned bytes, RR = the rank), RR big-endian
// uint32 dimensions, then the values in row-major order.
type IDX struct {
	Dims []int
	Data []byte // len(Data) is the product of Dims
}

// IDX magic numbers of the files this package reads.
const (
	IDXImagesMagic = 0x00000803 // unsigned bytes, rank 3: images × rows × columns
	IDXLabelsMagic = 0x00000801 // unsigned bytes, rank 1: labels
)

// ReadIDX reads an IDX file of unsigned bytes. The file may be gzipped or raw:
// gzip is recognised by its magic bytes, not by the file name.
func ReadIDX(path string) (*IDX, error) {
	b, err := readMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	return DecodeIDX(path, b)
}

// DecodeIDX decodes the raw (not gzipped) bytes of an IDX file of unsigned
// bytes; path only names the file in errors.
func DecodeIDX(path string, b []byte) (*IDX, error) {
	if len(b) < 4 {
		return nil, fileErrorf(path, "IDX header", "at least 4 bytes", "%d bytes", len(b))
	}
	magic := binary.BigEndian.Uint32(b)
	if magic>>16 != 0 || magic>>8&0xff != 0x08 || magic&0xff == 0 {
		return nil, fileErrorf(path, "magic number", "0x000008RR (IDX of unsigned bytes, rank RR ≥ 1), such as 0x00000803 or 0x00000801",
			"0x%08x%s", magic, gzipHint(b))
	}
	rank := int(magic & 0xff)
	header := 4 + 4*rank
	if len(b) < header {
		return nil, fileErrorf(path, "IDX header", fmt.Sprintf("%d bytes for rank %d", header, rank), "%d bytes", len(b))
	}
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(b[4+4*i:]))
	}
	// The product of the dimensions, or −1 when it passes 2⁵⁰ (no file is
	// that large, and the product of up to 255 uint32 could overflow).
	size := 1
	for _, d := range dims {
		if size >= 0 && d > 0 && size > (1<<50)/d {
			size = -1
		} else if size >= 0 {
			size *= d
		}
	}
	if len(b)-header != size {
		expected := fmt.Sprintf("%d bytes after the header for dimensions %s", size, dimString(dims))
		if size < 0 {
			expected = fmt.Sprintf("an impossible size: dimensions %s", dimString(dims))
		}
		return nil, fileErrorf(path, "IDX data size", expected, "%d bytes", len(b)-header)
	}
	return &IDX{Dims: dims, Data: b[header:]}, nil
}

// decodeIDXWant is DecodeIDX for a file that must have the given magic number
// (IDXImagesMagic or IDXLabelsMagic): a different one is reported as such
// rather than as whatever it breaks later.
func decodeIDXWant(path string, b []byte, magic uint32) (*IDX, error) {
	if len(b) >= 4 {
		if found := binary.BigEndian.Uint32(b); found != magic {
			return nil, fileErrorf(path, "magic number", fmt.Sprintf("0x%08x (%s)", magic, magicMeaning(magic)), "0x%08x%s", found, gzipHint(b))
		}
	}
	return DecodeIDX(path, b)
}

func magicMeaning(magic uint32) string {
	switch magic {
	case IDXImagesMagic:
		return "IDX images: unsigned bytes, rank 3"
	case IDXLabelsMagic:
		return "IDX labels: unsigned bytes, rank 1"
	}
	return "IDX"
}

// ReadIDXImages reads a pair of IDX files, images (rank 3: count × rows ×
// columns) and labels (rank 1), into grayscale Images. Every label must index
// classes. name names the result.
func ReadIDXImages(name, imagesPath, labelsPath string, classes []string) (*Images, error) {
	type result struct {
		idx *IDX
		err error
	}
	read := func(path string, magic uint32) (*IDX, error) {
		b, err := readMaybeGzip(path)
		if err != nil {
			return nil, err
		}
		return decodeIDXWant(path, b, magic)
	}
	// Decompressing the images is most of the work; the labels come meanwhile.
	labelsDone := make(chan result, 1)
	go func() {
		idx, err := read(labelsPath, IDXLabelsMagic)
		labelsDone <- result{idx, err}
	}()
	images, err := read(imagesPath, IDXImagesMagic)
	labels := <-labelsDone
	if err != nil {
		return nil, err
	}
	if labels.err != nil {
		return nil, labels.err
	}
	return idxImages(name, imagesPath, images, labelsPath, labels.idx, classes)
}

func idxImages(name, imagesPath string, images *IDX, labelsPath string, labels *IDX, classes []string) (*Images, error) {
	if len(images.Dims) != 3 {
		return nil, fileErrorf(imagesPath, "dimensions", "3 (images × rows × columns), magic 0x00000803", "%d: %s", len(images.Dims), dimString(images.Dims))
	}
	if len(labels.Dims) != 1 {
		return nil, fileErrorf(labelsPath, "dimensions", "1 (labels), magic 0x00000801", "%d: %s", len(labels.Dims), dimString(labels.Dims))
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fileErrorf(labelsPath, "number of labels", fmt.Sprintf("%d, one per image of %s", images.Dims[0], imagesPath), "%d", labels.Dims[0])
	}
	if err := checkLabels(labelsPath, labels.Data, len(classes)); err != nil {
		return nil, err
	}
	return &Images{
		Name:   name,
		Height: images.Dims[1], Width: images.Dims[2], Channels: 1,
		Pixels:  images.Data,
		Labels:  labels.Data,
		Classes: classes,
	}, nil
}

func checkLabels(path string, labels []byte, numClasses int) error {
	for i, l := range labels {
		if int(l) >= numClasses {
			return fileErrorf(path, fmt.Sprintf("label %d", i), fmt.Sprintf("a class in 0..%d", numClasses-1), "%d", l)
		}
	}
	return nil
}

// readMaybeGzip returns the contents of path, gunzipped when it starts with
// gzip's magic bytes.
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !isGzip(b) {
		return b, nil
	}
	return gunzip(path, b)
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// gunzip decompresses b, the contents of path, checking gzip's CRC-32 and length.
func gunzip(path string, b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fileErrorf(path, "gzip header", "a valid gzip header", "%v", err)
	}
	var out bytes.Buffer
	// The trailer's last 4 bytes are the length mod 2³²; in a damaged file they
	// are anything, so trust them only for a plausible ratio (the data sets'
	// files compress by less than 5:1); otherwise the buffer grows as it must.
	if n := int64(binary.LittleEndian.Uint32(b[len(b)-4:])); n <= 64*int64(len(b)) {
		out.Grow(int(n) + bytes.MinRead)
	}
	if _, err := out.ReadFrom(zr); err != nil {
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fileErrorf(path, "gzip stream", "a complete gzip stream", "it ends after %d bytes (%d uncompressed): the file is truncated", len(b), out.Len())
		case errors.Is(err, gzip.ErrChecksum):
			return nil, fileErrorf(path, "gzip checksum", "the CRC-32 and length in the gzip trailer", "a mismatch: the file is corrupt")
		default:
			return nil, fileErrorf(path, "gzip stream", "valid deflate data", "%v after %d uncompressed bytes: the file is corrupt", err, out.Len())
		}
	}
	return out.Bytes(), nil
}

// gzipHint explains a bad magic number that is really a gzip or HTML file.
func gzipHint(b []byte) string {
	switch {
	case isGzip(b):
		return " (the file is gzipped twice)"
	case bytes.HasPrefix(bytes.TrimSpace(bytes.ToLower(b[:min(len(b), 64)])), []byte("<")):
		return " (the file is HTML or XML, perhaps an error page saved by a download)"
	}
	return ""
}

func dimString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(s, "×") + "]"
}
