package fit

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// HistoryFile is the name of the history in a directory written by Save.
const HistoryFile = "history.json"

// Save writes the classifier's weights (a GoMLX checkpoint) and the history
// to dir, replacing what was there. Everything is written to a new directory
// first and renamed into place, so an interrupted save leaves the previous
// one intact.
func (c *Classifier) Save(dir string, h *History) error {
	return saveStore(c.Store, dir, h)
}

// saveStore writes the store's variables and the history (if not nil) to
// dir, replacing what was there, through a new directory renamed into place.
func saveStore(store *model.Store, dir string, h *History) error {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // Gone once renamed.
	handler, err := checkpoint.Build(store).Dir(tmp).Done()
	if err != nil {
		return fmt.Errorf("fit: saving to %s: %w", dir, err)
	}
	if err := handler.Save(); err != nil {
		return fmt.Errorf("fit: saving to %s: %w", dir, err)
	}
	if h != nil {
		if err := h.Save(filepath.Join(tmp, HistoryFile)); err != nil {
			return err
		}
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir) // Put the previous save back.
		return err
	}
	return os.RemoveAll(old)
}

// Load returns a classifier with the weights saved in dir by Save, and the
// history saved with them (nil if none was).
func Load(backend compute.Backend, modelFn ModelFn, cfg Config, dir string) (*Classifier, *History, error) {
	c, err := New(backend, modelFn, cfg)
	if err != nil {
		return nil, nil, err
	}
	if _, err := checkpoint.Load(c.Store).Dir(dir).Immediate().Done(); err != nil {
		return nil, nil, fmt.Errorf("fit: loading %s: %w", dir, err)
	}
	path := filepath.Join(dir, HistoryFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return c, nil, nil
	}
	h, err := LoadHistory(path)
	if err != nil {
		return nil, nil, err
	}
	return c, h, nil
}
