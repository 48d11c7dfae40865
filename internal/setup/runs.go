package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klcourse/klcourse/pkg/runs"
)

// The lab's shared run store: "klcourse setup --system --runs BUNDLE"
// unpacks a bundle made by "klcourse runs pack" into prefix/runs, each run
// verified (card, key, every file's SHA-256) before it is kept, owned by
// root and readable, not writable, by students; the kernel step then puts
// the store in the students' kernels' environment ($KLCOURSE_RUN_STORES),
// so that a lecture's cell loads a run trained once for the class instead
// of training it again. What a student trains goes to their own store
// (~/.cache/klcourse/runs/store), never to this one.

// systemRuns is the lab's shared run store.
func systemRuns(env *setupEnv) string { return filepath.Join(env.home, "runs") }

// checkRuns wants the shared store's runs to verify and to be readable and
// not writable by students, nothing left from an unfinished unpacking, and,
// with --runs, every run of the bundle in it; it says how many runs were
// trained by the checkout's code (the others no cell finds any more). A lab
// without a shared store is in place too (each student trains).
func checkRuns(env *setupEnv) (string, error) {
	store := systemRuns(env)
	if _, err := os.Stat(store); errors.Is(err, fs.ErrNotExist) {
		if env.runsBundle != "" {
			return "", fmt.Errorf("no shared run store in %s (the bundle %s is not installed)", store, env.runsBundle)
		}
		return "no shared runs (each student trains; klcourse setup --system --runs BUNDLE shares a bundle of klcourse runs pack)", nil
	}
	list, err := runs.List(store)
	if err != nil {
		return "", err
	}
	left, err := runs.Leftovers(store, 0)
	if err != nil {
		return "", err
	}
	if len(left) > 0 {
		return "", fmt.Errorf("%s is left from an unpacking that did not finish", left[0])
	}
	have := map[string]bool{}
	var size int64
	current := 0
	for _, s := range list {
		if s.Err != nil {
			return "", fmt.Errorf("a shared run does not verify: %v", s.Err)
		}
		have[s.Card.Key] = true
		size += s.Size
		if env.root != "" && runs.Stale(s, env.root) == "" {
			current++
		}
	}
	if env.runsBundle != "" {
		keys, err := bundleKeys(env.runsBundle)
		if err != nil {
			return "", err
		}
		missing := 0
		for _, k := range keys {
			if !have[k] {
				missing++
			}
		}
		if missing > 0 {
			return "", fmt.Errorf("%d of the %d runs of %s are not in %s", missing, len(keys), env.runsBundle, store)
		}
	}
	if err := checkReadOnlyForStudents(store); err != nil {
		return "", err
	}
	env.kernelEnv[runs.StoresEnv] = store
	trained := ""
	if env.root != "" {
		// A run trained by other code than this checkout's is never found
		// (its key differs): klcourse runs build and a new bundle refresh them.
		trained = fmt.Sprintf(" (%d trained by this checkout's code)", current)
	}
	return fmt.Sprintf("%d shared run(s)%s, %.1f MiB, in %s: verified, read-only for students (%s in the kernel)",
		len(list), trained, float64(size)/(1<<20), store, runs.StoresEnv), nil
}

func bundleKeys(bundle string) ([]string, error) {
	f, err := os.Open(bundle)
	if err != nil {
		return nil, fmt.Errorf("--runs %s: %w", bundle, err)
	}
	defer f.Close()
	return runs.BundleKeys(f, bundle)
}

// checkReadOnlyForStudents wants every directory from the root down to
// store searchable by others, and everything in store readable by others
// and writable by neither group nor others.
func checkReadOnlyForStudents(store string) error {
	return checkStudentsCanRead(store, func(path string, d fs.DirEntry, perm fs.FileMode) error {
		switch {
		case perm&0o022 != 0:
			return fmt.Errorf("students could change %s (mode %v): the shared store is read-only to them", path, perm)
		case !d.IsDir() && !d.Type().IsRegular():
			return fmt.Errorf("%s: the shared store holds folders and regular files only", path)
		}
		return nil
	})
}

// installRuns drops the shared runs that no longer verify and what an
// unpacking that did not finish left, unpacks the
// bundle (each run verified first; runs already there are kept) and makes
// the store readable, not writable, by students.
func installRuns(env *setupEnv) error {
	store := systemRuns(env)
	list, err := runs.List(store)
	if err != nil {
		return err
	}
	for _, s := range list {
		if s.Err != nil {
			fmt.Fprintf(env.out, "           dropping %s: %v\n", s.Dir, s.Err)
			if err := os.RemoveAll(s.Dir); err != nil {
				return err
			}
		}
	}
	// Setup holds the lab's lock and nothing else writes this store: every
	// unfinished unpacking in it is left from a setup that stopped.
	left, err := runs.Leftovers(store, 0)
	if err != nil {
		return err
	}
	for _, dir := range left {
		fmt.Fprintf(env.out, "           removing %s, left from an unpacking that did not finish\n", dir)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if env.runsBundle != "" {
		f, err := os.Open(env.runsBundle)
		if err != nil {
			return fmt.Errorf("--runs %s: %w", env.runsBundle, err)
		}
		added, err := runs.Unpack(f, env.runsBundle, store)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.out, "           %d run(s) of %s added to %s, each verified\n", len(added), env.runsBundle, store)
	}
	if err := os.MkdirAll(store, 0o755); err != nil {
		return err
	}
	return filepath.WalkDir(store, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(path, mode)
	})
}

// fixRuns is the command that fixes the runs step by hand.
func fixRuns(env *setupEnv) string {
	if env.runsBundle != "" {
		return "klcourse setup --system --runs " + env.runsBundle
	}
	return "klcourse setup --system --runs BUNDLE   (BUNDLE: made by klcourse runs pack; or without --runs, to repair the modes)"
}

// runsFlag checks setup's --runs argument: a bundle file, for --system.
func runsFlag(bundle string, system bool) (string, error) {
	if bundle == "" {
		return "", nil
	}
	if !system {
		return "", fmt.Errorf("%w: --runs installs a lab's shared run store and needs --system (for your own runs: klcourse runs unpack %s)", ErrUsage, bundle)
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return "", err
	}
	if info, err := os.Stat(abs); err != nil || !info.Mode().IsRegular() {
		return "", fmt.Errorf("%w: --runs %s: want a bundle file made by klcourse runs pack", ErrUsage, bundle)
	}
	return abs, nil
}
