package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/results"
)

// TestResultsPageUpToDate: docs/results.md is what the committed recorded
// results (notebooks' results/*.json, the bench JSON) give. A new recording
// or a hand edit of the page fails here until `klcourse results` rewrites it.
func TestResultsPageUpToDate(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := results.Check(root, results.BenchJSON); err != nil {
		t.Error(err)
	}
}

func TestResultsUsage(t *testing.T) {
	for _, args := range [][]string{{"results", "--bench", "/tmp/bench.json"}, {"results", "--bench", "../bench.json"}, {"results", "extra"}} {
		var stderr bytes.Buffer
		if code := dispatch(args, &stderr); code != 2 {
			t.Errorf("klcourse %s: exit status %d, want 2 (%s)", strings.Join(args, " "), code, stderr.String())
		}
	}
}

// TestReadmeNamesTheCaches: the privacy tests allow a run to leave in a home
// directory only documentedCaches, "the caches the README names": the README
// names every one of them.
func TestReadmeNamesTheCaches(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range documentedCaches {
		if !strings.Contains(string(readme), "`~/"+c+"`") {
			t.Errorf("README.md does not name the cache ~/%s that the privacy tests allow", c)
		}
	}
}
