package grade

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/klcourse/klcourse/internal/safefile"
)

// lmsName matches the flat downloads of Canvas and Moodle:
// <student>[_LATE]_<id>[_<id>]_NAME.
var lmsName = regexp.MustCompile(`^(.+?)(?:_LATE)?_(\d+)_(?:\d+_)?(.+)$`)

// Discover lists the submissions under paths: files, or folders in nbgrader's
// layout (submitted/<student>/<assignment>/NAME.ipynb) or a flat folder of LMS
// downloads (<student>_<id>_NAME.ipynb). Every regular file counts (a
// submission that is not a notebook is graded as such), except hidden files
// and the folder skip (the output).
func Discover(paths []string, skip string) ([]Submission, error) {
	var subs []Submission
	seen := map[string]int{}
	addFile := func(path, rel string) {
		parts := strings.Split(filepath.ToSlash(rel), "/")
		var student, lmsID string
		switch {
		case len(parts) >= 3:
			student = parts[len(parts)-3] // <student>/<assignment>/NAME.ipynb
		case len(parts) == 2:
			student = parts[0] // <student>/NAME.ipynb
		default:
			base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			if m := lmsName.FindStringSubmatch(base); m != nil {
				student, lmsID = m[1], m[2]
			} else {
				student = base
			}
		}
		student = safeName(student)
		seen[student]++
		if n := seen[student]; n > 1 {
			student = fmt.Sprintf("%s-%d", student, n)
		}
		at, source, lmsLate := submissionTime(path)
		subs = append(subs, Submission{Student: student, Path: path, Time: at, TimeSource: source, LMSLate: lmsLate, LMSID: lmsID})
	}
	absSkip, _ := filepath.Abs(skip)
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("submission %s: %v", p, err)
		}
		if !info.IsDir() {
			rel := filepath.Base(p)
			// A file named inside nbgrader's layout keeps its student.
			if parts := strings.Split(filepath.ToSlash(p), "/"); len(parts) >= 4 && parts[len(parts)-4] == "submitted" {
				rel = strings.Join(parts[len(parts)-3:], "/")
			}
			addFile(p, rel)
			continue
		}
		var files []string
		err = filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if abs, _ := filepath.Abs(path); absSkip != "" && abs == absSkip {
				return filepath.SkipDir
			}
			name := info.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if info.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			// nbgrader's submitted/STUDENT/ASSIGNMENT/ also holds the
			// submission's timestamp.txt (klcourse lab collect writes it).
			if info.Mode().IsRegular() && name != "timestamp.txt" {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			rel, _ := filepath.Rel(p, f)
			addFile(f, rel)
		}
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("no submissions found in %s", strings.Join(paths, ", "))
	}
	return subs, nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "._")
	if s == "" {
		s = "unnamed"
	}
	return s
}

// Batch grades submissions with jobs workers, writing each result to
// outDir/results/STUDENT.json as soon as it is known, and skipping those
// whose result is already there for the same file and solution (unless
// force). progress, when not nil, gets a line per submission.
func Batch(ctx context.Context, spec *Spec, ref *Reference, subs []Submission, opts Options, jobs int, outDir string, force bool, progress io.Writer) ([]*Result, error) {
	resultsDir := filepath.Join(outDir, "results")
	if err := os.MkdirAll(resultsDir, 0o700); err != nil {
		return nil, err
	}
	results := make([]*Result, len(subs))
	var todo []int
	for i, s := range subs {
		if !force {
			if old := loadResult(filepath.Join(resultsDir, s.Student+".json")); old != nil && old.Solution == spec.SHA256 &&
				old.Mode == modeOf(opts) && old.File == s.Path && fileSHA(s.Path) == old.SHA256 {
				if s.stamp(old); old.SubmittedAt != "" {
					data, _ := json.MarshalIndent(old, "", "  ")
					if err := safefile.WriteBytes(filepath.Join(resultsDir, s.Student+".json"), append(data, '\n')); err != nil {
						return nil, err
					}
				}
				results[i] = old
				if progress != nil {
					fmt.Fprintf(progress, "  %-24s %6.2f / %-6.2f %s (kept from an earlier run)\n", s.Student, old.Total, old.Max, old.Status)
				}
				continue
			}
		}
		todo = append(todo, i)
	}
	cache, err := newBuildCache()
	if err != nil {
		return nil, err
	}
	defer cache.remove()
	opts.cache = cache
	var mu sync.Mutex
	var firstErr error
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(jobs, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if ctx.Err() != nil {
					continue
				}
				r := Grade(ctx, spec, ref, subs[i], opts)
				if ctx.Err() != nil {
					continue // Interrupted: not a result; graded again on resume.
				}
				data, _ := json.MarshalIndent(r, "", "  ")
				err := safefile.WriteBytes(filepath.Join(resultsDir, r.Student+".json"), append(data, '\n'))
				mu.Lock()
				results[i] = r
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if progress != nil {
					fmt.Fprintf(progress, "  %-24s %6.2f / %-6.2f %s (%.0fs)\n", r.Student, r.Total, r.Max, r.Status, r.Seconds)
				}
				mu.Unlock()
			}
		}()
	}
	for _, i := range todo {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted: the finished submissions are saved in %s; run the same command again to grade the rest", resultsDir)
	}
	return results, nil
}

func loadResult(path string) *Result {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r Result
	if json.Unmarshal(data, &r) != nil {
		return nil
	}
	return &r
}

func fileSHA(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return hash0(data)
}

// OutputOptions say how results become grades.
type OutputOptions struct {
	// Late is the deadline and its penalty; nil when there is none.
	Late *LatePolicy
	// Roster is the class list (may be empty).
	Roster []RosterEntry
	// Root is the course's root: the similarity report compares the
	// answers with the functions of its pkg/ that the questions forbid.
	Root string
}

// LoadResults reads every result file in outDir/results graded against this
// solution, by student.
func LoadResults(spec *Spec, outDir string) []*Result {
	files, _ := filepath.Glob(filepath.Join(outDir, "results", "*.json"))
	var all []*Result
	for _, f := range files {
		if r := loadResult(f); r != nil && r.Solution == spec.SHA256 {
			all = append(all, r)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Student < all[j].Student })
	return all
}

// finish turns a graded result into a grade: its total from its questions,
// less the late penalty.
func finish(r *Result, oo OutputOptions, marks *Marks) {
	if marks != nil {
		applyMarks(r, marks)
	}
	r.Total = 0
	for _, q := range r.Questions {
		r.Total += q.Points
	}
	r.Total = round2(r.Total)
	r.Late = nil
	oo.Late.Apply(r)
}

// pts formats points with two decimals.
func pts(x float64) string { return fmt.Sprintf("%.2f", x) }

// WriteOutputs writes grades.csv, grades.json and feedback/STUDENT.html for
// every result file in outDir/results graded against this solution.
// With a roster it also lists the roster's students who submitted nothing,
// and writes canvas.csv and moodle.csv for the LMS; it returns warnings about
// submissions the roster does not match.
func WriteOutputs(spec *Spec, outDir string, oo OutputOptions) ([]*Result, []string, error) {
	all := LoadResults(spec, outDir)
	marks, err := ReadMarks(outDir)
	if err != nil {
		return nil, nil, err
	}
	if err := writeWrittenInfo(spec, outDir); err != nil {
		return nil, nil, err
	}
	for _, r := range all {
		finish(r, oo, marks)
	}
	warnings, err := writeExports(spec, outDir, oo.Roster, all)
	if err != nil {
		return nil, nil, err
	}
	if _, err := writeSimilarity(spec, all, oo.Root, outDir); err != nil {
		return nil, nil, err
	}
	data, _ := json.MarshalIndent(map[string]any{"assignment": spec.Name, "solution_sha256": spec.SHA256, "submissions": all}, "", "  ")
	if err := safefile.WriteBytes(filepath.Join(outDir, "grades.json"), append(data, '\n')); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(outDir, "feedback"), 0o700); err != nil {
		return nil, nil, err
	}
	for _, r := range all {
		var page bytes.Buffer
		if err := feedbackPage.Execute(&page, map[string]any{"A": spec.Name, "R": r}); err != nil {
			return nil, nil, err
		}
		if err := safefile.WriteBytes(filepath.Join(outDir, "feedback", r.Student+".html"), page.Bytes()); err != nil {
			return nil, nil, err
		}
	}
	return all, warnings, nil
}

var feedbackPage = template.Must(template.New("feedback").Funcs(template.FuncMap{
	"pts": func(x float64) string {
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", x), "0"), ".0")
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.A}}: feedback for {{.R.Student}}</title>
<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.4}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
.pass{color:#070}.fail{color:#a00}pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap}</style></head><body>
<h1>{{.A}}</h1>
<p><b>{{.R.Student}}</b> — {{pts .R.Total}} of {{pts .R.Max}} points. Status: {{.R.Status}}.</p>
{{with .R.Late}}<p>Deadline {{.Due}}{{if .Extended}} (your extension){{end}}: {{.Note}}.{{if .Penalty}} Points before the penalty: {{pts .Before}}.{{end}}</p>
{{else}}{{with .R.SubmittedAt}}<p>Submitted {{.}} ({{$.R.TimeSource}}).</p>{{end}}{{end}}
{{with .R.Message}}<pre>{{.}}</pre>{{end}}
{{range .R.Questions}}<h2>{{.ID}}: {{pts .Points}} of {{pts .Max}}</h2>
{{with .Reason}}<p class="fail">{{.}}</p>{{end}}
{{if .Written}}<p>Your answer (marked by a person):</p><pre>{{.Answer}}</pre>{{with .Comment}}<p>Comment:</p><pre>{{.}}</pre>{{end}}{{else}}
<table><tr><th>test</th><th>kind</th><th>result</th><th>points</th></tr>
{{range .Tests}}<tr><td>{{.Check}} — {{.Case}}</td><td>{{if .Hidden}}hidden{{else}}self-check{{end}}</td>
<td>{{if .Passed}}<span class="pass">passed</span>{{else}}<span class="fail">failed</span>{{with .Detail}}: {{.}}{{end}}{{end}}</td><td>{{pts .Points}} / {{pts .Max}}</td></tr>
{{end}}</table>
{{with .Report}}<p>What the self-check said:</p><pre>{{.}}</pre>{{end}}{{end}}
{{end}}
{{with .R.Notes}}<h2>Notes</h2><ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><small>Hidden tests are named, not shown. Graded {{.R.GradedAt}}.</small></p>
</body></html>
`))

// Summary prints the distribution of each question's points and the
// submissions that did not run cleanly.
func Summary(w io.Writer, spec *Spec, all []*Result) {
	fmt.Fprintf(w, "\n%s: %d submission(s)\n", spec.Name, len(all))
	fmt.Fprintf(w, "%-16s %6s %6s %6s %6s %s\n", "question", "max", "mean", "full", "zero", "")
	for i, q := range spec.Questions {
		sum, full, zero := 0.0, 0, 0
		for _, r := range all {
			p := r.Questions[i].Points
			sum += p
			if p >= q.Points-1e-9 {
				full++
			}
			if p == 0 {
				zero++
			}
		}
		mean := 0.0
		if len(all) > 0 {
			mean = sum / float64(len(all))
		}
		fmt.Fprintf(w, "%-16s %6.2f %6.2f %6d %6d\n", q.ID, q.Points, mean, full, zero)
	}
	var bad []string
	for _, r := range all {
		if r.Status != StatusOK {
			bad = append(bad, fmt.Sprintf("  %s (%s): %s — %s", r.Student, r.File, r.Status, firstLines(r.Message, 2)))
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "\n%d submission(s) did not run cleanly:\n%s\n", len(bad), strings.Join(bad, "\n"))
	}
}
