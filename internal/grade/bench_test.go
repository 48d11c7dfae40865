package grade

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkGradeClass grades a class of exercise 02 — copies of the
// solution, each a distinct file — with two workers, as
// `klcourse grade -j 2` does. KLCOURSE_BENCH_CLASS sets the class size
// (default 100). Run it with
//
//	go test -run '^$' -bench GradeClass -benchtime 1x ./internal/grade/
func BenchmarkGradeClass(b *testing.B) {
	size := 100
	if s, err := strconv.Atoi(os.Getenv("KLCOURSE_BENCH_CLASS")); err == nil && s > 0 {
		size = s
	}
	root, _ := filepath.Abs("../..")
	spec, err := LoadSpec(solution02)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(solution02)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Root: root, Timeout: 2 * time.Minute, Total: 10 * time.Minute, Memory: 4 << 30,
		Env: []string{"GOMLX_BACKEND=go", "KLCOURSE_QUICK=1"}}
	ref, err := BuildReference(context.Background(), spec, opts)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		for s := 0; s < size; s++ {
			// A distinct answer per student (a comment in each answer), as a
			// class's are: every submission's program is compiled anew, not
			// taken from Go's build cache.
			p := filepath.Join(dir, "in", fmt.Sprintf("student%03d_%d_02_cifar10_kl_losses.ipynb", s, 1000+s))
			os.MkdirAll(filepath.Dir(p), 0o755)
			own := bytes.ReplaceAll(data, []byte(`"\t// END SOLUTION\n",`), fmt.Appendf(nil, `"\t// student %d\n", "\t// END SOLUTION\n",`, s))
			if bytes.Equal(own, data) {
				b.Fatal("no answer region found in " + solution02)
			}
			os.WriteFile(p, own, 0o644)
		}
		subs, err := Discover([]string{filepath.Join(dir, "in")}, "")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		results, err := Batch(context.Background(), spec, ref, subs, opts, 2, filepath.Join(dir, "out"), false, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if r.Total != r.Max {
				b.Fatalf("%s: %v of %v: %s", r.Student, r.Total, r.Max, r.Message)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/class")
		b.ReportMetric(time.Since(start).Seconds()/float64(size), "s/submission")
	}
}
