package datasets

import "fmt"

// A FileError reports a file whose contents are not what its format or its
// published checksum says they must be. Every reader and verifier of this
// package returns one for bad data, so that the message always names the file,
// what was expected and what was found.
type FileError struct {
	Path     string // the file
	What     string // the property that is wrong: "magic number", "sha256", "label of image 12", ...
	Expected string
	Found    string
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s: %s: expected %s, found %s", e.Path, e.What, e.Expected, e.Found)
}

func fileErrorf(path, what, expected, foundFormat string, args ...any) *FileError {
	return &FileError{Path: path, What: what, Expected: expected, Found: fmt.Sprintf(foundFormat, args...)}
}
