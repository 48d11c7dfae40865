package grade

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klcourse/klcourse/internal/safefile"
)

// A person's marks of written answers live in DIR/marks.json, written by
// `klcourse grade serve` as the marker goes (each save replaces the file
// atomically, so a crash loses at most the mark being typed) and merged into
// grades.csv, grades.json and the feedback pages by the next `klcourse
// grade`. A mark belongs to the answer it was given for (its SHA-256): when a
// student's answer changes, the old mark is not applied and the answer shows
// as not marked.

// Mark is a marker's points and comment for one answer.
type Mark struct {
	Points  float64 `json:"points"`
	Comment string  `json:"comment,omitempty"`
	Answer  string  `json:"answer_sha256"`
	At      string  `json:"at"`
}

// Marks are the marks of every written question: question → student → mark.
type Marks struct {
	Assignment string                     `json:"assignment"`
	Marks      map[string]map[string]Mark `json:"marks"`
}

// WrittenFile is the file in the output folder that describes the written
// questions for `klcourse grade serve` (prompts, mark schemes, model
// answers: the instructor's eyes only).
const WrittenFile = "written.json"

// MarksFile holds the marks.
const MarksFile = "marks.json"

// WrittenInfo is what the marking page needs of a solution.
type WrittenInfo struct {
	Assignment string     `json:"assignment"`
	Solution   string     `json:"solution_sha256"`
	Questions  []Question `json:"questions"`
}

// writeWrittenInfo records the written questions in outDir.
func writeWrittenInfo(spec *Spec, outDir string) error {
	data, _ := json.MarshalIndent(WrittenInfo{Assignment: spec.Name, Solution: spec.SHA256, Questions: spec.Written}, "", "  ")
	return safefile.WriteBytes(filepath.Join(outDir, WrittenFile), append(data, '\n'))
}

// ReadWrittenInfo reads outDir's written.json.
func ReadWrittenInfo(outDir string) (*WrittenInfo, error) {
	data, err := os.ReadFile(filepath.Join(outDir, WrittenFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: run `klcourse grade --solution … --out %s …` first", outDir, WrittenFile, outDir)
	}
	if err != nil {
		return nil, err
	}
	var wi WrittenInfo
	if err := json.Unmarshal(data, &wi); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(outDir, WrittenFile), err)
	}
	return &wi, nil
}

// ReadMarks reads outDir's marks.json (empty marks when there is none).
func ReadMarks(outDir string) (*Marks, error) {
	m := &Marks{Marks: map[string]map[string]Mark{}}
	data, err := os.ReadFile(filepath.Join(outDir, MarksFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: %v (the marks are kept in it: repair it by hand, or move it away to start again)", filepath.Join(outDir, MarksFile), err)
	}
	if m.Marks == nil {
		m.Marks = map[string]map[string]Mark{}
	}
	return m, nil
}

// MarkStore saves marks as they come.
type MarkStore struct {
	mu    sync.Mutex
	dir   string
	marks *Marks
}

// OpenMarks opens the marks of outDir.
func OpenMarks(outDir, assignment string) (*MarkStore, error) {
	m, err := ReadMarks(outDir)
	if err != nil {
		return nil, err
	}
	m.Assignment = assignment
	return &MarkStore{dir: outDir, marks: m}, nil
}

// Get returns the mark of a student's answer to a question.
func (s *MarkStore) Get(question, student string) (Mark, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.marks.Marks[question][student]
	return m, ok
}

// Set records a mark and saves every mark (write to a temporary file, then
// rename).
func (s *MarkStore) Set(question, student string, m Mark) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.marks.Marks[question] == nil {
		s.marks.Marks[question] = map[string]Mark{}
	}
	old, had := s.marks.Marks[question][student]
	s.marks.Marks[question][student] = m
	data, _ := json.MarshalIndent(s.marks, "", "  ")
	if err := safefile.WriteBytes(filepath.Join(s.dir, MarksFile), append(data, '\n')); err != nil {
		if had {
			s.marks.Marks[question][student] = old
		} else {
			delete(s.marks.Marks[question], student)
		}
		return err
	}
	return nil
}

// NewMark checks points against a question's maximum and makes a mark of
// them for the answer.
func NewMark(q Question, points float64, comment, answer string) (Mark, error) {
	if math.IsNaN(points) || points < 0 || points > q.Points {
		return Mark{}, fmt.Errorf("points must lie between 0 and %g, not %v", q.Points, points)
	}
	if len(comment) > 20000 {
		return Mark{}, fmt.Errorf("the comment is longer than 20000 bytes")
	}
	return Mark{Points: points, Comment: comment, Answer: hash(answer), At: time.Now().UTC().Format(time.RFC3339)}, nil
}

// applyMarks puts the marks of written answers into a result.
func applyMarks(r *Result, marks *Marks) {
	for i := range r.Questions {
		qr := &r.Questions[i]
		if !qr.Written || qr.Answer == "" {
			continue
		}
		m, ok := marks.Marks[qr.ID][r.Student]
		switch {
		case !ok:
			qr.Reason = NotMarked
		case m.Answer != hash(qr.Answer):
			qr.Reason = "your answer changed after it was marked: " + NotMarked
		default:
			qr.Points, qr.Comment, qr.Reason = round2(math.Min(m.Points, qr.Max)), m.Comment, ""
		}
	}
}
