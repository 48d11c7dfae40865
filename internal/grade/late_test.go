package grade

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSubmissionTime(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "submitted", "alice", "ps2", "ps2.ipynb")
	os.MkdirAll(filepath.Dir(nb), 0o755)
	os.WriteFile(nb, []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(nb), "timestamp.txt"), []byte("2026-12-02 10:30:00.000000 UTC\n"), 0o644)
	lms := filepath.Join(dir, "lms", "doejane_LATE_4321_ps2.ipynb")
	plain := filepath.Join(dir, "lms", "smith_1234_ps2.ipynb")
	os.MkdirAll(filepath.Dir(lms), 0o755)
	fileTime := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for _, p := range []string{lms, plain} {
		os.WriteFile(p, []byte("{}"), 0o644)
		os.Chtimes(p, fileTime, fileTime)
	}
	subs, err := Discover([]string{filepath.Join(dir, "submitted"), filepath.Join(dir, "lms")}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		at     time.Time
		source string
		late   bool
	}{
		"alice":   {time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC), TimeExchange, false},
		"doejane": {fileTime, TimeLMSLate, true},
		"smith":   {fileTime, TimeFile, false},
	}
	for _, s := range subs {
		w := want[s.Student]
		if !s.Time.Equal(w.at) || s.TimeSource != w.source || s.LMSLate != w.late {
			t.Errorf("%s: %v %q %v; want %v %q %v", s.Student, s.Time, s.TimeSource, s.LMSLate, w.at, w.source, w.late)
		}
	}
}

func TestLatePolicy(t *testing.T) {
	due := time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC)
	rate, unit, err := ParsePenalty("10%/day")
	if err != nil || rate != 0.1 || unit != 24*time.Hour {
		t.Fatalf("ParsePenalty: %v %v %v", rate, unit, err)
	}
	for _, bad := range []string{"10%", "10%/week", "x/day", "150%/day"} {
		if _, _, err := ParsePenalty(bad); err == nil {
			t.Errorf("ParsePenalty(%q) is no error", bad)
		}
	}
	ext := filepath.Join(t.TempDir(), "ext.csv")
	os.WriteFile(ext, []byte("student,due,extra\nbob,,48h\ncarol,2026-12-10 12:00,\n"), 0o644)
	exts, err := ReadExtensions(ext, due)
	if err != nil {
		t.Fatal(err)
	}
	lp := &LatePolicy{Due: due, Grace: 10 * time.Minute, Rate: 0.1, Unit: 24 * time.Hour, Cap: 0.3, Extensions: exts}
	cases := []struct {
		student string
		at      time.Time
		lms     bool
		penalty float64
		note    string
	}{
		{"ontime", due.Add(-time.Hour), false, 0, "before the deadline"},
		{"grace", due.Add(5 * time.Minute), false, 0, "grace period"},
		{"oneday", due.Add(11 * time.Minute), false, 0.1, "1 started day"},
		{"twodays", due.Add(25 * time.Hour), false, 0.2, "2 started day"},
		{"capped", due.Add(10 * 24 * time.Hour), false, 0.3, "capped at 30%"},
		{"bob", due.Add(47 * time.Hour), false, 0, "extended deadline"},
		{"carol", due.Add(9 * 24 * time.Hour), false, 0.1, "extended deadline"},
		{"lmsmarked", due.Add(-time.Hour), true, 0.1, "the LMS marked this submission late"},
	}
	for _, c := range cases {
		r := &Result{Student: c.student, Total: 8, SubmittedAt: c.at.Format(time.RFC3339Nano), TimeSource: TimeFile, LMSLate: c.lms}
		lp.Apply(r)
		if r.Late == nil || r.Late.Penalty != c.penalty || r.Total != round2(8*(1-c.penalty)) || r.Late.Before != 8 || !strings.Contains(r.Late.Note, c.note) {
			t.Errorf("%s: total %v, late %+v; want penalty %v and a note saying %q", c.student, r.Total, r.Late, c.penalty, c.note)
		}
	}
	if _, err := ReadExtensions(ext+".missing", due); err == nil {
		t.Error("a missing extensions file is no error")
	}
	os.WriteFile(ext, []byte("name,when\nbob,48h\n"), 0o644)
	if _, err := ReadExtensions(ext, due); err == nil || !strings.Contains(err.Error(), "student and due") {
		t.Errorf("a bad header: %v", err)
	}
}
