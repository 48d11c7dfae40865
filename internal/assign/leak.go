package assign

import (
	"fmt"
	"go/scanner"
	"go/token"
	"strings"

	"github.com/klcourse/klcourse/internal/notebook"
)

// AnswerCode returns the code of the solution regions of sol's code cells —
// the lines between "// BEGIN SOLUTION" and "// END SOLUTION", one string per
// region: the reference code that the exercise generated from sol must not
// show anywhere (in a self-check cell, in a hint, in printed text).
func AnswerCode(sol *notebook.Notebook) ([]string, error) {
	var answers []string
	for i, c := range sol.Cells {
		if c.Type != "code" {
			continue
		}
		lines := strings.Split(c.Source, "\n")
		for j := 0; j < len(lines); j++ {
			if !beginSolution.MatchString(lines[j]) {
				continue
			}
			end, err := findEnd(lines, j, endSolution, "// END SOLUTION")
			if err != nil {
				return nil, fmt.Errorf("cell %d: %w", i+1, err)
			}
			answers = append(answers, strings.Join(lines[j+1:end], "\n"))
			j = end
		}
	}
	return answers, nil
}

// Answers shorter than minAnswerTokens tokens are too generic to be told
// from other code ("return x"); longer ones are compared by runs of
// gramTokens tokens.
const (
	minAnswerTokens = 12
	gramTokens      = 8
)

// ShowsAnswer reports whether text (a cell's code, or printed output)
// contains the code of answer, up to the names of its local variables and
// its layout: at least half of the answer's runs of 8 tokens appear in
// text, with every identifier that is not part of a selector (graph.Add)
// counted as the same. A reference rewritten inside a self-check cell with
// other names (kin for kinetic) is caught; code that merely calls the same
// functions in another order is not.
func ShowsAnswer(answer, text string) bool {
	a := codeTokens(answer)
	if len(a) < minAnswerTokens {
		return false
	}
	grams := map[string]bool{}
	t := codeTokens(text)
	for i := 0; i+gramTokens <= len(t); i++ {
		grams[strings.Join(t[i:i+gramTokens], " ")] = true
	}
	found, total := 0, 0
	for i := 0; i+gramTokens <= len(a); i++ {
		total++
		if grams[strings.Join(a[i:i+gramTokens], " ")] {
			found++
		}
	}
	return 2*found >= total
}

// codeTokens splits src into Go tokens, without comments and semicolons,
// with local identifiers (not before or after a ".") written "ID".
func codeTokens(src string) []string {
	var s scanner.Scanner
	fs := token.NewFileSet()
	file := fs.AddFile("", fs.Base(), len(src))
	s.Init(file, []byte(src), func(token.Position, string) {}, 0)
	type tok struct {
		t   token.Token
		lit string
	}
	var raw []tok
	for {
		_, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		if t == token.SEMICOLON || t == token.COMMENT || t == token.ILLEGAL {
			continue
		}
		raw = append(raw, tok{t, lit})
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		switch {
		case r.t == token.IDENT:
			selector := (i > 0 && raw[i-1].t == token.PERIOD) || (i+1 < len(raw) && raw[i+1].t == token.PERIOD)
			if selector {
				out[i] = r.lit
			} else {
				out[i] = "ID"
			}
		case r.lit != "":
			out[i] = r.lit
		default:
			out[i] = r.t.String()
		}
	}
	return out
}
