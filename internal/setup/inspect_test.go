package setup

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectionExtension(t *testing.T) {
	data, config := t.TempDir(), t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	t.Setenv("JUPYTER_CONFIG_DIR", config)
	env := &setupEnv{home: t.TempDir(), out: io.Discard, kernelEnv: map[string]string{}}
	if _, err := checkInspect(env); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("before install: %v, want 'missing'", err)
	}
	if err := installInspect(env); err != nil {
		t.Fatal(err)
	}
	what, err := checkInspect(env)
	if err != nil {
		t.Fatalf("after install: %v", err)
	}
	script := filepath.Join(data, "nbextensions", inspectExtensionName, "main.js")
	enable := filepath.Join(config, "nbconfig", "notebook.d", inspectExtensionName+".json")
	if !strings.Contains(what, filepath.Dir(script)) || !strings.Contains(what, enable) {
		t.Errorf("check says %q, want it to name %s and %s", what, filepath.Dir(script), enable)
	}
	for _, p := range []string{script, enable} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, mode %v, want a file readable by every user", p, err, st.Mode())
		}
	}
	// The script patches the tooltip only where a reply lacks text/plain.
	if !strings.Contains(string(inspectExtension), "!data['text/plain'] && data['text/markdown']") {
		t.Error("the extension does not copy text/markdown into a missing text/plain")
	}
	// A changed file is reported, and the install repairs it.
	if err := os.WriteFile(script, []byte("// edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := checkInspect(env); err == nil || !strings.Contains(err.Error(), "not the one") {
		t.Errorf("edited script: %v, want 'not the one this version installs'", err)
	}
	if err := installInspect(env); err != nil {
		t.Fatal(err)
	}
	if _, err := checkInspect(env); err != nil {
		t.Errorf("after repair: %v", err)
	}
}
