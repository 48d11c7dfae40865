package datasets

import (
	"fmt"
	"slices"
)

// The names of the data sets this package knows, as the course tool and
// Dir take them. Each lives in the directory of its name under Root().
const (
	MNIST        = "mnist"
	FashionMNIST = "fashion-mnist"
	CIFAR10      = "cifar10"
)

// Names returns the names of the known data sets.
func Names() []string { return []string{MNIST, FashionMNIST, CIFAR10} }

// MNISTClasses and FashionMNISTClasses name the classes in label order (Fashion-MNIST's
// from its README, https://github.com/zalandoresearch/fashion-mnist#labels).
var (
	MNISTClasses        = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// A fileSpec describes one file of a data set as published.
type fileSpec struct {
	name string
	size int64 // bytes of the published file; 0 when not pinned
	// sha256 of the published file; "" when none is pinned (the CIFAR-10
	// batches come out of the verified tarball: see cifarManifest).
	sha256 string
	// origin says whose file sha256 pins, in reports; "" for the data set's
	// authors ("the published file").
	origin string
	// contentSHA256 is, for a gzipped file, the sha256 of its uncompressed
	// content. A file whose bytes differ from the published ones but whose
	// content matches is accepted: Debian's Fashion-MNIST package, for one,
	// ships the published deflate streams with the file name removed from the
	// gzip header, and an unzipped copy is fine too.
	contentSHA256 string
	urls          []string // where it is published, best first; none for archive members
	// structure checks the (uncompressed) content, whatever the checksum says.
	structure func(path string, content []byte) error
	// prefix, when set, pins the sha256 of the file's first bytes: CIFAR-10's
	// published prefix files are the first records of the full batches.
	prefix *prefixPin
	// optional files may be absent from a complete set.
	optional bool
}

type prefixPin struct {
	bytes  int
	sha256 string
	source string // the file whose checksum this is
}

// A variant is a complete set of files that a data set can be used from.
type variant struct {
	name  string   // "full", "quick"
	files []string // names of its files; optional ones among them may be absent
	// quickOnly variants serve quick mode (course.Quick) only.
	quickOnly bool
}

// An archive is a published file whose members are the data set's files.
type archive struct {
	name   string
	size   int64
	sha256 string
	urls   []string
	dir    string   // the members' directory inside the archive
	files  []string // the members this package extracts
}

type dataset struct {
	name, title, homepage string
	files                 []*fileSpec
	variants              []variant // variants[0] is the full set
	archive               *archive  // when set, the full set comes out of it
	// systemDirs are read-only directories where a packaged copy may live
	// (Debian's dataset-fashion-mnist); they are tried before the network.
	systemDirs []string
	// load makes the training and test sets from the verified contents of
	// the files of one complete variant, keyed by file name.
	load func(content map[string][]byte, quick bool) (train, test *Images, err error)
}

func (d *dataset) file(name string) *fileSpec {
	for _, f := range d.files {
		if f.name == name {
			return f
		}
	}
	panic("datasets: no file " + name + " in " + d.name)
}

func lookup(name string) (*dataset, error) {
	for _, d := range catalog {
		if d.name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown data set %q: the course has %v", name, Names())
}

var catalog = []*dataset{mnistSpec, fashionSpec, cifarSpec}

// idxFiles describes the four IDX files of MNIST and Fashion-MNIST.
func idxFiles(urls func(name string) []string, sums map[string][3]string, sizes map[string]int64) []*fileSpec {
	var files []*fileSpec
	for _, part := range []struct {
		name   string
		count  int
		images bool
	}{
		{"train-images-idx3-ubyte.gz", 60000, true},
		{"train-labels-idx1-ubyte.gz", 60000, false},
		{"t10k-images-idx3-ubyte.gz", 10000, true},
		{"t10k-labels-idx1-ubyte.gz", 10000, false},
	} {
		f := &fileSpec{
			name:          part.name,
			size:          sizes[part.name],
			sha256:        sums[part.name][0],
			contentSHA256: sums[part.name][1],
			urls:          urls(part.name),
		}
		count := part.count
		if part.images {
			f.structure = func(path string, content []byte) error { return checkIDXImages(path, content, count, 28, 28) }
		} else {
			f.structure = func(path string, content []byte) error { return checkIDXLabels(path, content, count, 10) }
		}
		files = append(files, f)
	}
	return files
}

func checkIDXImages(path string, content []byte, count, rows, cols int) error {
	idx, err := decodeIDXWant(path, content, IDXImagesMagic)
	if err != nil {
		return err
	}
	if want := []int{count, rows, cols}; !slices.Equal(idx.Dims, want) {
		return fileErrorf(path, "dimensions", dimString(want)+" (images × rows × columns, magic 0x00000803)", "%s", dimString(idx.Dims))
	}
	return nil
}

func checkIDXLabels(path string, content []byte, count, classes int) error {
	idx, err := decodeIDXWant(path, content, IDXLabelsMagic)
	if err != nil {
		return err
	}
	if len(idx.Dims) != 1 {
		return fileErrorf(path, "dimensions", fmt.Sprintf("[%d] (labels, magic 0x00000801)", count), "%s", dimString(idx.Dims))
	}
	if idx.Dims[0] != count {
		return fileErrorf(path, "number of labels", fmt.Sprint(count), "%d", idx.Dims[0])
	}
	return checkLabels(path, idx.Data, classes)
}

// loadIDX builds the training and test sets of an IDX data set.
func loadIDX(name string, classes []string) func(map[string][]byte, bool) (*Images, *Images, error) {
	return func(content map[string][]byte, _ bool) (train, test *Images, err error) {
		part := func(split, prefix string) (*Images, error) {
			imagesName, labelsName := prefix+"-images-idx3-ubyte.gz", prefix+"-labels-idx1-ubyte.gz"
			images, err := decodeIDXWant(imagesName, content[imagesName], IDXImagesMagic)
			if err != nil {
				return nil, err
			}
			labels, err := decodeIDXWant(labelsName, content[labelsName], IDXLabelsMagic)
			if err != nil {
				return nil, err
			}
			return idxImages(name+"/"+split, imagesName, images, labelsName, labels, slices.Clone(classes))
		}
		if train, err = part("train", "train"); err != nil {
			return nil, nil, err
		}
		if test, err = part("test", "t10k"); err != nil {
			return nil, nil, err
		}
		return train, test, nil
	}
}

// mnistSpec: LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/.
//
// The sha256 of the .gz files are those of /work/shared/data/README.md, whose
// files match the published MD5s; the same values are pinned by e.g. the
// tensorflow-mnist-input-data Nix expression and Guild AI's MNIST resources.
// The content sha256 were computed here from those verified files with
// `zcat FILE | sha256sum`.
var mnistSpec = &dataset{
	name:     MNIST,
	title:    "MNIST handwritten digits",
	homepage: "http://yann.lecun.com/exdb/mnist/",
	files: idxFiles(
		func(name string) []string {
			return []string{
				"https://ossci-datasets.s3.amazonaws.com/mnist/" + name, // PyTorch's mirror
				"https://storage.googleapis.com/cvdf-datasets/mnist/" + name,
				"http://yann.lecun.com/exdb/mnist/" + name,
			}
		},
		map[string][3]string{
			"train-images-idx3-ubyte.gz": {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
			"train-labels-idx1-ubyte.gz": {"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
			"t10k-images-idx3-ubyte.gz":  {"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
			"t10k-labels-idx1-ubyte.gz":  {"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
		},
		map[string]int64{
			"train-images-idx3-ubyte.gz": 9912422, "train-labels-idx1-ubyte.gz": 28881,
			"t10k-images-idx3-ubyte.gz": 1648877, "t10k-labels-idx1-ubyte.gz": 4542,
		}),
	variants: []variant{{name: "full", files: []string{
		"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}}},
	load: loadIDX(MNIST, MNISTClasses),
}

// fashionSpec: Xiao, Rasul and Vollgraf, https://github.com/zalandoresearch/fashion-mnist.
//
// The published checksums are MD5s (8d4fb7e6c68d591d4c3dfef9ec88bf0d,
// 25c81989df183df01b3e8a0aad5dffbe, bef4ecab320f06d8554ea6380940ec79,
// bb300cfdad3c16e7a12a480ee83cd310 for the four files in the order below).
// Debian's /usr/share/datasets/fashion-mnist files do not match them: they are
// the published files with the file name removed from the gzip header and the
// header's time changed (0x5eda0aed). Putting the original header back (flag
// FNAME, time 0x59a7e9de for the train files and 0x59a7e9f3 for the test
// files, as in the repository's own label files) reproduces files with exactly
// the published MD5s; their sha256 are pinned here. The same sha256 values
// are pinned independently by github.com/Britefury/batchup
// (batchup/datasets/fashion_mnist.py). The content sha256 are of the
// gunzipped files.
var fashionSpec = &dataset{
	name:     FashionMNIST,
	title:    "Fashion-MNIST (Zalando article images)",
	homepage: "https://github.com/zalandoresearch/fashion-mnist",
	files: idxFiles(
		func(name string) []string {
			return []string{
				"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" + name,
				"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/" + name,
				"https://storage.googleapis.com/tensorflow/tf-keras-datasets/" + name, // Keras's copy
			}
		},
		map[string][3]string{
			"train-images-idx3-ubyte.gz": {"3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			"train-labels-idx1-ubyte.gz": {"a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			"t10k-images-idx3-ubyte.gz":  {"346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			"t10k-labels-idx1-ubyte.gz":  {"67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		},
		map[string]int64{
			"train-images-idx3-ubyte.gz": 26421880, "train-labels-idx1-ubyte.gz": 29515,
			"t10k-images-idx3-ubyte.gz": 4422102, "t10k-labels-idx1-ubyte.gz": 5148,
		}),
	variants: []variant{{name: "full", files: []string{
		"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}}},
	systemDirs: []string{"/usr/share/datasets/fashion-mnist"},
	load:       loadIDX(FashionMNIST, FashionMNISTClasses),
}
