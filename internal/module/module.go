// Package module finds the course's checkout: the tools (setup, assign,
// grade, the lab) build from the module's pinned go.mod and read its
// notebooks, so they run inside it.
package module

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Path is the import path of the course module.
const Path = "github.com/klcourse/klcourse"

// Root returns the root of the klcourse checkout that contains the
// current directory. Tools are built from the module's pinned go.mod, so
// klcourse must run inside the checkout.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if FileNames(filepath.Join(dir, "go.mod")) == Path {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the klcourse checkout: no go.mod of module %s above the current directory; cd into the checkout first", Path)
		}
		dir = parent
	}
}

// FileNames returns the module path that the go.mod file at path declares,
// or "" when there is none.
func FileNames(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
