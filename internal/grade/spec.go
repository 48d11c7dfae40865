// Package grade grades students' exercise notebooks against the instructor's
// solution: `klcourse grade` and `klcourse validate`.
//
// # Marking a solution
//
// A solution notebook (solutions/NAME.ipynb) marks its questions in the
// metadata of its code cells, under the key "klcourse":
//
//   - The cell that holds a question's answer (its "// BEGIN SOLUTION"
//     region): {"question": "kl_loss", "points": 4, "forbid": ["klloss.ForwardKLFromLogits"]}.
//     "forbid" lists what the student's code must not use for this question
//     (the package's reference, the self-check's reference variables): a
//     qualified name "pkg.Name" (matched by the import path's last element or
//     the whole path) or a plain identifier. A student's cell that uses one
//     scores zero on the question, with the reason in the feedback. The
//     answer cell is the student's: everything else is the instructor's.
//   - Visible tests are the self-check cells (tagged "selfcheck") and hidden
//     tests cells tagged "hidden-tests" (klcourse assign drops them from the
//     exercise); both carry {"question": "kl_loss"}. A test cell calls
//     exercise.Check; every test case of every Check in a question's test
//     cells is worth the same share of the question's points.
//   - {"grade": "skip"} leaves a declaration cell out of the graded program.
//     Cells that start with "%%" (GoNB's main body: loading data, training,
//     plotting) are never run by the grader, only declarations and tests.
//
// # How a submission is graded
//
// The grader does not trust the submission's notebook beyond its answer
// cells. It builds one Go program from the solution's declaration cells, the
// submission's answer cells (matched by cell id) and the declarations of any
// cells the student added, and the solution's test cells (visible and hidden)
// as functions; a student's declaration that redefines a name of the
// instructor's cells is dropped and reported. Test cells whose submitted
// version is edited, deleted or moved are reported; the instructor's version
// runs regardless. The program is built once and run once per test cell, in
// its own process group with a timeout and a memory limit, in a working
// directory of its own, and is killed with its children when the test ends.
// Each exercise.Check in it writes the student's evaluations of every case
// through a pipe named in the environment, with a per-run secret; the grader
// compares them with the evaluations of the solution's answers, recorded the
// same way. A compile error in one answer cell replaces that cell by the
// exercise's stub, so the other questions are still graded.
package grade

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/notebook"
)

// Tags of test cells.
const (
	VisibleTag = "selfcheck"
	HiddenTag  = "hidden-tests"
)

// Question is one graded question of a solution.
type Question struct {
	ID     string
	Points float64
	// Cell is the id of the answer cell.
	Cell   string
	Forbid []string
	// Written questions: a Markdown answer marked by a person.
	Written bool
	Scheme  string // The mark scheme (metadata.klcourse.scheme).
	Prompt  string // The cell as students get it.
	Model   string // The solution's answer.
}

// Cell is a code cell of the solution, classified.
type Cell struct {
	ID       string
	Source   string // The solution's source.
	Stub     string // The exercise's source (answer cells: the stub; test cells: what the student sees).
	Question string // Answer and test cells: the question.
	Kind     string // "answer", "visible", "hidden", "locked", "skip".
}

// Spec is what grading needs from a solution notebook.
type Spec struct {
	Path string
	// Name is the assignment's name: the solution's file name without .ipynb.
	Name      string
	SHA256    string
	Questions []Question
	// Written are the questions marked by a person.
	Written []Question
	Cells   []Cell // Code cells in order.
}

// Question returns the question with the given id, or nil.
func (s *Spec) Question(id string) *Question {
	for i := range s.Questions {
		if s.Questions[i].ID == id {
			return &s.Questions[i]
		}
	}
	return nil
}

// AllQuestions returns the graded questions, code and written, in the
// order of the results.
func (s *Spec) AllQuestions() []Question { return append(slices.Clip(s.Questions), s.Written...) }

// MaxPoints is the sum of the questions' points.
func (s *Spec) MaxPoints() float64 {
	total := 0.0
	for _, q := range s.AllQuestions() {
		total += q.Points
	}
	return total
}

type cellMeta struct {
	Question string   `json:"question"`
	Points   *float64 `json:"points"`
	Forbid   []string `json:"forbid"`
	Grade    string   `json:"grade"`
	Scheme   string   `json:"scheme"`
}

// LoadSpec reads a solution notebook and its questions.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sol, err := notebook.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	spec := &Spec{Path: path, Name: strings.TrimSuffix(filepath.Base(path), ".ipynb"), SHA256: hex.EncodeToString(sum[:])}
	// The exercise as students get it: stubs in place of the answers.
	exNB, err := notebook.Parse(data)
	if err != nil {
		return nil, err
	}
	ex, err := assign.Generate(exNB, path)
	if err != nil {
		return nil, err
	}
	exercise := map[string]string{}
	for _, c := range ex.Cells {
		exercise[c.ID()] = c.Source
	}
	seen := map[string]bool{}
	for i, c := range sol.Cells {
		if c.Type == "markdown" {
			q, err := writtenQuestion(path, i, c, exercise)
			if err != nil {
				return nil, err
			}
			if q != nil {
				if seen[q.ID] {
					return nil, fmt.Errorf("%s, cell %d: question %q has two answer cells", path, i+1, q.ID)
				}
				seen[q.ID] = true
				spec.Written = append(spec.Written, *q)
			}
			continue
		}
		if c.Type != "code" {
			continue
		}
		id := c.ID()
		if id == "" {
			return nil, fmt.Errorf("%s: code cell %d has no id: grading matches cells by id (nbformat ≥ 4.5; open and save the notebook in Jupyter)", path, i+1)
		}
		var meta cellMeta
		if raw, ok := c.Metadata()["klcourse"]; ok {
			b, _ := json.Marshal(raw)
			if err := json.Unmarshal(b, &meta); err != nil {
				return nil, fmt.Errorf("%s, cell %d: metadata.klcourse: %v", path, i+1, err)
			}
		}
		cell := Cell{ID: id, Source: c.Source, Stub: exercise[id], Question: meta.Question, Kind: "locked"}
		tags := c.Tags()
		switch {
		case slices.Contains(tags, HiddenTag):
			cell.Kind = "hidden"
		case slices.Contains(tags, VisibleTag):
			cell.Kind = "visible"
		case meta.Points != nil:
			cell.Kind = "answer"
			if meta.Question == "" {
				return nil, fmt.Errorf("%s, cell %d: metadata.klcourse has points but no question id", path, i+1)
			}
			if seen[meta.Question] {
				return nil, fmt.Errorf("%s, cell %d: question %q has two answer cells", path, i+1, meta.Question)
			}
			if *meta.Points <= 0 {
				return nil, fmt.Errorf("%s, cell %d: question %q: points must be positive, not %v", path, i+1, meta.Question, *meta.Points)
			}
			seen[meta.Question] = true
			spec.Questions = append(spec.Questions, Question{ID: meta.Question, Points: *meta.Points, Cell: id, Forbid: meta.Forbid})
		case meta.Grade == "skip":
			cell.Kind = "skip"
		case slices.Contains(tags, assign.HiddenTag):
			cell.Kind = "skip" // Instructor-only cells (notes, extra computations).
		}
		if (cell.Kind == "visible" || cell.Kind == "hidden") && meta.Question == "" {
			return nil, fmt.Errorf("%s, cell %d: a test cell needs metadata.klcourse.question, the question it tests", path, i+1)
		}
		spec.Cells = append(spec.Cells, cell)
	}
	if len(spec.Questions)+len(spec.Written) == 0 {
		return nil, fmt.Errorf("%s has no graded question: mark each answer cell with metadata {\"klcourse\": {\"question\": ID, \"points\": N}}", path)
	}
	for _, c := range spec.Cells {
		if (c.Kind == "visible" || c.Kind == "hidden") && (!seen[c.Question] || spec.Question(c.Question) == nil) {
			return nil, fmt.Errorf("%s: test cell %s tests question %q, which has no answer cell", path, c.ID, c.Question)
		}
	}
	for _, q := range spec.Questions {
		tested := false
		for _, c := range spec.Cells {
			tested = tested || ((c.Kind == "visible" || c.Kind == "hidden") && c.Question == q.ID)
		}
		if !tested {
			return nil, fmt.Errorf("%s: question %q has no test cell (tag selfcheck or hidden-tests, with metadata.klcourse.question)", path, q.ID)
		}
	}
	return spec, nil
}

// writtenQuestion reads a Markdown cell marked as a written question:
// metadata {"klcourse": {"question": ID, "points": N, "scheme": "…"}} on a
// cell whose answer is a solution region (<!-- BEGIN SOLUTION -->). It
// returns nil for other Markdown cells.
func writtenQuestion(path string, i int, c *notebook.Cell, exercise map[string]string) (*Question, error) {
	raw, ok := c.Metadata()["klcourse"]
	if !ok {
		return nil, nil
	}
	var meta cellMeta
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("%s, cell %d: metadata.klcourse: %v", path, i+1, err)
	}
	if meta.Points == nil {
		return nil, nil
	}
	where := fmt.Sprintf("%s, cell %d (Markdown)", path, i+1)
	switch {
	case meta.Question == "":
		return nil, fmt.Errorf("%s: metadata.klcourse has points but no question id", where)
	case *meta.Points <= 0:
		return nil, fmt.Errorf("%s: question %q: points must be positive, not %v", where, meta.Question, *meta.Points)
	case strings.TrimSpace(meta.Scheme) == "":
		return nil, fmt.Errorf("%s: written question %q has no mark scheme (metadata.klcourse.scheme)", where, meta.Question)
	case c.ID() == "":
		return nil, fmt.Errorf("%s: written question %q has no cell id (nbformat ≥ 4.5)", where, meta.Question)
	}
	model := assign.MarkdownAnswers(c.Source)
	if len(model) != 1 {
		return nil, fmt.Errorf("%s: written question %q needs exactly one <!-- BEGIN SOLUTION --> region, not %d", where, meta.Question, len(model))
	}
	return &Question{ID: meta.Question, Points: *meta.Points, Cell: c.ID(), Written: true, Scheme: meta.Scheme,
		Prompt: exercise[c.ID()], Model: model[0]}, nil
}

// WrittenAnswer returns a student's answer in their version of a written
// question's cell: what stands where the exercise has its placeholder, or
// the whole cell when the text around it was edited; "" when it is still
// the placeholder.
func WrittenAnswer(q Question, cell string) string {
	before, after, ok := strings.Cut(q.Prompt, assign.Answer)
	answer := cell
	if ok && strings.HasPrefix(cell, before) && strings.HasSuffix(cell[len(before):], after) {
		answer = cell[len(before) : len(cell)-len(after)]
	}
	answer = strings.TrimSpace(answer)
	if answer == assign.Answer || answer == strings.TrimSpace(q.Prompt) {
		return ""
	}
	return answer
}
