package grade

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
)

// RosterEntry is a student of the class list.
type RosterEntry struct {
	Student, ID, Email, Section string
}

// ReadRoster reads a class list: a CSV with a header naming the columns
// student (required), id, email and section, in any order.
func ReadRoster(path string) ([]RosterEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--roster: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("--roster %s: %v", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("--roster %s is empty: want a header student,id,email,section", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if _, ok := col["student"]; !ok {
		return nil, fmt.Errorf("--roster %s: the header %q has no column student; want student,id,email,section", path, strings.Join(rows[0], ","))
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var out []RosterEntry
	seen := map[string]int{}
	for n, row := range rows[1:] {
		e := RosterEntry{Student: get(row, "student"), ID: get(row, "id"), Email: get(row, "email"), Section: get(row, "section")}
		if e.Student == "" && e.ID == "" && e.Email == "" {
			continue
		}
		if e.Student == "" {
			return nil, fmt.Errorf("--roster %s, line %d: no student name", path, n+2)
		}
		if prev, dup := seen[strings.ToLower(e.Student)]; dup {
			return nil, fmt.Errorf("--roster %s, lines %d and %d: the student %q is there twice", path, prev, n+2, e.Student)
		}
		seen[strings.ToLower(e.Student)] = n + 2
		out = append(out, e)
	}
	return out, nil
}

// match returns the roster entry of a graded submission: the one whose
// student, id, email or the email's local part is the submission's student
// (as file names carry it), or whose id is the LMS id of its file name.
func matchRoster(roster []RosterEntry, r *Result) int {
	norm := func(s string) string { return strings.ToLower(safeName(s)) }
	name := strings.ToLower(r.Student)
	for i, e := range roster {
		local, _, _ := strings.Cut(e.Email, "@")
		switch {
		case e.ID != "" && r.LMSID != "" && e.ID == r.LMSID:
			return i
		case norm(e.Student) == name, e.ID != "" && norm(e.ID) == name,
			e.Email != "" && (norm(e.Email) == name || norm(local) == name):
			return i
		}
	}
	return -1
}

// gradeRow is one line of the exports.
type gradeRow struct {
	Roster  RosterEntry
	Result  *Result // nil: missing.
	Matched bool    // In the roster.
}

// rows joins the results with the roster: the roster's order, then the
// submissions that match nobody in it.
func rows(roster []RosterEntry, all []*Result) ([]gradeRow, []string) {
	var out []gradeRow
	used := map[*Result]bool{}
	taken := map[int]*Result{}
	var warnings []string
	for _, r := range all {
		if len(roster) == 0 {
			break
		}
		i := matchRoster(roster, r)
		if i < 0 {
			continue
		}
		if other, dup := taken[i]; dup {
			warnings = append(warnings, fmt.Sprintf("%s and %s both match %s of the roster: the first is exported", other.Student, r.Student, roster[i].Student))
			continue
		}
		taken[i] = r
		used[r] = true
	}
	for i, e := range roster {
		out = append(out, gradeRow{Roster: e, Result: taken[i], Matched: true})
	}
	for _, r := range all {
		if !used[r] {
			if len(roster) > 0 {
				warnings = append(warnings, fmt.Sprintf("%s (%s) matches nobody in the roster", r.Student, r.File))
			}
			out = append(out, gradeRow{Roster: RosterEntry{Student: r.Student, ID: r.LMSID}, Result: r})
		}
	}
	return out, warnings
}

// writeExports writes the plain grades.csv and the LMS files
// canvas.csv and moodle.csv; it returns warnings about the roster.
func writeExports(spec *Spec, outDir string, roster []RosterEntry, all []*Result) ([]string, error) {
	table, warnings := rows(roster, all)
	write := func(name string, records [][]string) error {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.WriteAll(records)
		return safefile.WriteBytes(filepath.Join(outDir, name), buf.Bytes())
	}
	// The plain CSV: every question, the penalty, the identity.
	header := []string{"student", "id", "email", "section"}
	for _, q := range spec.AllQuestions() {
		header = append(header, q.ID)
	}
	plain := [][]string{append(header, "points_before_penalty", "late_penalty", "total", "max", "status", "submitted_at", "late_by")}
	for _, row := range table {
		rec := []string{row.Roster.Student, row.Roster.ID, row.Roster.Email, row.Roster.Section}
		r := row.Result
		if r == nil {
			for range spec.AllQuestions() {
				rec = append(rec, "")
			}
			plain = append(plain, append(rec, "", "", "", pts(spec.MaxPoints()), "missing", "", ""))
			continue
		}
		for _, q := range r.Questions {
			rec = append(rec, pts(q.Points))
		}
		before, penalty, lateBy := r.Total, "0%", ""
		if r.Late != nil {
			before, penalty, lateBy = r.Late.Before, fmt.Sprintf("%g%%", round2(r.Late.Penalty*100)), r.Late.LateBy
		}
		plain = append(plain, append(rec, pts(before), penalty, pts(r.Total), pts(r.Max), r.Status, r.SubmittedAt, lateBy))
	}
	if err := write("grades.csv", plain); err != nil {
		return nil, err
	}
	// Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID,
	// Section, then one column per assignment; the row "Points Possible"
	// under the header. A missing submission's cell is left empty (no
	// grade is imported for it).
	canvas := [][]string{
		{"Student", "ID", "SIS User ID", "SIS Login ID", "Section", spec.Name},
		{"    Points Possible", "", "", "", "", pts(spec.MaxPoints())},
	}
	// Moodle's grade import (Grades → Import → CSV file): a column that
	// identifies the user (Email address, or ID number), the grade item's
	// column and its feedback, mapped on the import page.
	moodle := [][]string{{"Email address", "ID number", "Full name", spec.Name, "Feedback"}}
	for _, row := range table {
		if !row.Matched && len(roster) > 0 {
			continue // Nobody in the LMS to give it to.
		}
		grade, feedback := "", "no submission"
		if row.Result != nil {
			grade, feedback = pts(row.Result.Total), feedbackSummary(row.Result)
		}
		canvas = append(canvas, []string{row.Roster.Student, row.Roster.ID, row.Roster.ID, row.Roster.Email, row.Roster.Section, grade})
		moodle = append(moodle, []string{row.Roster.Email, row.Roster.ID, row.Roster.Student, grade, feedback})
	}
	if err := write("canvas.csv", canvas); err != nil {
		return nil, err
	}
	if err := write("moodle.csv", moodle); err != nil {
		return nil, err
	}
	return warnings, nil
}

// feedbackSummary is a line of feedback for the LMS: the points of each
// question and the penalty.
func feedbackSummary(r *Result) string {
	var parts []string
	for _, q := range r.Questions {
		parts = append(parts, fmt.Sprintf("%s %s/%s", q.ID, pts(q.Points), pts(q.Max)))
	}
	s := strings.Join(parts, "; ")
	if r.Late != nil && r.Late.Penalty > 0 {
		s += fmt.Sprintf("; late %s: −%g%%", r.Late.LateBy, round2(r.Late.Penalty*100))
	}
	if r.Status != StatusOK {
		s += "; " + r.Status
	}
	return s
}
