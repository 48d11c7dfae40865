// Package safefile writes files so that nothing half-written is ever left
// under the final name: the bytes go to a temporary file in the same
// directory, which is checked, synced and then renamed into place. A reader
// sees either the old file or the complete new one, and an interrupted or
// failed write leaves no file that looks valid.
package safefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes path: fill writes the bytes to a temporary file in path's
// directory (created if needed), check (when not nil) inspects the complete
// temporary file by name, and only then is it renamed to path, with mode
// 0644. The temporary file is removed on every failure.
func Write(path string, fill func(io.Writer) error, check func(tmpPath string) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if check != nil {
		if err := check(tmp.Name()); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteBytes writes data to path; see Write.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	}, nil)
}

// WriteJSON writes v to path as JSON (one line, and a newline); see Write.
func WriteJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteBytes(path, append(data, '\n'))
}

// ReadJSON reads the JSON file path into v; a file that is not JSON of v's
// shape is an error that names it.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: not the JSON expected: %w", path, err)
	}
	return nil
}
