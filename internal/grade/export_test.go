package grade

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestExports(t *testing.T) {
	dir := t.TempDir()
	roster := filepath.Join(dir, "roster.csv")
	os.WriteFile(roster, []byte("\ufeffstudent,id,email,section\nAlice Liddell,1001,alice@uni.example,A\nJohn Smith,12345,jsmith@uni.example,B\nCarol Nobody,1003,carol@uni.example,A\n"), 0o644)
	entries, err := ReadRoster(roster)
	if err != nil {
		t.Fatal(err)
	}
	spec := &Spec{Name: "ps2", Questions: []Question{{ID: "q1", Points: 4}, {ID: "q2", Points: 4}}}
	res := func(student, lmsID string, p1, p2 float64) *Result {
		return &Result{Student: student, LMSID: lmsID, Status: StatusOK, Max: 8, Questions: []QuestionResult{{ID: "q1", Points: p1, Max: 4}, {ID: "q2", Points: p2, Max: 4}}}
	}
	all := []*Result{
		res("alice", "", 4, 4),          // The email's local part.
		res("smithjohn", "12345", 2, 4), // The LMS id of the file name.
		res("stranger", "", 1, 1),       // Nobody in the roster.
	}
	for _, r := range all {
		finish(r, OutputOptions{}, nil)
	}
	all[1].Late = &Lateness{Before: 6, Penalty: 0.1, LateBy: "3h0m0s"}
	all[1].Total = 5.4
	warnings, err := writeExports(spec, dir, entries, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "stranger") {
		t.Errorf("warnings %v", warnings)
	}
	plain := readCSV(t, filepath.Join(dir, "grades.csv"))
	want := [][]string{
		{"student", "id", "email", "section", "q1", "q2", "points_before_penalty", "late_penalty", "total", "max", "status", "submitted_at", "late_by"},
		{"Alice Liddell", "1001", "alice@uni.example", "A", "4.00", "4.00", "8.00", "0%", "8.00", "8.00", "ok", "", ""},
		{"John Smith", "12345", "jsmith@uni.example", "B", "2.00", "4.00", "6.00", "10%", "5.40", "8.00", "ok", "", "3h0m0s"},
		{"Carol Nobody", "1003", "carol@uni.example", "A", "", "", "", "", "", "8.00", "missing", "", ""},
		{"stranger", "", "", "", "1.00", "1.00", "2.00", "0%", "2.00", "8.00", "ok", "", ""},
	}
	if got, w := join(plain), join(want); got != w {
		t.Errorf("grades.csv:\n%s\nwant\n%s", got, w)
	}
	canvas := readCSV(t, filepath.Join(dir, "canvas.csv"))
	wantCanvas := [][]string{
		{"Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps2"},
		{"    Points Possible", "", "", "", "", "8.00"},
		{"Alice Liddell", "1001", "1001", "alice@uni.example", "A", "8.00"},
		{"John Smith", "12345", "12345", "jsmith@uni.example", "B", "5.40"},
		{"Carol Nobody", "1003", "1003", "carol@uni.example", "A", ""},
	}
	if got, w := join(canvas), join(wantCanvas); got != w {
		t.Errorf("canvas.csv:\n%s\nwant\n%s", got, w)
	}
	moodle := readCSV(t, filepath.Join(dir, "moodle.csv"))
	if len(moodle) != 4 || join(moodle[:1]) != "Email address|ID number|Full name|ps2|Feedback" ||
		moodle[2][0] != "jsmith@uni.example" || moodle[2][3] != "5.40" || !strings.Contains(moodle[2][4], "late 3h0m0s: −10%") || moodle[3][4] != "no submission" {
		t.Errorf("moodle.csv:\n%s", join(moodle))
	}
	// A roster without the student column is refused.
	os.WriteFile(roster, []byte("name,id\nx,1\n"), 0o644)
	if _, err := ReadRoster(roster); err == nil || !strings.Contains(err.Error(), "no column student") {
		t.Errorf("bad roster: %v", err)
	}
}

func join(rows [][]string) string {
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	return strings.Join(lines, "\n")
}
