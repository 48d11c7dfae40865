package course

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestQuickAndPick(t *testing.T) {
	for _, tc := range []struct {
		env   string
		quick bool
	}{{"", false}, {"0", false}, {"1", true}, {"true", true}, {"yes", false}} {
		t.Setenv(QuickEnv, tc.env)
		if got := Quick(); got != tc.quick {
			t.Errorf("KLCOURSE_QUICK=%q: Quick() = %v, want %v", tc.env, got, tc.quick)
		}
		want := 25
		if tc.quick {
			want = 2
		}
		if got := Pick(25, 2); got != want {
			t.Errorf("KLCOURSE_QUICK=%q: Pick(25, 2) = %d, want %d", tc.env, got, want)
		}
	}
}

func TestHome(t *testing.T) {
	t.Setenv(HomeEnv, "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if got, _ := Home(); got != filepath.Join("/xdg", "klcourse") {
		t.Errorf("Home() with XDG_DATA_HOME=/xdg: %q", got)
	}
	t.Setenv(HomeEnv, "/opt/kl")
	if got, _ := Home(); got != "/opt/kl" {
		t.Errorf("Home() with KLCOURSE_HOME=/opt/kl: %q", got)
	}
}

func TestRunDir(t *testing.T) {
	t.Setenv(RunsEnv, "/runs")
	t.Setenv(QuickEnv, "1")
	if got, _ := RunDir("cifar/kl"); got != filepath.Join("/runs", "quick", "cifar", "kl") {
		t.Errorf("RunDir in quick mode = %q", got)
	}
	t.Setenv(QuickEnv, "")
	t.Setenv("GONB_DIR", "")
	if got, _ := RunDir("cifar/kl"); got != filepath.Join("/runs", "full", "cifar", "kl") {
		t.Errorf("RunDir in full mode = %q", got)
	}
	t.Setenv("GONB_DIR", "/course/exercises")
	if got, _ := RunDir("cifar/kl"); got != filepath.Join("/runs", "full", "exercises", "cifar", "kl") {
		t.Errorf("RunDir in a notebook of exercises/ = %q", got)
	}
}

func TestRunLabel(t *testing.T) {
	root := t.TempDir()
	t.Setenv(RunsEnv, root)
	t.Setenv("GONB_DIR", "/somewhere/notebooks")
	dir, err := RunDir("04_rbm/CD-1")
	if err != nil {
		t.Fatal(err)
	}
	got := RunLabel(dir)
	if want := "the runs folder's " + Mode() + "/notebooks/04_rbm/CD-1"; got != want || strings.Contains(got, root) {
		t.Errorf("RunLabel(%s) = %q, want %q", dir, got, want)
	}
	if got := RunLabel("/elsewhere/weights"); got != "weights" {
		t.Errorf("RunLabel of a path outside the runs folder = %q, want its base name", got)
	}
}
