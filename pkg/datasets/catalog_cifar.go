package datasets

// The CIFAR-10 files (Krizhevsky, Nair and Hinton, https://www.cs.toronto.edu/~kriz/cifar.html).
const (
	cifarMeta        = "batches.meta.txt"
	cifarTest        = "test_batch.bin"
	cifarTrainPrefix = "data_batch_1.first4000.bin"
	cifarTestPrefix  = "test_batch.first1000.bin"
	// cifarManifest records the sha256 of the files extracted from the
	// verified tarball (sha256sum's format), so that verify can check them
	// later: no checksums of the extracted batches are published.
	cifarManifest = "SHA256SUMS"
	// Quick mode's subset: the first records of data_batch_1 and test_batch.
	cifarQuickTrain = 4000
	cifarQuickTest  = 1000
	cifarBatch      = 10000 // records in each official batch
)

var cifarTrainBatches = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}

// cifarSpec. The tarball's sha256 is the one pinned by TensorFlow Datasets
// (github.com/tensorflow/datasets, tensorflow_datasets/url_checksums/cifar10.txt:
// "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz 170052171
// c4a38c50…a1dd"), which also pins its size; its published MD5 is
// c32a1d4ab5d03f1284b67883e8d87530. The prefix files are CI's real prefix of
// the official batches (/work/shared/data/README.md), so their sha256 also
// pin the first records of data_batch_1.bin and test_batch.bin.
var cifarSpec = func() *dataset {
	const (
		prefixOrigin   = "the course's prefix of the official batch"
		trainPrefixSHA = "0993cf8b8e43bc207603aef9787006995746513f5e3fa5a52e06d1b069926330"
		testPrefixSHA  = "8314c96d7cd65618193bab23acdd5d4c4af15bf6dd00a1781d55beedf3be1ef5"
	)
	records := func(n int) func(string, []byte) error {
		return func(path string, b []byte) error { return checkCIFAR(path, b, n, len(CIFAR10Classes)) }
	}
	d := &dataset{
		name:     CIFAR10,
		title:    "CIFAR-10 (binary version)",
		homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
		archive: &archive{
			name:   "cifar-10-binary.tar.gz",
			size:   170052171,
			sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
			urls:   []string{"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"},
			dir:    "cifar-10-batches-bin",
			files:  append(append([]string{}, cifarTrainBatches...), cifarTest, cifarMeta),
		},
	}
	for _, name := range cifarTrainBatches {
		d.files = append(d.files, &fileSpec{name: name, structure: records(cifarBatch)})
	}
	d.file("data_batch_1.bin").prefix = &prefixPin{cifarQuickTrain * CIFARRecordSize, trainPrefixSHA, cifarTrainPrefix}
	d.files = append(d.files,
		&fileSpec{name: cifarTest, structure: records(cifarBatch),
			prefix: &prefixPin{cifarQuickTest * CIFARRecordSize, testPrefixSHA, cifarTestPrefix}},
		&fileSpec{name: cifarMeta, optional: true, structure: func(path string, b []byte) error {
			_, err := parseClassNames(path, b, len(CIFAR10Classes))
			return err
		}},
		&fileSpec{name: cifarTrainPrefix, size: cifarQuickTrain * CIFARRecordSize, sha256: trainPrefixSHA, origin: prefixOrigin, structure: records(cifarQuickTrain)},
		&fileSpec{name: cifarTestPrefix, size: cifarQuickTest * CIFARRecordSize, sha256: testPrefixSHA, origin: prefixOrigin, structure: records(cifarQuickTest)},
	)
	d.variants = []variant{
		{name: "full", files: append(append([]string{}, cifarTrainBatches...), cifarTest, cifarMeta)},
		{name: "quick", files: []string{cifarTrainPrefix, cifarTestPrefix, cifarMeta}, quickOnly: true},
	}
	d.load = loadCIFAR
	return d
}()

// loadCIFAR builds CIFAR-10's training and test sets from the verified file
// contents. Quick mode takes the prefix files, or when only the full batches
// are there the same records from them: the first 4000 of data_batch_1 and the
// first 1000 of test_batch.
func loadCIFAR(content map[string][]byte, quick bool) (train, test *Images, err error) {
	classes := CIFAR10Classes
	if meta, ok := content[cifarMeta]; ok {
		if classes, err = parseClassNames(cifarMeta, meta, len(CIFAR10Classes)); err != nil {
			return nil, nil, err
		}
	}
	decode := func(split string, names []string, limit int) (*Images, error) {
		parts := make([][]byte, len(names))
		for i, n := range names {
			parts[i] = content[n]
			if limit > 0 {
				parts[i] = parts[i][:min(len(parts[i]), limit*CIFARRecordSize)]
			}
		}
		return decodeCIFAR(CIFAR10+"/"+split, classes, names, parts)
	}
	_, havePrefix := content[cifarTrainPrefix]
	switch {
	case quick && havePrefix:
		train, err = decode("train", []string{cifarTrainPrefix}, 0)
		if err == nil {
			test, err = decode("test", []string{cifarTestPrefix}, 0)
		}
	case quick:
		train, err = decode("train", cifarTrainBatches[:1], cifarQuickTrain)
		if err == nil {
			test, err = decode("test", []string{cifarTest}, cifarQuickTest)
		}
	default:
		train, err = decode("train", cifarTrainBatches, 0)
		if err == nil {
			test, err = decode("test", []string{cifarTest}, 0)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
