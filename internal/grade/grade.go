package grade

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/verdict"
)

// Options configure grading.
type Options struct {
	Root        string        // The course module's root.
	Timeout     time.Duration // Per test cell (and per build).
	Total       time.Duration // Per submission, everything included.
	Memory      int64         // Bytes of address space per test process.
	Env         []string      // Added to the tests' environment (KLCOURSE_QUICK=1, GOMLX_BACKEND=go).
	VisibleOnly bool          // Validate: run the visible tests only.
	// Sandbox runs each test's program as the unprivileged account nobody,
	// without network and with private temporary folders (see
	// SandboxUser); it needs root. The data and the backend's library must
	// then be readable by every user, as in a lab.
	Sandbox bool

	cache *buildCache // Batch's: programs built once per batch.
}

// NotMarked is the reason of a written answer nobody has marked yet.
const NotMarked = "not marked yet"

// Submission statuses.
const (
	StatusOK           = "ok"
	StatusEmpty        = "empty file"
	StatusNotNotebook  = "not a notebook"
	StatusWrongAssign  = "another assignment"
	StatusCompileError = "compile error"
	StatusFailedToRun  = "failed to run"
)

// TestResult is one test case.
type TestResult struct {
	Check  string  `json:"check"`
	Case   string  `json:"case"`
	Hidden bool    `json:"hidden"`
	Passed bool    `json:"passed"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	// Detail says why it failed; for hidden tests it never shows inputs or values.
	Detail string `json:"detail,omitempty"`
}

// QuestionResult is one question's score.
type QuestionResult struct {
	ID     string  `json:"id"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	Reason string  `json:"reason,omitempty"` // Why points were withheld as a whole.
	// Written questions: the student's answer (text, never HTML) and the
	// marker's comment.
	Written bool         `json:"written,omitempty"`
	Answer  string       `json:"answer,omitempty"`
	Comment string       `json:"comment,omitempty"`
	Report  string       `json:"report,omitempty"` // The visible self-check's report (hints).
	Tests   []TestResult `json:"tests"`
}

// Result is a graded submission.
type Result struct {
	Student   string           `json:"student"`
	File      string           `json:"file"`
	SHA256    string           `json:"sha256"`
	Solution  string           `json:"solution_sha256"`
	Mode      string           `json:"mode"`
	Status    string           `json:"status"`
	Message   string           `json:"message,omitempty"`
	Questions []QuestionResult `json:"questions"`
	Notes     []string         `json:"notes,omitempty"`
	Total     float64          `json:"total"`
	Max       float64          `json:"max"`
	Seconds   float64          `json:"seconds"`
	GradedAt  string           `json:"graded_at"`
	// SubmittedAt is when the submission was handed in (RFC 3339), and
	// TimeSource what says so; LMSLate that the LMS marked it late.
	SubmittedAt string    `json:"submitted_at,omitempty"`
	TimeSource  string    `json:"time_source,omitempty"`
	LMSLate     bool      `json:"lms_late,omitempty"`
	LMSID       string    `json:"lms_id,omitempty"`
	Late        *Lateness `json:"late,omitempty"` // Set by the outputs under a deadline.
	ProgramSize int       `json:"-"`
}

// Reference is the solution's own evaluation of every test case.
type Reference struct {
	Solution string                    `json:"solution_sha256"`
	Records  map[string]verdict.Record `json:"records"` // By Record.Key.
	Order    map[string][]string       `json:"order"`   // Test cell id → keys in order.
}

// BuildReference runs the solution's tests on its own answers.
func BuildReference(ctx context.Context, spec *Spec, opts Options) (*Reference, error) {
	sub := &Submitted{Cells: map[string]string{}}
	for _, c := range spec.Cells {
		if c.Kind == "answer" {
			sub.Cells[c.ID] = c.Source
			sub.Order = append(sub.Order, c.ID)
		}
	}
	p, err := buildProgram(spec, sub, nil, nil, true)
	if err != nil {
		return nil, err
	}
	ws, err := newWorkspace(opts.Root)
	if err != nil {
		return nil, err
	}
	defer ws.remove()
	bctx, cancel := context.WithTimeout(ctx, opts.Total)
	defer cancel()
	bin, msgs, err := ws.build(bctx, p)
	if err != nil {
		return nil, fmt.Errorf("building the solution's tests: %w", err)
	}
	if msgs != "" {
		return nil, fmt.Errorf("the solution's tests do not compile:\n%s", msgs)
	}
	v, err := ws.resolveViolations(bctx, spec, p)
	if err != nil {
		return nil, err
	}
	for q, names := range v {
		return nil, fmt.Errorf("the solution's own answer to %s reaches %s, which the question forbids: fix the forbid list or the answer", q, strings.Join(names, ", "))
	}
	ref := &Reference{Solution: spec.SHA256, Records: map[string]verdict.Record{}, Order: map[string][]string{}}
	for _, t := range p.Tests {
		run, err := ws.runTest(ctx, bin, t.Index, runLimits{Timeout: opts.Timeout, Memory: opts.Memory, Env: opts.Env, Sandbox: opts.Sandbox})
		if err != nil {
			return nil, err
		}
		if run.Ended != "" {
			return nil, fmt.Errorf("the solution's test cell %s fails: %s\n%s", t.CellID, run.Ended, firstLines(run.Output, 20))
		}
		n := 0
		for _, r := range run.Records {
			if r.Status == "report" {
				continue
			}
			if r.Status != verdict.Evaluated {
				return nil, fmt.Errorf("the solution's test cell %s: case %q of %q is %s %s", t.CellID, r.Case, r.Check, r.Status, r.Error)
			}
			k := t.CellID + "\x00" + r.Key()
			if _, dup := ref.Records[k]; dup {
				return nil, fmt.Errorf("the solution's test cell %s has two cases named %q in check %q: name them apart", t.CellID, r.Case, r.Check)
			}
			ref.Records[k] = r
			ref.Order[t.CellID] = append(ref.Order[t.CellID], k)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("the solution's test cell %s calls no exercise.Check", t.CellID)
		}
	}
	return ref, nil
}

// Submission is one file to grade.
type Submission struct {
	Student string
	Path    string
	// When it was handed in, what says so, and whether the LMS marked it
	// late (Discover fills them in).
	Time       time.Time
	TimeSource string
	LMSLate    bool
	// LMSID is the user id an LMS download's file name carries.
	LMSID string
}

// stamp records the submission's time in r.
func (s Submission) stamp(r *Result) {
	r.SubmittedAt, r.TimeSource, r.LMSLate, r.LMSID = "", s.TimeSource, s.LMSLate, s.LMSID
	if !s.Time.IsZero() {
		r.SubmittedAt = s.Time.UTC().Format(time.RFC3339Nano)
	}
}

var errWrongAssignment = errors.New("wrong assignment")

// readSubmission parses a submitted file.
func readSubmission(spec *Spec, data []byte) (*Submitted, string, string) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, StatusEmpty, "the file is empty"
	}
	nb, err := notebook.Parse(data)
	if err != nil {
		return nil, StatusNotNotebook, err.Error()
	}
	sub := &Submitted{Cells: map[string]string{}, Markdown: map[string]string{}}
	for _, c := range nb.Cells {
		if c.Type == "markdown" && c.ID() != "" {
			sub.Markdown[c.ID()] = c.Source
		}
		if c.Type != "code" {
			continue
		}
		id := c.ID()
		if id == "" {
			id = fmt.Sprintf("noid%d", len(sub.Order))
		}
		if _, dup := sub.Cells[id]; dup {
			id = fmt.Sprintf("%s-dup%d", id, len(sub.Order))
		}
		sub.Cells[id] = c.Source
		sub.Order = append(sub.Order, id)
	}
	// A notebook of this assignment has at least one of its answer cells, or
	// says it was generated from the solution.
	ours := false
	for _, q := range spec.Questions {
		if _, ok := sub.Cells[q.Cell]; ok {
			ours = true
		}
	}
	if md, ok := nb.Metadata()["klcourse"].(map[string]any); ok {
		if from, _ := md["generated_from"].(string); from != "" {
			ours = strings.TrimSuffix(pathBase(from), ".ipynb") == spec.Name
		}
	}
	if !ours {
		return nil, StatusWrongAssign, fmt.Sprintf("this notebook is not the exercise %s (none of its answer cells is there)", spec.Name)
	}
	return sub, "", ""
}

func pathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

var compilePos = regexp.MustCompile(`(?m)^(?:\./)?((?:cell|tests)-([^:\s]+)\.go):(\d+)(?::\d+)?: (.*)$`)

// Grade grades one submission.
func Grade(ctx context.Context, spec *Spec, ref *Reference, s Submission, opts Options) *Result {
	start := time.Now()
	res := &Result{Student: s.Student, File: s.Path, Solution: spec.SHA256, Max: spec.MaxPoints(), Mode: modeOf(opts)}
	s.stamp(res)
	defer func() {
		res.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
		res.GradedAt = time.Now().UTC().Format(time.RFC3339)
		res.Total = 0
		for _, q := range res.Questions {
			res.Total += q.Points
		}
		res.Total = round2(res.Total)
	}()
	for _, q := range spec.Questions {
		res.Questions = append(res.Questions, QuestionResult{ID: q.ID, Max: q.Points})
	}
	for _, q := range spec.Written {
		res.Questions = append(res.Questions, QuestionResult{ID: q.ID, Max: q.Points, Written: true})
	}
	zero := func(status, msg string) *Result {
		res.Status, res.Message = status, msg
		for i := range res.Questions {
			if res.Questions[i].Reason == "" {
				res.Questions[i].Reason = msg
			}
		}
		return res
	}
	data, err := os.ReadFile(s.Path)
	if err != nil {
		return zero(StatusFailedToRun, err.Error())
	}
	sum := sha256.Sum256(data)
	res.SHA256 = hex.EncodeToString(sum[:])
	sub, status, msg := readSubmission(spec, data)
	if sub == nil {
		return zero(status, msg)
	}
	res.Notes = append(res.Notes, cellChanges(spec, sub)...)
	for _, q := range spec.Written {
		qr := questionResult(res, q.ID)
		cell, ok := sub.Markdown[q.Cell]
		if ok {
			qr.Answer = WrittenAnswer(q, cell)
		}
		if qr.Answer == "" {
			qr.Reason = "no answer"
		} else {
			qr.Reason = NotMarked
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Total)
	defer cancel()

	// Build; an answer cell that does not compile is replaced by its stub
	// and costs its question, and the rest is built again.
	stubbed, dropped := map[string]bool{}, map[string]bool{}
	broken := map[string]string{} // question → compiler messages
	ws, err := newWorkspace(opts.Root)
	if err != nil {
		return zero(StatusFailedToRun, err.Error())
	}
	ws.cache = opts.cache
	defer ws.remove()
	var p *program
	var bin string
	for attempt := 0; ; attempt++ {
		if attempt > len(spec.Questions)+len(sub.Order)+1 {
			return zero(StatusCompileError, "the notebook does not compile")
		}
		var err error
		p, err = buildProgram(spec, sub, stubbed, dropped, !opts.VisibleOnly)
		var ce *cellError
		if errors.As(err, &ce) {
			blame(spec, ce.Cell, ce.Error(), stubbed, dropped, broken, res)
			continue
		}
		if err != nil {
			return zero(StatusFailedToRun, err.Error())
		}
		var msgs string
		bin, msgs, err = ws.build(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return zero(StatusFailedToRun, "building took longer than the time allowed per submission")
			}
			return zero(StatusFailedToRun, err.Error())
		}
		if msgs == "" {
			break
		}
		progress := false
		for _, m := range compilePos.FindAllStringSubmatch(msgs, -1) {
			file, id := m[1], m[2]
			text := fmt.Sprintf("%s:%s: %s", file, m[3], m[4])
			if strings.HasPrefix(file, "tests-") {
				// The tests do not compile against the student's code: the
				// question's answer has another signature, or is missing.
				for _, c := range spec.Cells {
					if c.ID == id {
						if q := spec.Question(c.Question); q != nil && !stubbed[q.Cell] {
							stubbed[q.Cell] = true
							broken[q.ID] = "the tests of this question do not compile with your code (is a function missing, or does it have another signature?): " + m[4]
							progress = true
						}
					}
				}
				continue
			}
			if !stubbed[id] && !dropped[id] {
				blame(spec, id, text, stubbed, dropped, broken, res)
				progress = true
			}
		}
		if !progress {
			return zero(StatusCompileError, "the notebook does not compile:\n"+studentMessages(msgs))
		}
	}
	for qid, msg := range broken {
		setReason(res, qid, "does not compile: "+msg)
	}
	if p.Violations, err = ws.resolveViolations(ctx, spec, p); err != nil {
		return zero(StatusFailedToRun, "the answer-key check failed: "+err.Error())
	}
	for qid, uses := range p.Violations {
		setReason(res, qid, fmt.Sprintf("your answer reaches %s, the reference this question asks you to write yourself (directly or through what it calls): no points", strings.Join(uses, ", ")))
	}
	res.Notes = append(res.Notes, p.Notes...)

	// Run the tests, one process per test cell.
	var failures []string
	for _, t := range p.Tests {
		q := spec.Question(t.Question)
		qr := questionResult(res, t.Question)
		var run *testRun
		if !stubbed[q.Cell] {
			var err error
			run, err = ws.runTest(ctx, bin, t.Index, runLimits{Timeout: opts.Timeout, Memory: opts.Memory, Env: opts.Env, Sandbox: opts.Sandbox})
			if err != nil {
				run = &testRun{Ended: "the time allowed per submission ran out before this test"}
				if errors.Is(err, context.Canceled) {
					return zero(StatusFailedToRun, "grading was interrupted")
				}
			}
		}
		got := map[string]verdict.Record{}
		if run != nil {
			for _, r := range run.Records {
				if r.Status == "report" {
					if !t.Hidden {
						qr.Report = strings.TrimSpace(qr.Report + "\n" + r.Report)
					}
					continue
				}
				k := t.CellID + "\x00" + r.Key()
				if _, dup := got[k]; !dup {
					got[k] = r
				}
			}
			if run.Ended == "" {
				for _, k := range ref.Order[t.CellID] {
					if _, ok := got[k]; !ok {
						run.Ended = "it exited with status 0 before evaluating every case (os.Exit?)"
						break
					}
				}
			}
			if run.Ended != "" {
				failures = append(failures, fmt.Sprintf("tests of %s: %s", t.Question, run.Ended))
			}
		}
		for _, k := range ref.Order[t.CellID] {
			want := ref.Records[k]
			tr := TestResult{Check: want.Check, Case: want.Case, Hidden: t.Hidden}
			r, ok := got[k]
			switch {
			case stubbed[q.Cell]:
				tr.Detail = "not run: " + broken[q.ID]
			case !ok && run.Ended != "":
				tr.Detail = "not observed: the test's program ended before this case was evaluated — " + run.Ended
			case !ok:
				tr.Detail = "not observed: this case was never evaluated"
			case r.Status == verdict.NotDone:
				tr.Detail = "not done: the TODO stub is still in place"
			case r.Status == verdict.Error:
				tr.Detail = "your function does not run: " + firstLines(r.Error, 3)
			default:
				diff := verdict.Compare(r.Shape, r.Value, verdict.Plain(r.Gradients), want.Shape, want.Value, verdict.Plain(want.Gradients))
				tr.Passed = diff == ""
				if !tr.Passed {
					tr.Detail = diff
					if t.Hidden {
						tr.Detail = hiddenDetail(diff)
					}
				}
			}
			qr.Tests = append(qr.Tests, tr)
		}
	}
	// Points: each test case of a question (visible or hidden) is worth the
	// same share.
	cases := map[string]int{}
	for _, c := range spec.Cells {
		if c.Kind == "visible" || c.Kind == "hidden" {
			cases[c.Question] += len(ref.Order[c.ID])
		}
	}
	for i := range res.Questions {
		qr := &res.Questions[i]
		n := max(cases[qr.ID], 1)
		for j := range qr.Tests {
			qr.Tests[j].Max = round2(qr.Max / float64(n))
			if qr.Tests[j].Passed && qr.Reason == "" {
				qr.Tests[j].Points = qr.Max / float64(n)
				qr.Points += qr.Max / float64(n)
			}
			qr.Tests[j].Points = round2(qr.Tests[j].Points)
		}
		qr.Points = round2(qr.Points)
	}
	res.Status = StatusOK
	if len(broken) > 0 {
		res.Status = StatusCompileError
		var parts []string
		for q, m := range broken {
			parts = append(parts, q+": "+m)
		}
		sort.Strings(parts)
		res.Message = strings.Join(parts, "\n")
	}
	if len(failures) > 0 {
		if res.Status == StatusOK {
			res.Status = StatusFailedToRun
		}
		res.Message = strings.TrimSpace(res.Message + "\n" + strings.Join(failures, "\n"))
	}
	return res
}

func modeOf(opts Options) string {
	if opts.VisibleOnly {
		return "visible tests only"
	}
	return "all tests"
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func questionResult(res *Result, id string) *QuestionResult {
	for i := range res.Questions {
		if res.Questions[i].ID == id {
			return &res.Questions[i]
		}
	}
	return nil
}

func setReason(res *Result, qid, reason string) {
	if qr := questionResult(res, qid); qr != nil && qr.Reason == "" {
		qr.Reason = reason
	}
}

// blame takes a student's cell that does not compile out of the program: an
// answer cell becomes its stub (its question scores zero), an added cell is
// dropped.
func blame(spec *Spec, id, msg string, stubbed, dropped map[string]bool, broken map[string]string, res *Result) {
	for _, q := range spec.Questions {
		if q.Cell == id {
			stubbed[id] = true
			broken[q.ID] = msg
			return
		}
	}
	dropped[id] = true
	res.Notes = append(res.Notes, fmt.Sprintf("cell %s does not compile and was left out: %s", id, msg))
}

// studentMessages keeps the compiler messages about the student's cells.
func studentMessages(msgs string) string {
	var out []string
	for _, line := range strings.Split(msgs, "\n") {
		if strings.HasPrefix(line, "cell-") || strings.HasPrefix(line, "./cell-") {
			out = append(out, strings.TrimPrefix(line, "./"))
		}
	}
	if len(out) == 0 {
		return "the exercise's own code does not compile with this notebook"
	}
	return firstLines(strings.Join(out, "\n"), 10)
}

// hiddenDetail says why a hidden test failed without its inputs or values.
func hiddenDetail(diff string) string {
	switch {
	case strings.HasPrefix(diff, "your result has shape"):
		return "wrong shape of the result"
	case strings.HasPrefix(diff, "value"):
		return "wrong value"
	default:
		return "right value, wrong gradient"
	}
}

// cellChanges reports the test cells the submission edited, deleted or
// moved (the instructor's versions are graded regardless).
func cellChanges(spec *Spec, sub *Submitted) []string {
	var notes []string
	pos := map[string]int{}
	for i, id := range sub.Order {
		pos[id] = i
	}
	last := -1
	for _, c := range spec.Cells {
		if c.Kind == "hidden" || c.Kind == "skip" {
			continue
		}
		src, ok := sub.Cells[c.ID]
		what := map[string]string{"visible": "self-check cell", "answer": "answer cell", "locked": "cell"}[c.Kind]
		switch {
		case !ok && c.Kind == "answer":
			notes = append(notes, fmt.Sprintf("the answer cell %s is missing: its question gets no points", c.ID))
		case !ok && c.Kind == "visible":
			notes = append(notes, fmt.Sprintf("the self-check cell %s was deleted: the exercise's version was run", c.ID))
		case !ok:
		case c.Kind != "answer" && hash(src) != hash(c.Stub):
			notes = append(notes, fmt.Sprintf("the %s %s was edited: the exercise's version was run instead", what, c.ID))
		}
		if ok {
			if pos[c.ID] < last && c.Kind != "locked" {
				notes = append(notes, fmt.Sprintf("the %s %s was moved: the exercise's order was used", what, c.ID))
			}
			if pos[c.ID] > last {
				last = pos[c.ID]
			}
		}
	}
	return notes
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(s)))
	return hex.EncodeToString(sum[:])
}

func hash0(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
