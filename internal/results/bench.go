package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Bench is a `klcourse bench` report as its JSON holds it. It is read
// loosely, so that a report with more peers than PyTorch (or other ratio
// columns) still renders: every object of a result that has a per_s is a
// column, every number whose name starts with "ratio" is one.
type Bench struct {
	Date    string  `json:"date"`
	Backend string  `json:"backend"`
	Machine string  `json:"machine"`
	Commit  string  `json:"commit"`
	Load    float64 `json:"load_average"`
	Steps   int     `json:"steps"`
	Rounds  int     `json:"rounds"`
	// Versions are the report's other strings: the peers' versions
	// ("pytorch": "1.13.1 (/usr/bin/python3)"), by name.
	Versions map[string]string `json:"-"`
	Results  []BenchRow        `json:"-"`
}

// A BenchRow is one row: a model in one mode, and each framework's speed.
type BenchRow struct {
	Model, Mode string
	Batch       int
	Unit        string
	PerS        map[string]float64 // by framework: "gomlx", "pytorch", ...
	Ratios      map[string]float64 // by field name: "ratio", ...
}

var benchKnown = []string{"date", "backend", "machine", "commit", "load_average", "steps", "rounds", "results"}

// ReadBench reads a bench JSON; a missing file gives nil.
func ReadBench(path string) (*Bench, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var b Bench
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("results: %s: expected the JSON of `klcourse bench`: %v", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("results: %s: %v", path, err)
	}
	b.Versions = map[string]string{}
	for k, v := range raw {
		var s string
		if slices.Contains(benchKnown, k) || json.Unmarshal(v, &s) != nil {
			continue
		}
		b.Versions[k] = s
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(raw["results"], &rows); err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("results: %s: expected a list of results (model, mode, batch, gomlx, ...), got %.60s", path, raw["results"])
	}
	for i, r := range rows {
		row := BenchRow{PerS: map[string]float64{}, Ratios: map[string]float64{}}
		json.Unmarshal(r["model"], &row.Model)
		json.Unmarshal(r["mode"], &row.Mode)
		json.Unmarshal(r["batch"], &row.Batch)
		for k, v := range r {
			var sp struct {
				PerS *float64 `json:"per_s"`
				Unit string   `json:"unit"`
			}
			var x float64
			switch {
			case strings.HasPrefix(k, "ratio") && json.Unmarshal(v, &x) == nil:
				row.Ratios[k] = x
			case json.Unmarshal(v, &sp) == nil && sp.PerS != nil:
				row.PerS[k] = *sp.PerS
				if k == "gomlx" || row.Unit == "" {
					row.Unit = sp.Unit
				}
			}
		}
		if row.Model == "" || row.Mode == "" {
			return nil, fmt.Errorf("results: %s: result %d has no model or mode", path, i+1)
		}
		if _, ok := row.PerS["gomlx"]; !ok {
			return nil, fmt.Errorf("results: %s: result %d (%s %s) has no gomlx.per_s", path, i+1, row.Model, row.Mode)
		}
		b.Results = append(b.Results, row)
	}
	return &b, nil
}

// BenchCommand is the command that writes the committed bench JSON.
const BenchCommand = "go run ./cmd/klcourse bench --compare --json " + BenchJSON

// machinePath is an interpreter's path in a version string: the page names
// no path of the machine that measured.
var machinePath = regexp.MustCompile(`\s*\(/[^)]*\)`)

func writeBench(b *bytes.Buffer, bench *Bench, path string) {
	if bench == nil {
		fmt.Fprintf(b, "Not recorded yet: run `%s` (every model of the course on this machine's backend, against its peers), then `go run ./cmd/klcourse results`.\n", strings.Replace(BenchCommand, BenchJSON, path, 1))
		return
	}
	fmt.Fprintf(b, "`klcourse bench`, recorded in [`%s`](%s); to measure again: `%s`, then `go run ./cmd/klcourse results`.\n", path, link(path), strings.Replace(BenchCommand, BenchJSON, path, 1))
	or := func(s string) string {
		if s == "" {
			return "not recorded"
		}
		return s
	}
	fmt.Fprintf(b, "Date: %s. Machine: %s", or(bench.Date), or(bench.Machine))
	if bench.Load > 0 {
		fmt.Fprintf(b, ", load average %.1f when the measurement started (other programs were using the CPU)", bench.Load)
	}
	fmt.Fprintf(b, ". Commit: %s.\n", or(bench.Commit))
	fmt.Fprintf(b, "GoMLX: %s.", or(bench.Backend))
	names := make([]string, 0, len(bench.Versions))
	for k := range bench.Versions {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(b, " %s: %s.", k, machinePath.ReplaceAllString(bench.Versions[k], ""))
	}
	if bench.Rounds > 0 {
		fmt.Fprintf(b, " Each figure is the median of %d rounds, each the median of %d steps.", bench.Rounds, bench.Steps)
	}
	b.WriteString(" Items per second; a ratio above 1 means GoMLX is faster.\n\n")

	var peers, ratios []string
	for _, r := range bench.Results {
		for k := range r.PerS {
			if k != "gomlx" && !slices.Contains(peers, k) {
				peers = append(peers, k)
			}
		}
		for k := range r.Ratios {
			if !slices.Contains(ratios, k) {
				ratios = append(ratios, k)
			}
		}
	}
	sort.Strings(peers)
	sort.Strings(ratios)
	header := []string{"model", "mode", "batch", "unit", "GoMLX"}
	header = append(header, peers...)
	header = append(header, ratios...)
	var rows [][]string
	for _, r := range bench.Results {
		row := []string{r.Model, r.Mode, strconv.Itoa(r.Batch), r.Unit, perS(r.PerS["gomlx"])}
		for _, p := range peers {
			if v, ok := r.PerS[p]; ok {
				row = append(row, perS(v))
			} else {
				row = append(row, "")
			}
		}
		for _, k := range ratios {
			if v, ok := r.Ratios[k]; ok {
				row = append(row, strconv.FormatFloat(v, 'f', 2, 64))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	writeTable(b, header, rows)
}

func perS(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
