package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
