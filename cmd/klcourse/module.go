package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is the import path of the course module.
const modulePath = "github.com/klcourse/klcourse"

// moduleRoot returns the root of the klcourse checkout that contains the
// current directory. Tools are built from the module's pinned go.mod, so
// klcourse must run inside the checkout.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if modFileNames(filepath.Join(dir, "go.mod")) == modulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the klcourse checkout: no go.mod of module %s above the current directory; cd into the checkout first", modulePath)
		}
		dir = parent
	}
}

// modFileNames returns the module path that the go.mod file at path declares,
// or "" when there is none.
func modFileNames(path string) string {
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
