package klloss

import (
	"io"
	"os"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// TestExerciseChecks answers the CIFAR-10 exercise's checks with the
// references, with the two losses swapped, and with the stub.
func TestExerciseChecks(t *testing.T) {
	exercise.Output = io.Discard
	t.Cleanup(func() { exercise.Output = os.Stdout })
	b := testBackend()
	for _, tc := range []struct {
		name string
		r    exercise.Result
		want string
	}{
		{"forward KL, reference", CheckForwardKL(b, "kl", ForwardKLFromLogits), "PASS"},
		{"reverse KL, reference", CheckReverseKL(b, "rev", WithClippedTarget(ReverseKLFromLogits, 1e-7), 1e-7), "PASS"},
		{"forward KL, the reverse", CheckForwardKL(b, "kl", WithClippedTarget(ReverseKLFromLogits, 1e-7)), "Hint: this is the reverse KL"},
		{"reverse KL, the forward", CheckReverseKL(b, "rev", ForwardKLFromLogits, 1e-7), "Hint: this is the forward KL"},
		{"reverse KL, unclipped", CheckReverseKL(b, "rev", ReverseKLFromLogits, 1e-7), "clip the targets"},
		{"forward KL, hidden case", CheckForwardKL(b, "kl", ForwardKLFromLogits, exercise.Case{Name: "one", WRT: []int{1},
			Inputs: []any{[][]float64{{0.5, 0.5}}, [][]float64{{1, -1}}}}), "PASS — value and gradient match the reference on 1 test case(s)"},
	} {
		if !strings.Contains(tc.r.Report, tc.want) {
			t.Errorf("%s: report %q does not contain %q", tc.name, tc.r.Report, tc.want)
		}
	}
	stub := func(p, logits *Node) *Node { return exercise.Todo(logits) }
	if LossDone(b, stub) || !LossDone(b, ForwardKLFromLogits) {
		t.Error("LossDone does not tell the stub from a written loss")
	}
}
