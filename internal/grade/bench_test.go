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

// BenchmarkGradeClass grades a class of an exercise — copies of the
// solution, each a distinct file — with two workers, as
// `klcourse grade -j 2` does. KLCOURSE_BENCH_CLASS sets the class size
// (default 100), KLCOURSE_BENCH_EXERCISE the exercise (default
// 02_cifar10_kl_losses). Run it with
//
//	go test -run '^$' -bench GradeClass -benchtime 1x ./internal/grade/
func BenchmarkGradeClass(b *testing.B) {
	size := 100
	if s, err := strconv.Atoi(os.Getenv("KLCOURSE_BENCH_CLASS")); err == nil && s > 0 {
		size = s
	}
	root, _ := filepath.Abs("../..")
	name := "02_cifar10_kl_losses"
	if e := os.Getenv("KLCOURSE_BENCH_EXERCISE"); e != "" {
		name = e
	}
	solution := filepath.Join(root, "solutions", name+".ipynb")
	spec, err := LoadSpec(solution)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(solution)
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
			p := filepath.Join(dir, "in", fmt.Sprintf("student%03d_%d_%s.ipynb", s, 1000+s, name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			own := bytes.ReplaceAll(data, []byte(`// END SOLUTION\n`), fmt.Appendf(nil, `// student %d\n\t// END SOLUTION\n`, s))
			if bytes.Equal(own, data) {
				b.Fatal("no answer region found in " + solution)
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
			for _, q := range r.Questions {
				if !q.Written && q.Points != q.Max {
					b.Fatalf("%s: %s %v of %v: %s %s", r.Student, q.ID, q.Points, q.Max, q.Reason, r.Message)
				}
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/class")
		b.ReportMetric(time.Since(start).Seconds()/float64(size), "s/submission")
	}
}
