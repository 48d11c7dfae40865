package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/machine"
	"github.com/klcourse/klcourse/internal/safefile"
)

// OwnStore is the student's own store: $KLCOURSE_RUNS/store, or
// ~/.cache/klcourse/runs/store.
func OwnStore() (string, error) {
	if root := os.Getenv(RunsEnv); root != "" {
		return filepath.Join(root, "store"), nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "klcourse", "runs", "store"), nil
}

// SharedStores lists the read-only stores of $KLCOURSE_RUN_STORES, in order.
func SharedStores() []string {
	var out []string
	for _, s := range filepath.SplitList(os.Getenv(StoresEnv)) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// retrain reports whether $KLCOURSE_RETRAIN asks to train the run name again.
func retrain(name string) bool {
	v := strings.TrimSpace(os.Getenv(RetrainEnv))
	switch strings.ToLower(v) {
	case "", "0", "false", "no":
		return false
	case "1", "true", "yes", "all":
		return true
	}
	for _, n := range strings.Split(v, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// Run is a run a cell either found or is about to train.
type Run struct {
	// Found: the run was in a store and verified; its files are in Dir.
	Found bool
	// Dir holds the run's files: the found run's folder (read it, never
	// write it), or, when not found, an empty folder for the training to
	// write its files into before Commit.
	Dir string
	// Card is the found run's card, or (not found) its identity.
	Card Card
	// Store is the store the run was found in.
	Store string
	// Shared: found in a shared store, not the student's own.
	Shared bool
	// Why says, when not found, why the cell trains: nothing stored, asked
	// to retrain, or a stored candidate that failed verification.
	Why string

	own     string
	started time.Time
	// retrain: opened to train again although a run may be stored under
	// the key; Commit replaces that run.
	retrain bool
}

// Open looks for spec's run in the own store, then in the shared ones; a
// run found is verified before it is returned. When none is usable, it
// returns a Run with Found false and Dir a fresh folder in the own store
// for the training's files; call Commit when they are written. Open fails
// only when the run cannot be keyed or no folder can be made: a corrupt
// stored run is reported in Why and trained again.
func Open(spec Spec) (*Run, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	return open(spec, root)
}

// Find returns spec's stored run, verified, from the own store or a shared
// one, for a cell that uses a run an earlier cell trained (or loaded); it
// does not train. The error says which cell to run when there is none.
func Find(spec Spec) (*Run, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	return find(spec, root)
}

func find(spec Spec, root string) (*Run, error) {
	r, err := lookup(spec, root, false)
	if err != nil {
		return nil, err
	}
	if !r.Found {
		return nil, fmt.Errorf("runs: no run %q of %s (%s): run the cell that trains it first", spec.Name, spec.Notebook, r.Why)
	}
	return r, nil
}

// lookup searches the stores for spec's run (unless retraining is asked
// for and allowed).
func lookup(spec Spec, root string, allowRetrain bool) (*Run, error) {
	id, err := identity(spec, root)
	if err != nil {
		return nil, err
	}
	own, err := OwnStore()
	if err != nil {
		return nil, fmt.Errorf("runs: no store for the run: %w", err)
	}
	r := &Run{Card: id, own: own}
	var why []string
	if allowRetrain && retrain(spec.Name) {
		why = append(why, fmt.Sprintf("%s asks to train it again", RetrainEnv))
		r.retrain = true
	} else {
		stores := []string{own}
		if !spec.OwnOnly {
			stores = append(stores, SharedStores()...)
		}
		for i, store := range stores {
			dir := filepath.Join(store, id.Key)
			if _, err := os.Stat(dir); err != nil {
				continue
			}
			c, err := Verify(dir)
			if err != nil {
				why = append(why, fmt.Sprintf("the stored run is not usable: %v", err))
				continue
			}
			r.Found, r.Dir, r.Card, r.Store, r.Shared = true, dir, c, store, i > 0
			return r, nil
		}
	}
	if len(why) == 0 {
		why = append(why, "no stored run has its key (configuration and code)")
	}
	r.Why = strings.Join(why, "; ")
	return r, nil
}

func open(spec Spec, root string) (*Run, error) {
	r, err := lookup(spec, root, true)
	if err != nil || r.Found {
		return r, err
	}
	own := r.own
	id := r.Card
	if err := os.MkdirAll(own, 0o755); err != nil {
		return nil, fmt.Errorf("runs: making the store %s: %w", own, err)
	}
	tmp, err := os.MkdirTemp(own, ".training-"+short(id.Key)+"-")
	if err != nil {
		return nil, fmt.Errorf("runs: a folder for the run in %s: %w", own, err)
	}
	r.Dir, r.started = tmp, time.Now()
	return r, nil
}

// Commit records the run trained into Dir: its card (the metrics given, the
// time since Open, the machine, the backend's description) and the sums of
// every file in Dir; then the folder is renamed to the run's key in the own
// store. A run stored under the key before this training began (one
// $KLCOURSE_RETRAIN asked to train again, or a corrupt one) is replaced; if
// another kernel committed the same run while this one trained, that one is
// kept (Card becomes its card) and this one removed. Dir names the
// committed run after.
func (r *Run) Commit(metrics map[string]float64, backend string) error {
	if r.Found {
		return errors.New("runs: Commit of a run that was found, not trained")
	}
	files, err := sumFiles(r.Dir)
	if err != nil {
		return fmt.Errorf("runs: summing the files of run %s: %w", r.Card.Name, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("runs: run %s wrote no files into %s", r.Card.Name, r.Dir)
	}
	c := r.Card
	c.Files = files
	c.Metrics = metrics
	c.Created = time.Now().UTC().Format(time.RFC3339)
	c.Seconds = time.Since(r.started).Seconds()
	c.Machine = ThisMachine(backend)
	c.Course = courseVersion(c.CodeHash)
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.WriteBytes(filepath.Join(r.Dir, CardFile), append(b, '\n')); err != nil {
		return err
	}
	final := filepath.Join(r.own, c.Key)
	if err := os.Rename(r.Dir, final); err != nil {
		stored, verr := Verify(final)
		if verr == nil && !r.retrain && !olderThan(stored, r.started) {
			// Another kernel trained and stored the same run while this one
			// trained: keep it, and describe it.
			os.RemoveAll(r.Dir)
			r.Dir, r.Card, r.Store = final, stored, r.own
			return nil
		}
		// A run this one replaces: asked to retrain, stored before this
		// training began, or corrupt.
		if err := r.replace(final); err != nil {
			os.RemoveAll(r.Dir)
			return fmt.Errorf("runs: storing run %s: %w", c.Name, err)
		}
	}
	r.Dir, r.Card, r.Store = final, c, r.own
	return nil
}

// olderThan reports whether run c was created before t (to the second its
// card records).
func olderThan(c Card, t time.Time) bool {
	created, err := time.Parse(time.RFC3339, c.Created)
	return err != nil || created.Before(t.UTC().Truncate(time.Second))
}

// replace puts the run in r.Dir at final in place of the folder there: the
// old folder is moved aside into a .training- folder of the store (which GC
// removes should this kernel die before it does), the new one renamed in,
// the old one deleted.
func (r *Run) replace(final string) error {
	aside, err := os.MkdirTemp(r.own, ".training-"+short(r.Card.Key)+"-old-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(aside)
	if err := os.Rename(final, filepath.Join(aside, "run")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.Rename(r.Dir, final)
}

// Discard removes the folder of a run that was not committed (a training
// that failed).
func (r *Run) Discard() {
	if !r.Found && strings.HasPrefix(filepath.Base(r.Dir), ".training-") {
		os.RemoveAll(r.Dir)
	}
}

// File is the path of a file of the run.
func (r *Run) File(name string) string { return filepath.Join(r.Dir, filepath.FromSlash(name)) }

// Provenance is one line for the notebook: where a found run came from,
// trained when, on what, in how long; or why the cell trains.
func (r *Run) Provenance() string {
	if !r.Found {
		return fmt.Sprintf("Training %s: %s.", r.Card.Name, r.Why)
	}
	where := "your own runs"
	if r.Shared {
		where = "the shared runs in " + r.Store
	}
	when := r.Card.Created
	if t, err := time.Parse(time.RFC3339, when); err == nil {
		when = t.Format("2006-01-02 15:04 UTC")
	}
	on := r.Card.Machine.CPU
	if r.Card.Machine.Cores > 0 {
		on = fmt.Sprintf("%s, %d cores", on, r.Card.Machine.Cores)
	}
	if r.Card.Machine.Backend != "" {
		on += ", " + r.Card.Machine.Backend
	}
	return fmt.Sprintf("Loaded %s from %s (run %s): trained %s on %s in %s.",
		r.Card.Name, where, short(r.Card.Key), when, on, (time.Duration(r.Card.Seconds) * time.Second).Round(time.Second))
}

// ThisMachine describes this machine for a card.
func ThisMachine(backend string) Machine {
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Backend: backend}
}

func cpuModel() string {
	if cpu := machine.CPUModel(); cpu != "" {
		return cpu
	}
	return runtime.GOARCH
}

// courseVersion is the commit the program was built from, when Go's build
// information records it, else "source " and the code hash.
func courseVersion(code string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += " (modified)"
			}
			return "commit " + rev
		}
	}
	return "source " + short(code)
}
