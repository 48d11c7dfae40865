package grade

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/browser"
	"github.com/klcourse/klcourse/internal/safefile"
)

// hostile is a written answer that would run script and load things if the
// page rendered it as HTML.
const hostile = `<script>window.pwned = 1</script><img src="x-hostile.png" onerror="window.pwned = 2"><b id="bold">bold</b> & KL(P‖Q) ≥ 0`

// markingFolder writes the output folder of a graded class with one written
// question: results, written.json.
func markingFolder(t *testing.T, answers map[string]string) (string, *Spec) {
	t.Helper()
	dir := t.TempDir()
	spec := &Spec{Name: "ps9", SHA256: "sol", Questions: []Question{{ID: "code", Points: 2}},
		Written: []Question{{ID: "why", Points: 3, Cell: "m1", Written: true, Scheme: "1 pt: names the mode-seeking behaviour\n2 pts: explains it", Prompt: "Why?\n\n*Your answer here.*", Model: "Because the reverse KL is mode seeking."}}}
	os.MkdirAll(filepath.Join(dir, "results"), 0o755)
	for student, answer := range answers {
		r := &Result{Student: student, Solution: "sol", Status: StatusOK, Max: 5, Questions: []QuestionResult{
			{ID: "code", Points: 2, Max: 2}, {ID: "why", Max: 3, Written: true, Answer: answer, Reason: NotMarked}}}
		if answer == "" {
			r.Questions[1].Reason = "no answer"
		}
		data, _ := json.Marshal(r)
		if err := safefile.WriteBytes(filepath.Join(dir, "results", student+".json"), data); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeWrittenInfo(spec, dir); err != nil {
		t.Fatal(err)
	}
	return dir, spec
}

func TestWrittenAnswer(t *testing.T) {
	q := Question{Prompt: "**Why?**\n\n*Your answer here.*\n\n(two lines)"}
	for cell, want := range map[string]string{
		"**Why?**\n\nBecause.\n\n(two lines)":            "Because.",
		"**Why?**\n\n*Your answer here.*\n\n(two lines)": "",
		"I rewrote it all":                               "I rewrote it all",
	} {
		if got := WrittenAnswer(q, cell); got != want {
			t.Errorf("WrittenAnswer(%q) = %q, want %q", cell, got, want)
		}
	}
}

func TestMarkingPage(t *testing.T) {
	exe := browser.Need(t)
	dir, spec := markingFolder(t, map[string]string{"alice": "Mode seeking: Q avoids where P is small.", "mallory": hostile, "nobody": ""})
	srv, err := NewServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen("0.0.0.0:0", false); err == nil {
		t.Error("a non-loopback address is accepted without --remote")
	}
	url := serveOnLoopback(t, srv)
	// Without the token: nothing.
	for _, u := range []string{strings.Split(url, "?")[0], strings.Split(url, "?")[0] + "?token=wrong"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: %s, want 403", u, resp.Status)
		}
	}
	// A similarity report with a pair, one side hostile.
	sim := SimilarityReport{Pairs: []SimilarPair{{Question: "why", A: "alice", B: "mallory", Percent: 80, Shared: 7,
		TextA: "line one\nline two", TextB: hostile + "\nline two", LinesA: []int{2}, LinesB: []int{2}}}}
	simData, _ := json.Marshal(sim)
	os.WriteFile(filepath.Join(dir, SimilarFile), simData, 0o644)
	b, err := browser.Start(browser.Options{Exec: exe, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(url); err != nil {
		t.Fatal(err)
	}
	var state struct {
		Pwned   any      `json:"pwned"`
		Bold    bool     `json:"bold"`
		Texts   []string `json:"texts"`
		Scheme  string   `json:"scheme"`
		Scripts int      `json:"scripts"`
	}
	if err := b.Eval(`({pwned: window.pwned === undefined ? null : window.pwned, bold: !!document.getElementById('bold'),
		texts: [...document.querySelectorAll('pre.answer')].map(e => e.textContent),
		scheme: document.querySelector('pre.scheme').textContent, scripts: document.scripts.length})`, &state); err != nil {
		t.Fatal(err)
	}
	if state.Pwned != nil || state.Bold || state.Scripts != 1 {
		t.Errorf("the hostile answer was rendered: pwned %v, <b> element %v, %d scripts", state.Pwned, state.Bold, state.Scripts)
	}
	if len(state.Texts) != 2 || state.Texts[1] != hostile || !strings.Contains(state.Scheme, "mode-seeking") {
		t.Errorf("answers shown %q, scheme %q", state.Texts, state.Scheme)
	}
	for _, r := range b.Requests() {
		if strings.Contains(r, "x-hostile") {
			t.Errorf("the page requested %s from a student's answer", r)
		}
	}
	// The side-by-side view of the flagged pair.
	var href string
	if err := b.Eval(`document.querySelector('a.compare').href`, &href); err != nil {
		t.Fatal(err)
	}
	if err := b.Load(href); err != nil {
		t.Fatal(err)
	}
	var side struct {
		A, B   string
		Shared int
		Pwned  any
	}
	b.Eval(`({a: document.querySelector('pre.a').textContent, b: document.querySelector('pre.b').textContent,
		shared: document.querySelectorAll('.shared').length, pwned: window.pwned === undefined ? null : window.pwned})`, &side)
	if !strings.Contains(side.B, hostile) || side.Shared != 2 || side.Pwned != nil || !strings.Contains(side.A, "line two") {
		t.Errorf("side by side: %+v", side)
	}
	if err := b.Load(url); err != nil {
		t.Fatal(err)
	}
	// Marking: mallory gets 1 point with a comment that is itself HTML;
	// alice 5 points (too many: refused), then 3.
	mark := func(student, points, comment string) string {
		t.Helper()
		card := `.card[data-student="` + student + `"]`
		js := `(() => { const c = document.querySelector('` + card + `');
			c.querySelector('.points').value = ` + points + `; c.querySelector('.comment').value = ` + jsString(comment) + `;
			c.querySelector('.status').textContent = ''; c.querySelector('.save').click(); return true })()`
		if err := b.Eval(js, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(`document.querySelector('`+card+` .status').textContent.match(/^(saved|not saved)/)`, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		var status string
		b.Eval(`document.querySelector('`+card+` .status').textContent`, &status)
		return status
	}
	if s := mark("mallory", "1", "<i>no</i> — see the scheme"); !strings.HasPrefix(s, "saved") {
		t.Errorf("mallory: %s", s)
	}
	if s := mark("alice", "5", ""); !strings.Contains(s, "between 0 and 3") {
		t.Errorf("alice's 5 of 3 points: %s", s)
	}
	if s := mark("alice", "3", "right"); !strings.HasPrefix(s, "saved") {
		t.Errorf("alice: %s", s)
	}
	// A second sitting: the marks are on the page again.
	if err := b.Load(url); err != nil {
		t.Fatal(err)
	}
	var marked string
	b.Eval(`document.getElementById('marked').textContent`, &marked)
	if marked != "2" {
		t.Errorf("after reloading, %s answers are marked, want 2", marked)
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("JavaScript errors: %v", ex)
	}
	// The next grading merges the marks.
	all, _, err := WriteOutputs(spec, dir, OutputOptions{})
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string]float64{}
	for _, r := range all {
		totals[r.Student] = r.Total
	}
	if totals["alice"] != 5 || totals["mallory"] != 3 || totals["nobody"] != 2 {
		t.Errorf("totals %v, want alice 5, mallory 3, nobody 2", totals)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "feedback", "mallory.html"))
	if strings.Contains(string(page), "<script>window.pwned") || strings.Contains(string(page), "<i>no</i>") || !strings.Contains(string(page), "&lt;i&gt;no&lt;/i&gt;") {
		t.Errorf("mallory's feedback does not escape the answer and the comment")
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "grades.csv"))
	if !strings.Contains(string(csv), "student,id,email,section,code,why,") || !strings.Contains(string(csv), "\nalice,,,,2.00,3.00,5.00,") {
		t.Errorf("grades.csv:\n%s", csv)
	}
	// A changed answer loses its mark.
	r := loadResult(filepath.Join(dir, "results", "alice.json"))
	r.Questions[1].Answer += " And more."
	data, _ := json.Marshal(r)
	safefile.WriteBytes(filepath.Join(dir, "results", "alice.json"), data)
	all, _, _ = WriteOutputs(spec, dir, OutputOptions{})
	if all[0].Student != "alice" || all[0].Total != 2 || !strings.Contains(all[0].Questions[1].Reason, "changed after it was marked") {
		t.Errorf("alice after changing her answer: %v %+v", all[0].Total, all[0].Questions[1])
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// serveOnLoopback serves srv on a free port of the loopback until the test
// ends and returns its URL, token included.
func serveOnLoopback(t *testing.T, srv *Server) string {
	t.Helper()
	l, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return srv.URL(l)
}
