package references

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/vae"
)

// TestVAEChecks checks the references against pkg/vae (tested against
// PyTorch), and that every known mistake fails with its own hint.
func TestVAEChecks(t *testing.T) {
	b := useExpected(t, vae.Exercise)
	wants(t, "vae.Reparameterise", vae.CheckSample(b, func(m, lv, e *Node) *Node { return vae.Reparameterise(m, lv, e) }), "PASS")
	wants(t, "vae.KLToStandardNormal", vae.CheckKL(b, vae.KLToStandardNormal), "PASS")
	for i, m := range sampleMistakes() {
		if r := vae.CheckSample(b, m.Fn); r.Passed || !strings.Contains(r.Report, m.Hint) {
			t.Errorf("sampling mistake %d: %s", i, r.Report)
		}
	}
	for i, m := range klMistakes() {
		if r := vae.CheckKL(b, m.Fn); r.Passed || !strings.Contains(r.Report, m.Hint) {
			t.Errorf("KL mistake %d: %s", i, r.Report)
		}
	}
	if r := vae.CheckKL(b, func(m, lv *Node) *Node { return exercise.Todo(m) }); !r.NotDone {
		t.Errorf("the stub: %s", r.Report)
	}
}
