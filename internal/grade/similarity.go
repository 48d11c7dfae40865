package grade

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/safefile"
)

// Similarity compares the answers of every pair of submissions, question by
// question, with winnowing fingerprints (Schleimer, Wilkerson & Aiken,
// "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003,
// the method of MOSS): each answer becomes a sequence of normalised tokens —
// for code, Go's tokens with every name the student chose replaced by one
// placeholder (selectors such as graph.Neg kept), literals' strings blanked,
// comments and layout gone; for written answers, lower-case words — whose
// k-grams are hashed, and the smallest hash of each window of w consecutive
// ones is kept. Fingerprints of the exercise's starter code (the stub, the
// question's text) are removed first. Two answers are flagged when the
// smaller shares at least SimilarShare of its fingerprints with the other
// (and at least SimilarMin of them). The solution's answers and the course's
// functions a question forbids (students can read pkg/) take part as if
// they were submissions, so a copied reference is flagged too. It flags; it
// never changes a score.

// Thresholds of the report.
const (
	SimilarShare = 0.6
	SimilarMin   = 6
	SimilarFile  = "similarity.json"
)

const (
	codeK, codeW = 8, 4 // k-gram and window of code tokens
	textK, textW = 5, 4 // and of words
)

// SimilarPair is a pair of flagged answers.
type SimilarPair struct {
	Question string  `json:"question"`
	A        string  `json:"a"`
	B        string  `json:"b"`
	Percent  float64 `json:"percent"` // Share of the smaller answer's fingerprints in the other.
	Shared   int     `json:"shared"`
	TextA    string  `json:"text_a"`
	TextB    string  `json:"text_b"`
	LinesA   []int   `json:"lines_a"` // 1-based lines that hold shared fingerprints.
	LinesB   []int   `json:"lines_b"`
}

// SimilarityReport is similarity.json.
type SimilarityReport struct {
	Assignment string        `json:"assignment"`
	Threshold  float64       `json:"threshold_percent"`
	MinShared  int           `json:"min_shared"`
	Compared   int           `json:"answers_compared"`
	Pairs      []SimilarPair `json:"pairs"`
}

// ReadSimilarity reads the report in outDir (nil when there is none).
func ReadSimilarity(outDir string) (*SimilarityReport, error) {
	data, err := os.ReadFile(filepath.Join(outDir, SimilarFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r SimilarityReport
	return &r, json.Unmarshal(data, &r)
}

// token is a normalised token and the line it is on.
type simToken struct {
	text string
	line int
}

// codeTokens normalises Go source: the names a student chooses (lower-case
// identifiers) become "v"; exported names (the library's: ReduceSum, Shape)
// stay, with the package qualifier dropped so that graph.ReduceSum and a
// dot-imported ReduceSum read alike; strings become "s"; comments and layout
// go.
func codeTokens(src string) []simToken {
	decls, body, _ := cleanCell(src)
	src = decls + "\n" + body
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), func(token.Position, string) {}, 0) // no comments
	type raw struct {
		tok  token.Token
		lit  string
		line int
	}
	var toks []raw
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // Layout.
		}
		toks = append(toks, raw{tok, lit, file.Line(pos)})
	}
	exported := func(name string) bool { return name != "" && unicode.IsUpper([]rune(name)[0]) }
	var out []simToken
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		text := t.tok.String()
		switch {
		case t.tok == token.IDENT && i+2 < len(toks) && toks[i+1].tok == token.PERIOD && toks[i+2].tok == token.IDENT && exported(toks[i+2].lit) && !exported(t.lit):
			i++ // A qualifier (package or receiver): keep the name after it.
			continue
		case t.tok == token.IDENT && exported(t.lit):
			text = t.lit
		case t.tok == token.IDENT:
			text = "v"
		case t.tok == token.STRING || t.tok == token.CHAR:
			text = "s"
		case t.tok.IsLiteral():
			text = t.lit
		}
		out = append(out, simToken{text, t.line})
	}
	return out
}

// textTokens normalises prose: lower-case words and numbers.
func textTokens(src string) []simToken {
	var out []simToken
	for i, line := range strings.Split(src, "\n") {
		for _, w := range strings.FieldsFunc(strings.ToLower(line), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			out = append(out, simToken{w, i + 1})
		}
	}
	return out
}

// fingerprints winnows the k-grams of toks: hash → line of the k-gram's
// first token.
func fingerprints(toks []simToken, k, w int) map[uint64]int {
	if len(toks) < k {
		if len(toks) == 0 {
			return nil
		}
		k = len(toks)
	}
	hashes := make([]uint64, len(toks)-k+1)
	for i := range hashes {
		h := fnv.New64a()
		for _, t := range toks[i : i+k] {
			h.Write([]byte(t.text))
			h.Write([]byte{0})
		}
		hashes[i] = h.Sum64()
	}
	out := map[uint64]int{}
	if len(hashes) <= w {
		for i, h := range hashes {
			out[h] = toks[i].line
		}
		return out
	}
	for start := 0; start+w <= len(hashes); start++ {
		best := start
		for i := start; i < start+w; i++ {
			if hashes[i] <= hashes[best] {
				best = i // The rightmost smallest.
			}
		}
		if _, ok := out[hashes[best]]; !ok {
			out[hashes[best]] = toks[best].line
		}
	}
	return out
}

// simDoc is one answer to compare.
type simDoc struct {
	who   string
	text  string
	print map[uint64]int
}

func makeDoc(who, text string, written bool, starter map[uint64]int) simDoc {
	var fp map[uint64]int
	if written {
		fp = fingerprints(textTokens(text), textK, textW)
	} else {
		fp = fingerprints(codeTokens(text), codeK, codeW)
	}
	for h := range starter {
		delete(fp, h)
	}
	return simDoc{who: who, text: text, print: fp}
}

// referenceSources returns the source of the course's functions that a
// question forbids ("pkg.Name" found in root/pkg/<pkg>), by name.
func referenceSources(root string, forbid []string) map[string]string {
	out := map[string]string{}
	if root == "" {
		return out
	}
	for _, f := range forbid {
		pkgName, name, ok := strings.Cut(f, ".")
		if !ok || strings.Contains(name, ".") {
			continue
		}
		dir := filepath.Join(root, "pkg", pkgName)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				continue
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
			if err != nil {
				continue
			}
			for _, d := range af.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
					out["pkg/"+pkgName+"."+name] = string(src[fset.Position(fd.Pos()).Offset:fset.Position(fd.End()).Offset])
				}
			}
		}
	}
	return out
}

// studentAnswers reads the answer cells of a submission.
func studentAnswers(path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	nb, err := notebook.Parse(data)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, c := range nb.Cells {
		if c.Type == "code" && c.ID() != "" {
			if _, dup := out[c.ID()]; !dup {
				out[c.ID()] = c.Source
			}
		}
	}
	return out
}

// SimilarityOf compares the answers of the results, question by question.
func SimilarityOf(spec *Spec, all []*Result, root string) *SimilarityReport {
	rep := &SimilarityReport{Assignment: spec.Name, Threshold: SimilarShare * 100, MinShared: SimilarMin}
	cells := map[string]map[string]string{}
	for _, r := range all {
		cells[r.Student] = studentAnswers(r.File)
	}
	stubs := map[string]string{}
	for _, c := range spec.Cells {
		stubs[c.ID] = c.Stub
	}
	for _, q := range spec.AllQuestions() {
		var starter map[uint64]int
		var docs []simDoc
		if q.Written {
			starter = fingerprints(textTokens(q.Prompt), textK, textW)
			docs = append(docs, makeDoc("solution", q.Model, true, starter))
		} else {
			starter = fingerprints(codeTokens(stubs[q.Cell]), codeK, codeW)
			for _, c := range spec.Cells {
				if c.ID == q.Cell {
					docs = append(docs, makeDoc("solution", c.Source, false, starter))
				}
			}
			refs := referenceSources(root, q.Forbid)
			names := make([]string, 0, len(refs))
			for n := range refs {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				docs = append(docs, makeDoc(n, refs[n], false, starter))
			}
		}
		for _, r := range all {
			var text string
			if q.Written {
				if qr := questionResult(r, q.ID); qr != nil {
					text = qr.Answer
				}
			} else {
				text = cells[r.Student][q.Cell]
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			d := makeDoc(r.Student, text, q.Written, starter)
			if len(d.print) > 0 {
				docs = append(docs, d)
				rep.Compared++
			}
		}
		for i := range docs {
			for j := i + 1; j < len(docs); j++ {
				a, b := docs[i], docs[j]
				if isPseudo(a.who) && isPseudo(b.who) {
					continue
				}
				shared := 0
				var la, lb []int
				for h, line := range a.print {
					if lineB, ok := b.print[h]; ok {
						shared++
						la, lb = append(la, line), append(lb, lineB)
					}
				}
				smaller := min(len(a.print), len(b.print))
				if smaller == 0 || shared < SimilarMin {
					continue
				}
				share := float64(shared) / float64(smaller)
				if share < SimilarShare {
					continue
				}
				rep.Pairs = append(rep.Pairs, SimilarPair{Question: q.ID, A: a.who, B: b.who, Percent: round2(share * 100), Shared: shared,
					TextA: a.text, TextB: b.text, LinesA: uniqSorted(la), LinesB: uniqSorted(lb)})
			}
		}
	}
	sort.SliceStable(rep.Pairs, func(i, j int) bool { return rep.Pairs[i].Percent > rep.Pairs[j].Percent })
	return rep
}

func isPseudo(who string) bool { return who == "solution" || strings.HasPrefix(who, "pkg/") }

func uniqSorted(xs []int) []int {
	sort.Ints(xs)
	var out []int
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// writeSimilarity writes similarity.json in outDir.
func writeSimilarity(spec *Spec, all []*Result, root, outDir string) (*SimilarityReport, error) {
	rep := SimilarityOf(spec, all, root)
	data, _ := json.MarshalIndent(rep, "", "  ")
	if err := safefile.WriteBytes(filepath.Join(outDir, SimilarFile), append(data, '\n')); err != nil {
		return nil, fmt.Errorf("writing %s: %w", SimilarFile, err)
	}
	return rep, nil
}
