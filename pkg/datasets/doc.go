// Package datasets is the course's data layer: it reads MNIST, Fashion-MNIST
// and CIFAR-10, finds or fetches them on every machine, verifies them, and
// serves them to GoMLX.
//
// A notebook needs one call:
//
//	images, test, err := datasets.LoadCIFAR10()   // or LoadMNIST, LoadFashionMNIST
//	fit, val, err := images.Split(0.4)            // Keras's validation_split: the last 40 %
//	batches, err := datasets.NewBatches(fit, datasets.BatchOptions{Size: 250, Shuffle: true, Seed: 1})
//	_, err = train.NewLoop(trainer).RunEpochs(batches, epochs)
//
// # Where the data lives
//
// Each data set has a directory of its name under Root(): $KLCOURSE_DATA when
// set, otherwise the user's cache directory (~/.cache/klcourse):
//
//	$KLCOURSE_DATA/mnist/          train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-…
//	$KLCOURSE_DATA/fashion-mnist/  the same four names
//	$KLCOURSE_DATA/cifar10/        data_batch_1.bin … data_batch_5.bin, test_batch.bin, batches.meta.txt
//	                               (quick mode: data_batch_1.first4000.bin, test_batch.first1000.bin)
//
// Files that are there and verify are used without the network. Missing ones
// come from a packaged copy (Debian's /usr/share/datasets/fashion-mnist) or are
// downloaded from the official location or a well-known mirror, with a
// progress bar in the terminal or the notebook; see Fetcher. KLCOURSE_OFFLINE=1
// keeps the default Fetcher off the network. In quick mode (KLCOURSE_QUICK=1,
// course.Quick) CIFAR-10 is its first 4000 training and 1000 test images,
// which CI keeps as prefix files; the full mode needs the full data set.
//
// # Verification
//
// Every file is checked by sha256 against the published file (for gzipped
// files, also the uncompressed content) and by structure: IDX magic numbers,
// dimensions and label ranges; CIFAR-10 record size, record count and label
// range. Bad data gives a FileError naming the file, what was expected and
// what was found. Nothing is written under a file's real name before it is
// verified.
//
// # In memory
//
// Images holds a data set as bytes (NHWC); ImagesTensor, FlatImagesTensor,
// LabelsTensor and OneHotTensor convert it to GoMLX tensors (float32 pixels in
// [0, 1], int32 labels [n, 1] or float32 one-hot); Shuffled, Split and
// RandomSplit are seeded; Batches implements train.Dataset. ClassCounts,
// PixelStats and Grid serve a tour of the data.
package datasets
