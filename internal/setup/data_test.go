package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/testdata"
)

// TestSetupDataModes: with CI's data (MNIST, CIFAR-10's prefix) the data step
// passes in quick mode and, in full mode, asks for the CIFAR-10 tarball.
func TestSetupDataModes(t *testing.T) {
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist"); err != nil {
		t.Skip("no packaged Fashion-MNIST: the step would (rightly) want to download it")
	}
	root := filepath.Dir(testdata.Require(t, "mnist"))
	t.Setenv("KLCOURSE_DATA", root)
	env := &setupEnv{kernelEnv: map[string]string{}}

	t.Setenv("KLCOURSE_QUICK", "1")
	what, err := checkData(env)
	if err != nil {
		t.Fatalf("quick mode: %v", err)
	}
	if !strings.Contains(what, "cifar10 (quick)") || env.kernelEnv["KLCOURSE_DATA"] != root {
		t.Errorf("quick mode: %q, kernel environment %v", what, env.kernelEnv)
	}

	t.Setenv("KLCOURSE_QUICK", "0")
	_, err = checkData(env)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "cifar10", "cifar-10-binary.tar.gz")) {
		t.Errorf("full mode: got %v, want the place of the CIFAR-10 tarball", err)
	}
	if fix := fixData(env); !strings.HasPrefix(fix, "klcourse data fetch cifar10") {
		t.Errorf("fix %q", fix)
	}
}
