package exercise

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/vae"
)

// TestVAEChecks checks the references against pkg/vae (tested against
// PyTorch), and that every known mistake fails with its own hint.
func TestVAEChecks(t *testing.T) {
	b := goBackend(t)
	quiet(t)
	if r := CheckSample(b, func(m, lv, e *Node) *Node { return vae.Reparameterise(m, lv, e) }); !r.Passed {
		t.Errorf("vae.Reparameterise fails the sampling check: %s", r.Report)
	}
	if r := CheckKL(b, vae.KLToStandardNormal); !r.Passed {
		t.Errorf("vae.KLToStandardNormal fails the KL check: %s", r.Report)
	}
	for i, m := range sampleMistakes() {
		if r := CheckSample(b, m.Fn); r.Passed || !strings.Contains(r.Report, m.Hint) {
			t.Errorf("sampling mistake %d: %s", i, r.Report)
		}
	}
	for i, m := range klMistakes() {
		if r := CheckKL(b, m.Fn); r.Passed || !strings.Contains(r.Report, m.Hint) {
			t.Errorf("KL mistake %d: %s", i, r.Report)
		}
	}
	if r := CheckKL(b, func(m, lv *Node) *Node { return Todo(m) }); !r.NotDone {
		t.Errorf("the stub: %s", r.Report)
	}
}

func quiet(t *testing.T) {
	old := Output
	Output = &strings.Builder{}
	t.Cleanup(func() { Output = old })
}
