package gaussfit

import (
	"io"
	"os"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// TestCheckReverseKLSampled answers the reverse-KL exercise's check with
// the reference and with two of the known mistakes.
func TestCheckReverseKLSampled(t *testing.T) {
	exercise.Output = io.Discard
	t.Cleanup(func() { exercise.Output = os.Stdout })
	b := testbackends.Go(t)
	logP, err := MixtureTarget(mixture.Bimodal())
	if err != nil {
		t.Fatal(err)
	}
	reference := ReverseKLSampled(logP, NormalFamily)
	frozen := func(theta, eps *Node) *Node {
		x := StopGradient(NormalFamily.Sample(theta, eps))
		return ReduceAllMean(Sub(NormalFamily.LogPDF(theta, x), logP(x)))
	}
	for _, tc := range []struct {
		name    string
		student SampledFn
		want    string
	}{
		{"reference", reference, "PASS"},
		{"wrong sign", func(t, e *Node) *Node { return Neg(reference(t, e)) }, "wrong sign"},
		{"frozen samples", frozen, "misses the path through the samples"},
	} {
		if r := CheckReverseKLSampled(b, "reverseKL", logP, tc.student); !strings.Contains(r.Report, tc.want) {
			t.Errorf("%s: report %q does not contain %q", tc.name, r.Report, tc.want)
		}
	}
}
