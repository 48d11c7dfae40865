package datasets

import (
	"path/filepath"
	"testing"
)

func TestLabel(t *testing.T) {
	data := t.TempDir()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(DataEnv, data)
	for dir, want := range map[string]string{
		data:                               "$KLCOURSE_DATA",
		filepath.Join(data, "mnist"):       "$KLCOURSE_DATA/mnist",
		filepath.Join(home, ".cache", "x"): "~/.cache/x",
		"/elsewhere/cifar10":               "cifar10",
	} {
		if got := Label(dir); got != want {
			t.Errorf("Label(%s) = %q, want %q", dir, got, want)
		}
	}
	t.Setenv(DataEnv, "")
	if got := Label(filepath.Join(home, ".cache", "klcourse", "mnist")); got != "~/.cache/klcourse/mnist" {
		t.Errorf("without %s: Label = %q", DataEnv, got)
	}
}
