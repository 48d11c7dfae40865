package grade

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/browser"
	"github.com/klcourse/klcourse/internal/notebook"
)

// TestClass grades a made-up class of 30 submissions of exercise 02 as a
// semester would: correct, partial and broken answers, every way of
// reaching the answer key, late work under a deadline with an extension,
// LMS downloads, a hostile written answer; marks written answers in the
// browser page; exports the three CSVs; and checks every number.
func TestClass(t *testing.T) {
	if testing.Short() {
		t.Skip("grades 30 submissions (minutes)")
	}
	exe := browser.Need(t)
	root, _ := filepath.Abs("../..")
	sol, err := notebook.Read(solution02)
	if err != nil {
		t.Fatal(err)
	}
	answers := assign.Answers(sol)
	klHead := "func klLoss(p, logits *graph.Node) *graph.Node {\n"
	revHead := "func reverseKLLoss(p, logits *graph.Node) *graph.Node {\n"
	klRight, revRight := klHead+answers[0]+"\n}", revHead+answers[1]+"\n}"
	const essay = "Both runs learn, because with one-hot targets both losses want all the mass on the true class. " +
		"The gradients differ, though: the forward KL pushes with q - P on every example, however confidently wrong, " +
		"while the clipped reverse KL scales its push by q_y, so the examples the model gets badly wrong barely count. " +
		"That is mode seeking against mass covering, and over a long run the forward KL usually ends ahead."
	const hostileAnswer = `Both learn. <script>document.title = "pwned"</script><img src=x onerror="document.title='pwned'"> The reverse KL is mode seeking.`
	due := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	type student struct {
		name     string
		kl, rev  string   // whole answer cells ("" = the solution's)
		extra    []string // cells the student added
		written  string
		at       time.Duration // submitted at due + at
		lms      string        // an LMS download's file name instead of nbgrader's layout
		notebook []byte        // the whole file instead
		// What the grader must make of it: points of kl_loss and
		// reverse_kl (−1: not checked), a reason that must name the answer
		// key, the mark the browser gives the written answer, the penalty.
		wantKL, wantRev float64
		keyKL           bool
		status          string
		mark            float64
		penalty         float64
	}
	ref := "klloss.ForwardKLFromLogits"
	const pkgPath = `"github.com/klcourse/klcourse/pkg/klloss"`
	class := []student{
		{name: "correct1", written: essay, mark: 2},
		{name: "correct2", written: "The gradients differ: q − P against a gradient scaled by q_y.", mark: 3},
		{name: "correct3", written: "They are the same.", mark: 0},
		{name: "correct4", written: "Mode seeking against mass covering.", mark: 1},
		{name: "correct5"},
		{name: "correct6", written: "Reverse KL ignores confidently wrong examples."},
		{name: "axis1", kl: strings.Replace(klRight, "), -1)", "), 1)", 1), wantKL: 3.33, wantRev: 4},
		{name: "crossentropy", kl: klHead + "\treturn graph.Neg(graph.ReduceSum(graph.Mul(p, graph.LogSoftmax(logits)), -1))\n}", wantKL: 1.33, wantRev: 4},
		{name: "todo", kl: klHead + "\treturn exercise.Todo(logits)\n}", rev: revHead + "\treturn exercise.Todo(logits)\n}", wantKL: 0, wantRev: 0},
		{name: "compileerror", rev: revHead + "\treturn graph.Sum(p, logits\n}", wantKL: 4, wantRev: 0, status: StatusCompileError},
		// Every way of reaching the answer key costs kl_loss only.
		{name: "key_direct", kl: klHead + "\treturn klloss.ForwardKLFromLogits(p, logits)\n}", keyKL: true},
		{name: "key_renamed", kl: "import kl " + pkgPath + "\n\n" + klHead + "\treturn kl.ForwardKLFromLogits(p, logits)\n}", keyKL: true},
		{name: "key_dot", kl: "import . " + pkgPath + "\n\n" + klHead + "\treturn ForwardKLFromLogits(p, logits)\n}", keyKL: true},
		{name: "key_alias", kl: klHead + "\treturn myLoss(p, logits)\n}", extra: []string{"var myLoss = klloss.ForwardKLFromLogits"}, keyKL: true},
		{name: "key_helper", kl: klHead + "\treturn helper(p, logits)\n}", extra: []string{"func helper(a, b *graph.Node) *graph.Node {\n\tf := klloss.ForwardKL\n\treturn f(a, graph.Softmax(b))\n}"}, keyKL: true},
		{name: "key_method", kl: klHead + "\tf := lossBox{}.loss\n\treturn f(p, logits)\n}", extra: []string{"type lossBox struct{}\n\nfunc (lossBox) loss(p, l *graph.Node) *graph.Node { return klloss.ForwardKLFromLogits(p, l) }"}, keyKL: true},
		{name: "key_init", kl: klHead + "\treturn hook(p, logits)\n}", extra: []string{"var hook func(p, l *graph.Node) *graph.Node\n\nfunc init() { hook = klloss.ForwardKLFromLogits }"}, keyKL: true},
		// The false positives of a text match: a wrong reverse_kl calling
		// kl_loss's reference, a local variable named like a forbidden one.
		{name: "fp_otherquestion", rev: revHead + "\treturn klloss.ForwardKLFromLogits(p, logits)\n}", wantKL: 4, wantRev: -1},
		{name: "fp_shadow", kl: strings.Replace(klRight, "logQ := graph.LogSoftmax(logits)", "reverseMistakes := graph.LogSoftmax(logits)\n\tlogQ := reverseMistakes", 1), wantKL: 4, wantRev: 4},
		// Late work: nbgrader's timestamp.txt, a grace period of 10 minutes,
		// 10% a started day capped at 30%, an extension of 48 hours.
		{name: "late_ontime", at: -time.Hour},
		{name: "late_grace", at: 5 * time.Minute},
		{name: "late_3h", at: 3 * time.Hour, penalty: 0.1},
		{name: "late_50h", at: 50 * time.Hour, penalty: 0.3},
		{name: "late_10d", at: 240 * time.Hour, penalty: 0.3},
		{name: "extended", at: 30 * time.Hour},
		// LMS downloads: the _LATE marker with the file's time, and one on
		// time, named by their LMS ids in the roster.
		{name: "lmslate", lms: "leelate_LATE_5001_02_cifar10_kl_losses.ipynb", at: 2 * time.Hour, penalty: 0.1},
		{name: "lmsontime", lms: "oliveontime_5002_02_cifar10_kl_losses.ipynb", at: -2 * time.Hour},
		// Hostile HTML in a written answer and in a comment of the code.
		{name: "hostile", kl: strings.Replace(klRight, "logQ :=", "// </pre><script>document.title='pwned'</script>\n\tlogQ :=", 1), written: hostileAnswer, mark: 1, wantKL: 4, wantRev: 4},
		{name: "otherassignment", notebook: mustRead(t, exercise03), wantKL: 0, wantRev: 0, status: StatusWrongAssign},
		// A copy of another student's answer, renamed and reformatted.
		{name: "copier", written: strings.ReplaceAll(strings.ReplaceAll(essay, "examples", "Examples"), ", ", " — ")},
	}
	if len(class) != 30 {
		t.Fatalf("%d students in the class, want 30", len(class))
	}
	dir := t.TempDir()
	lmsDir := filepath.Join(dir, "lms")
	os.MkdirAll(lmsDir, 0o755)
	for _, s := range class {
		var data []byte
		if s.notebook != nil {
			data = s.notebook
		} else {
			nb, err := notebook.Read(exercise02)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range nb.Cells {
				switch c.ID() {
				case "c12":
					c.Source = klRight
					if s.kl != "" {
						c.Source = s.kl
					}
				case "c22":
					c.Source = revRight
					if s.rev != "" {
						c.Source = s.rev
					}
				case "c29":
					if s.written != "" {
						c.Source = strings.Replace(c.Source, assign.Answer, s.written, 1)
					}
				}
			}
			for _, e := range s.extra {
				nb.Cells = append(nb.Cells, notebook.NewCell("code", e))
			}
			if data, err = nb.Marshal(); err != nil {
				t.Fatal(err)
			}
		}
		at := due.Add(s.at)
		if s.at == 0 {
			at = due.Add(-24 * time.Hour)
		}
		if s.lms != "" {
			p := filepath.Join(lmsDir, s.lms)
			os.WriteFile(p, data, 0o644)
			os.Chtimes(p, at, at)
			continue
		}
		p := filepath.Join(dir, "submitted", s.name, "02_cifar10_kl_losses", "02_cifar10_kl_losses.ipynb")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
		os.WriteFile(filepath.Join(filepath.Dir(p), "timestamp.txt"), []byte(at.Format("2006-01-02 15:04:05.000000 MST")), 0o644)
	}
	// The roster: everyone but "copier" (not on the list: a warning), and
	// one student who submitted nothing.
	var roster strings.Builder
	roster.WriteString("student,id,email,section\n")
	for i, s := range class {
		switch s.name {
		case "copier":
			continue
		case "lmslate":
			roster.WriteString("Lee Late,5001,llate@uni.example,B\n")
		case "lmsontime":
			roster.WriteString("Olive Ontime,5002,oontime@uni.example,B\n")
		default:
			fmt.Fprintf(&roster, "%s,%d,%s@uni.example,A\n", s.name, 1000+i, s.name)
		}
	}
	roster.WriteString("Gina Ghost,9999,gghost@uni.example,C\n")
	rosterPath := filepath.Join(dir, "roster.csv")
	os.WriteFile(rosterPath, []byte(roster.String()), 0o644)
	extPath := filepath.Join(dir, "extensions.csv")
	os.WriteFile(extPath, []byte("student,extra\nextended,48h\n"), 0o644)

	// Grade.
	spec, err := LoadSpec(solution02)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Root: root, Timeout: 60 * time.Second, Total: 8 * time.Minute, Memory: 4 << 30,
		Env: []string{"GOMLX_BACKEND=go", "KLCOURSE_QUICK=1"}}
	ctx := context.Background()
	start := time.Now()
	reference, err := BuildReference(ctx, spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := Discover([]string{filepath.Join(dir, "submitted"), lmsDir}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 30 {
		t.Fatalf("found %d submissions, want 30", len(subs))
	}
	out := filepath.Join(dir, "out")
	if _, err := Batch(ctx, spec, reference, subs, opts, 2, out, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("graded 30 submissions in %v (2 at a time, under the load of the machine)", time.Since(start).Round(time.Second))
	rosterEntries, err := ReadRoster(rosterPath)
	if err != nil {
		t.Fatal(err)
	}
	exts, err := ReadExtensions(extPath, due)
	if err != nil {
		t.Fatal(err)
	}
	oo := OutputOptions{Root: root, Roster: rosterEntries,
		Late: &LatePolicy{Due: due, Grace: 10 * time.Minute, Rate: 0.1, Unit: 24 * time.Hour, Cap: 0.3, Extensions: exts}}
	if _, _, err := WriteOutputs(spec, out, oo); err != nil {
		t.Fatal(err)
	}

	// Mark the written answers in the browser page.
	srv, err := NewServer(out)
	if err != nil {
		t.Fatal(err)
	}
	url := serveOnLoopback(t, srv)
	b, err := browser.Start(browser.Options{Exec: exe})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(url); err != nil {
		t.Fatal(err)
	}
	for _, s := range class {
		if s.written == "" || (s.mark == 0 && s.name != "correct3") {
			continue
		}
		card := `.card[data-student="` + s.name + `"]`
		js := fmt.Sprintf(`(() => { const c = document.querySelector('%s'); c.querySelector('.points').value = %g;
			c.querySelector('.comment').value = 'marked: %g'; c.querySelector('.save').click(); return true })()`, card, s.mark, s.mark)
		if err := b.Eval(js, nil); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := b.WaitFor(`document.querySelector('`+card+` .status').textContent.startsWith('saved')`, 30*time.Second); err != nil {
			t.Fatalf("marking %s: %v", s.name, err)
		}
	}
	var title string
	b.Eval(`document.title`, &title)
	if strings.Contains(title, "pwned") {
		t.Error("the hostile answer ran script in the marking page")
	}
	// The next grading run merges the marks.
	if _, err := Batch(ctx, spec, reference, subs, opts, 2, out, false, nil); err != nil {
		t.Fatal(err)
	}
	all, warnings, err := WriteOutputs(spec, out, oo)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "copier") {
		t.Errorf("roster warnings %v, want one about copier", warnings)
	}

	// Check every result.
	byName := map[string]*Result{}
	for _, r := range all {
		byName[r.Student] = r
	}
	expected := map[string]float64{}
	for _, s := range class {
		name := s.name
		if s.lms != "" {
			name = strings.SplitN(s.lms, "_", 2)[0]
		}
		r := byName[name]
		if r == nil {
			t.Errorf("%s: no result", name)
			continue
		}
		kl, rev := 4.0, 4.0
		if s.kl != "" || s.rev != "" || s.notebook != nil {
			kl, rev = s.wantKL, s.wantRev
		}
		if s.keyKL {
			kl, rev = 0, 4
			if !strings.Contains(r.Questions[0].Reason, ref) && !strings.Contains(r.Questions[0].Reason, "klloss.ForwardKL") {
				t.Errorf("%s: kl_loss's reason does not name the answer key: %q", name, r.Questions[0].Reason)
			}
		}
		status := s.status
		if status == "" {
			status = StatusOK
		}
		if r.Status != status || (kl >= 0 && r.Questions[0].Points != kl) || (rev >= 0 && r.Questions[1].Points != rev) {
			t.Errorf("%s: kl_loss %v, reverse_kl %v, status %q; want %v, %v, %q\n%s %s", name, r.Questions[0].Points, r.Questions[1].Points, r.Status, kl, rev, status, r.Questions[0].Reason, r.Message)
		}
		if strings.Contains(r.Questions[1].Reason, "reaches") {
			t.Errorf("%s: reverse_kl was blamed for the answer key: %s", name, r.Questions[1].Reason)
		}
		written := r.Questions[2]
		if s.written != "" && (s.mark > 0 || s.name == "correct3") {
			if written.Points != s.mark || written.Comment != fmt.Sprintf("marked: %g", s.mark) {
				t.Errorf("%s: written %v %q, want %v", name, written.Points, written.Comment, s.mark)
			}
		} else if written.Points != 0 || (s.written != "" && written.Reason != NotMarked) {
			t.Errorf("%s: written %+v, want 0 and not marked", name, written)
		}
		penalty := 0.0
		if r.Late != nil {
			penalty = r.Late.Penalty
		}
		if penalty != s.penalty {
			t.Errorf("%s: penalty %v, want %v (%+v)", name, penalty, s.penalty, r.Late)
		}
		before := r.Questions[0].Points + r.Questions[1].Points + written.Points
		if want := round2(round2(before) * (1 - s.penalty)); r.Total != want {
			t.Errorf("%s: total %v, want %v", name, r.Total, want)
		}
		expected[name] = r.Total
		t.Logf("%-17s kl %4.2f rev %4.2f written %4.2f penalty %3.0f%% total %5.2f %s", name, r.Questions[0].Points, r.Questions[1].Points, written.Points, penalty*100, r.Total, r.Status)
	}
	if byName["leelate"] == nil || byName["leelate"].TimeSource != TimeLMSLate || byName["late_3h"].TimeSource != TimeExchange || byName["oliveontime"].TimeSource != TimeFile {
		t.Errorf("time sources: %+v", byName["leelate"])
	}

	// The three CSVs.
	plain := readCSV(t, filepath.Join(out, "grades.csv"))
	canvas := readCSV(t, filepath.Join(out, "canvas.csv"))
	moodle := readCSV(t, filepath.Join(out, "moodle.csv"))
	if len(plain) != 1+29+1+1 { // header, 29 on the roster, the ghost, copier
		t.Errorf("grades.csv has %d rows", len(plain))
	}
	if len(canvas) != 2+29+1 || len(moodle) != 1+29+1 {
		t.Errorf("canvas.csv has %d rows, moodle.csv %d", len(canvas), len(moodle))
	}
	find := func(rows [][]string, col int, key string) []string {
		for _, r := range rows {
			if r[col] == key {
				return r
			}
		}
		t.Errorf("no row %q", key)
		return make([]string, 16)
	}
	if g := find(plain, 0, "Gina Ghost"); g[len(g)-3] != "missing" {
		t.Errorf("the ghost: %v", g)
	}
	if r := find(canvas, 0, "Lee Late"); r[1] != "5001" || r[5] != pts(expected["leelate"]) {
		t.Errorf("canvas.csv Lee Late: %v (want %v)", r, expected["leelate"])
	}
	if r := find(canvas, 0, "Gina Ghost"); r[5] != "" {
		t.Errorf("canvas.csv gives the ghost a grade: %v", r)
	}
	if r := find(moodle, 0, "late_50h@uni.example"); r[3] != pts(expected["late_50h"]) || !strings.Contains(r[4], "−30%") {
		t.Errorf("moodle.csv late_50h: %v", r)
	}
	for name, total := range expected {
		if name == "copier" {
			continue
		}
		key := name
		switch name {
		case "leelate":
			key = "Lee Late"
		case "oliveontime":
			key = "Olive Ontime"
		}
		if r := find(canvas, 0, key); r[5] != pts(total) {
			t.Errorf("canvas.csv %s: %v, want %v", key, r[5], total)
		}
	}
	// Hostile HTML stays text in the feedback.
	page, _ := os.ReadFile(filepath.Join(out, "feedback", "hostile.html"))
	if strings.Contains(string(page), "<script>document.title") || !strings.Contains(string(page), "&lt;script&gt;") {
		t.Error("hostile.html does not escape the written answer")
	}
	// Similarity: the copier is flagged with correct1, the direct answer-key
	// copies with nobody (their answers are one line).
	sim, err := ReadSimilarity(out)
	if err != nil || sim == nil {
		t.Fatalf("similarity: %v", err)
	}
	flagged := false
	for _, p := range sim.Pairs {
		if p.Question == "discussion" && ((p.A == "correct1" && p.B == "copier") || (p.A == "copier" && p.B == "correct1")) {
			flagged = true
		}
	}
	if !flagged {
		t.Errorf("the copied written answer is not flagged: %d pairs", len(sim.Pairs))
	}
}
