package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DataEnv names the environment variable that overrides Root.
const DataEnv = "KLCOURSE_DATA"

// OfflineEnv names the environment variable that, set to a true value ("1"),
// keeps the default Fetcher off the network.
const OfflineEnv = "KLCOURSE_OFFLINE"

// Root returns the directory that holds the data sets, each in a
// subdirectory of its name: $KLCOURSE_DATA when set, otherwise
// os.UserCacheDir()/klcourse (~/.cache/klcourse on Linux).
func Root() (string, error) {
	if dir := os.Getenv(DataEnv); dir != "" {
		return filepath.Abs(dir)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no directory for the data sets: %w (set %s)", err, DataEnv)
	}
	return filepath.Join(cache, "klcourse"), nil
}

// Label writes a folder under the data root for printing, without the
// machine's path: "$KLCOURSE_DATA/mnist" when KLCOURSE_DATA names the root,
// else the path from the home folder, "~/.cache/klcourse/mnist". Printed
// outputs (and the pages rendered from them) show no folder of the machine
// that ran them. Another path is named by its last element.
func Label(dir string) string {
	dir = filepath.Clean(dir)
	under := func(root string) (string, bool) {
		rel, err := filepath.Rel(filepath.Clean(root), dir)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			return "", false
		}
		if rel == "." {
			return "", true
		}
		return "/" + filepath.ToSlash(rel), true
	}
	if env := os.Getenv(DataEnv); env != "" {
		if root, err := filepath.Abs(env); err == nil {
			if rel, ok := under(root); ok {
				return "$" + DataEnv + rel
			}
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if rel, ok := under(home); ok {
			return "~" + rel
		}
	}
	return filepath.Base(dir)
}

// Dir returns the directory of the data set name: Root()/name.
func Dir(name string) (string, error) {
	if _, err := lookup(name); err != nil {
		return "", err
	}
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, name), nil
}

func offlineFromEnv() bool {
	v, err := strconv.ParseBool(os.Getenv(OfflineEnv))
	return err == nil && v
}
