package fit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/klcourse/klcourse/internal/safefile"
)

// CardFile is the name of a checkpoint's card: the JSON file that
// SaveCheckpoint writes beside the weights.
const CardFile = "card.json"

// Card describes a checkpoint: what kind of model it holds, the model's own
// description (what its weights alone do not say: a diffusion model's
// schedule and standardisation, say) and its training history.
type Card struct {
	Kind    string `json:"kind"`
	Model   any    `json:"model,omitempty"`
	History any    `json:"history,omitempty"`
}

// SaveCheckpoint writes the course's one checkpoint format to dir, replacing
// what was there: the store's variables (a GoMLX checkpoint) and the card
// (CardFile). exclude are variables left out: those of an optimiser, say,
// that a later run must not inherit. Everything is written to a new
// directory first and renamed into place, so an interrupted save leaves the
// previous one intact.
func SaveCheckpoint(dir string, store *model.Store, card Card, exclude ...*model.Variable) error {
	if card.Kind == "" {
		return errors.New("fit.SaveCheckpoint: the card has no kind")
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // Gone once renamed.
	handler, err := checkpoint.Build(store).Dir(tmp).ExcludeVars(exclude...).Done()
	if err != nil {
		return fmt.Errorf("fit: saving to %s: %w", dir, err)
	}
	if err := handler.Save(); err != nil {
		return fmt.Errorf("fit: saving to %s: %w", dir, err)
	}
	if err := safefile.WriteJSON(filepath.Join(tmp, CardFile), card); err != nil {
		return err
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

// LoadCheckpoint loads what SaveCheckpoint wrote in dir: the weights into
// store, and the card as ReadCard does. It reports whether the card held a
// history.
func LoadCheckpoint(dir string, store *model.Store, kind string, desc, history any) (hasHistory bool, err error) {
	if hasHistory, err = ReadCard(dir, kind, desc, history); err != nil {
		return false, err
	}
	if _, err := checkpoint.Load(store).Dir(dir).Immediate().Done(); err != nil {
		return false, fmt.Errorf("fit: loading %s: %w", dir, err)
	}
	return hasHistory, nil
}

// ReadCard reads the card of the checkpoint in dir: the model description
// into desc and the history into history (each when not nil) — what a model
// needs to know before it can build the store its weights load into. kind,
// when not empty, is the kind the card must name. It reports whether the
// card held a history.
func ReadCard(dir, kind string, desc, history any) (hasHistory bool, err error) {
	var card struct {
		Kind    string          `json:"kind"`
		Model   json.RawMessage `json:"model"`
		History json.RawMessage `json:"history"`
	}
	path := filepath.Join(dir, CardFile)
	if err := safefile.ReadJSON(path, &card); err != nil {
		return false, fmt.Errorf("fit: loading %s: %w (want a directory written by SaveCheckpoint; train again if it was saved by an older version of the course)", dir, err)
	}
	if kind != "" && card.Kind != kind {
		return false, fmt.Errorf("fit: %s holds a %q model, want a %q one", path, card.Kind, kind)
	}
	hasHistory = len(card.History) > 0 && string(card.History) != "null"
	for _, part := range []struct {
		raw  json.RawMessage
		into any
		what string
	}{{card.Model, desc, "model"}, {card.History, history, "history"}} {
		if part.into == nil || len(part.raw) == 0 || string(part.raw) == "null" {
			continue
		}
		if err := json.Unmarshal(part.raw, part.into); err != nil {
			return false, fmt.Errorf("fit: %s: its %s: %w", path, part.what, err)
		}
	}
	return hasHistory, nil
}

// Kinds of model in the cards of Classifier.Save and Generative.Save.
const (
	KindClassifier = "classifier"
	KindGenerative = "generative"
)

// Save writes the classifier's weights and the history (if not nil) to dir
// with SaveCheckpoint.
func (c *Classifier) Save(dir string, h *History) error {
	return SaveCheckpoint(dir, c.Store, Card{Kind: KindClassifier, History: historyOrNil(h)})
}

// historyOrNil keeps a nil *History out of a card (as no history, not null).
func historyOrNil(h *History) any {
	if h == nil {
		return nil
	}
	return h
}

// loadWithHistory loads a checkpoint of kind into store and returns its
// history, nil if it has none.
func loadWithHistory(dir string, store *model.Store, kind string) (*History, error) {
	h := &History{}
	has, err := LoadCheckpoint(dir, store, kind, nil, h)
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, nil
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("fit: %s: %w", filepath.Join(dir, CardFile), err)
	}
	return h, nil
}

// Load returns a classifier with the weights saved in dir by Save, and the
// history saved with them (nil if none was).
func Load(backend compute.Backend, modelFn ModelFn, cfg Config, dir string) (*Classifier, *History, error) {
	c, err := New(backend, modelFn, cfg)
	if err != nil {
		return nil, nil, err
	}
	h, err := loadWithHistory(dir, c.Store, KindClassifier)
	if err != nil {
		return nil, nil, err
	}
	return c, h, nil
}
