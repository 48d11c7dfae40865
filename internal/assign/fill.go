package assign

import (
	"fmt"
	"strings"

	"github.com/klcourse/klcourse/internal/notebook"
)

// Answers returns the code of the solution's regions, in order: what a
// student who writes the reference answer puts in place of each TODO.
func Answers(sol *notebook.Notebook) []string {
	var answers []string
	for _, c := range sol.Cells {
		if c.Type != "code" {
			continue
		}
		lines := strings.Split(c.Source, "\n")
		for i := 0; i < len(lines); i++ {
			if !beginSolution.MatchString(lines[i]) {
				continue
			}
			var body []string
			for i++; i < len(lines) && !endSolution.MatchString(lines[i]); i++ {
				body = append(body, lines[i])
			}
			answers = append(answers, strings.Join(body, "\n"))
		}
	}
	return answers
}

// Fill puts answers into the exercise's TODOs, in order, as a student does:
// each TODO line and the stub line after it (when the solution had one) are
// replaced by the answer. stubs[i] reports whether TODO i has a stub line;
// the number of answers must match the number of TODOs.
func Fill(ex *notebook.Notebook, answers []string, stubs []bool) error {
	k := 0
	for _, c := range ex.Cells {
		if c.Type != "code" {
			continue
		}
		lines := strings.Split(c.Source, "\n")
		var out []string
		for i := 0; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) != Todo {
				out = append(out, lines[i])
				continue
			}
			if k >= len(answers) {
				return fmt.Errorf("the exercise has more than %d TODOs", len(answers))
			}
			out = append(out, answers[k])
			if stubs[k] {
				i++ // The stub line.
			}
			k++
		}
		c.Source = strings.Join(out, "\n")
	}
	if k != len(answers) {
		return fmt.Errorf("the exercise has %d TODOs for %d answers", k, len(answers))
	}
	return nil
}

// Stubs reports, for each solution region of sol in order, whether its BEGIN
// line names a stub.
func Stubs(sol *notebook.Notebook) []bool {
	var stubs []bool
	for _, c := range sol.Cells {
		if c.Type != "code" {
			continue
		}
		for _, line := range strings.Split(c.Source, "\n") {
			if m := beginSolution.FindStringSubmatch(line); m != nil {
				stubs = append(stubs, m[2] != "")
			}
		}
	}
	return stubs
}
