// Package results writes the course's one results page, docs/results.md,
// from what runs recorded: the tables that each lecture's full-mode run
// stores with pkg/course's Record (DIR/results/NAME.json beside the lecture's
// notebook) and the JSON of `klcourse bench`. No number on the page is typed
// by hand: every one comes from those files, and where a file is missing the
// page says which command records it. Each source is stated with the date,
// machine and commit it records (or "not recorded" where it records none).
package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/course"
)

// Page is the results page's path, relative to the module root.
const Page = "docs/results.md"

// BenchJSON is where the committed `klcourse bench` JSON lives, relative to
// the module root (bench writes build/bench.json unless told otherwise).
const BenchJSON = "docs/bench.json"

// lectureDirs are the folders that hold lectures, relative to the module
// root: a lecture is a notebook whose first Markdown line is "# Lecture N —
// ..." (lecture 2 is a solution notebook, its exercise built in).
var lectureDirs = []string{"notebooks", "solutions"}

// A Lecture is one lecture and what its full-mode runs recorded.
type Lecture struct {
	Number   int
	Title    string // its heading, without "Lecture N —"
	Notebook string // relative to the module root, with forward slashes
	// Records: its cells call course.Record, so a full-mode run with
	// KLCOURSE_RECORD=1 writes its results file.
	Records bool
	// File is its results file relative to the module root; Tables is nil
	// when the file does not exist.
	File   string
	Tables []Table
	// Keys are the tables its cells record, in the order they record them.
	Keys []string
}

// A Table is one recorded table: pkg/course's Table (with, where the run
// that recorded it knew them, the machine and the commit it ran on) and its
// key.
type Table struct {
	Key string `json:"-"`
	course.Table
}

// Date is the date of the run that recorded t: the first YYYY-MM-DD of its
// Recorded stamp ("full mode, 2026-12-06, ..."), or "".
func (t Table) Date() string { return dateRE.FindString(t.Recorded) }

// Details is what the notebook added to the stamp, after the mode and date.
func (t Table) Details() string {
	s := strings.TrimPrefix(t.Recorded, "full mode")
	s = strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(s, ",")), t.Date())
	return strings.TrimSpace(strings.TrimPrefix(s, ","))
}

var (
	dateRE    = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	headingRE = regexp.MustCompile(`^#\s+Lecture\s+(\d+)\s*[—–:-]\s*(.+?)\s*$`)
	// recordRE finds the keys of course.Record("NAME", "KEY", ...) calls.
	recordRE = regexp.MustCompile(`course\.Record\(\s*("[^"]+"|[A-Za-z_]\w*)\s*,\s*"([^"]+)"`) // the notebook as a string or a constant
)

// Lectures reads the lectures under root, in lecture order, with their
// recorded tables in the order the notebook records them.
func Lectures(root string) ([]Lecture, error) {
	var lectures []Lecture
	for _, dir := range lectureDirs {
		paths, err := filepath.Glob(filepath.Join(root, dir, "*.ipynb"))
		if err != nil {
			return nil, err
		}
		for _, path := range paths {
			l, ok, err := readLecture(root, path)
			if err != nil {
				return nil, err
			}
			if ok {
				lectures = append(lectures, l)
			}
		}
	}
	sort.SliceStable(lectures, func(i, j int) bool { return lectures[i].Number < lectures[j].Number })
	for i := 1; i < len(lectures); i++ {
		if lectures[i].Number == lectures[i-1].Number {
			return nil, fmt.Errorf("results: two notebooks are lecture %d: %s and %s", lectures[i].Number, lectures[i-1].Notebook, lectures[i].Notebook)
		}
	}
	return lectures, nil
}

func readLecture(root, path string) (Lecture, bool, error) {
	nb, err := notebook.Read(path)
	if err != nil {
		return Lecture{}, false, err
	}
	var l Lecture
	var keys []string
	found := false
	for _, c := range nb.Cells {
		if c.Type == "markdown" && !found {
			found = true
			first, _, _ := strings.Cut(strings.TrimSpace(c.Source), "\n")
			m := headingRE.FindStringSubmatch(first)
			if m == nil {
				return Lecture{}, false, nil // an exercise, not a lecture
			}
			l.Number, _ = strconv.Atoi(m[1])
			l.Title = m[2]
		}
		if c.Type == "code" {
			for _, m := range recordRE.FindAllStringSubmatch(c.Source, -1) {
				l.Records = true
				if !slices.Contains(keys, m[2]) {
					keys = append(keys, m[2])
				}
			}
		}
	}
	if !found {
		return Lecture{}, false, nil
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return Lecture{}, false, err
	}
	l.Notebook = filepath.ToSlash(rel)
	l.Keys = keys
	name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	l.File = filepath.ToSlash(filepath.Join(filepath.Dir(rel), "results", name+".json"))
	l.Tables, err = readTables(filepath.Join(root, l.File), keys)
	if err != nil {
		return Lecture{}, false, err
	}
	return l, true, nil
}

// readTables reads a results file: the tables in keys' order first, then any
// others by key. A missing file gives nil.
func readTables(path string, keys []string) ([]Table, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var byKey map[string]Table
	if err := json.Unmarshal(data, &byKey); err != nil {
		return nil, fmt.Errorf("results: %s: expected a JSON object of tables (pkg/course's Record writes them): %v", path, err)
	}
	var rest []string
	for k := range byKey {
		if !slices.Contains(keys, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	var tables []Table
	for _, k := range append(slices.Clone(keys), rest...) {
		t, ok := byKey[k]
		if !ok {
			continue
		}
		t.Key = k
		if len(t.Header) == 0 {
			return nil, fmt.Errorf("results: %s: table %q has no header", path, k)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// Generate returns the results page for the checkout at root: the lectures'
// recorded tables, then the bench JSON at benchPath (relative to root).
func Generate(root, benchPath string) ([]byte, error) {
	lectures, err := Lectures(root)
	if err != nil {
		return nil, err
	}
	bench, err := ReadBench(filepath.Join(root, benchPath))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Results\n\n")
	b.WriteString("<!-- Generated by `go run ./cmd/klcourse results` from the lectures' recorded results and the bench JSON: do not edit by hand. -->\n\n")
	b.WriteString("What the course measured: the tables each lecture records in a full-mode run, and the speed of its models.\n")
	b.WriteString("Every number below comes from a JSON file written by a run, named beside it with the date, machine and commit\n")
	b.WriteString("that the run recorded. The lectures discuss their own numbers in their text; quick mode prints these tables\n")
	b.WriteString("beside its own where it cannot reproduce them. To refresh a source, run the command it names, then\n")
	b.WriteString("`go run ./cmd/klcourse results`, which rewrites this page (`results --check` fails when the page is stale).\n")
	b.WriteString("\n## Lectures\n")
	for _, l := range lectures {
		writeLecture(&b, l)
	}
	b.WriteString("\n## Speed of the models\n\n")
	writeBench(&b, bench, benchPath)
	return b.Bytes(), nil
}

// recordCommand is the command that records a lecture's results: its
// notebook in full mode (klcourse run without --quick) with KLCOURSE_RECORD=1.
func recordCommand(l Lecture) string {
	return fmt.Sprintf("%s=1 go run ./cmd/klcourse run --timeout 3h %s", course.RecordEnv, l.Notebook)
}

func writeLecture(b *bytes.Buffer, l Lecture) {
	fmt.Fprintf(b, "\n### Lecture %d: %s\n\n", l.Number, l.Title)
	fmt.Fprintf(b, "[`%s`](%s)", l.Notebook, link(l.Notebook))
	switch {
	case !l.Records:
		fmt.Fprintf(b, ": not recorded yet. Its cells do not call `course.Record` yet, so a run records nothing; its full-mode numbers are in its text. Once they do: `%s`.\n", recordCommand(l))
		return
	case l.Tables == nil:
		fmt.Fprintf(b, ": not recorded yet: run `%s`.\n", recordCommand(l))
		return
	}
	fmt.Fprintf(b, ", recorded in [`%s`](%s) by `%s`.\n", l.File, link(l.File), recordCommand(l))
	fmt.Fprintf(b, "Date: %s. Machine: %s. Commit: %s.\n",
		summarise(l.Tables, Table.Date), summarise(l.Tables, func(t Table) string { return t.Machine }),
		summarise(l.Tables, func(t Table) string { return t.Commit }))
	var missing []string
	for _, k := range l.Keys {
		if !slices.ContainsFunc(l.Tables, func(t Table) bool { return t.Key == k }) {
			missing = append(missing, "`"+k+"`")
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(b, "Not recorded yet: the table(s) %s that its cells record; run the command above.\n", strings.Join(missing, ", "))
	}
	for _, t := range l.Tables {
		title := strings.Join(strings.Fields(t.Title), " ")
		if title == "" {
			title = t.Key
		}
		fmt.Fprintf(b, "\n**%s**", escape(title))
		if d := t.Details(); d != "" {
			fmt.Fprintf(b, " (%s)", escape(d))
		}
		if !slices.Contains(l.Keys, t.Key) {
			fmt.Fprintf(b, " — stale: the notebook no longer records `%s`; remove it from the file", t.Key)
		}
		b.WriteString("\n\n")
		writeTable(b, t.Header, t.Rows)
	}
}

// summarise is the one value of field over the tables, the distinct values
// sorted and joined, or "not recorded" for tables without one.
func summarise(tables []Table, field func(Table) string) string {
	var values []string
	missing := false
	for _, t := range tables {
		v := field(t)
		if v == "" {
			missing = true
		} else if !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	sort.Strings(values)
	switch {
	case len(values) == 0:
		return "not recorded"
	case missing:
		return strings.Join(values, "; ") + " (some tables: not recorded)"
	}
	return strings.Join(values, "; ")
}

// writeTable writes a Markdown table; a row shorter than the header is padded.
func writeTable(b *bytes.Buffer, header []string, rows [][]string) {
	row := func(cells []string) {
		b.WriteString("|")
		for i := range header {
			c := ""
			if i < len(cells) {
				c = escape(cells[i])
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	row(header)
	b.WriteString("|")
	for i := range header {
		if numeric(rows, i) {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		row(r)
	}
}

// link is the address of path (relative to the module root) from the page,
// which lives in docs/.
func link(path string) string {
	if rest, ok := strings.CutPrefix(path, "docs/"); ok {
		return rest
	}
	return "../" + path
}

// numeric reports whether column i holds numbers (every cell that is not
// empty starts like one: "0.15", "−2.0", "2/25", "99.0%"): those are
// right-aligned, text left-aligned.
func numeric(rows [][]string, i int) bool {
	n := 0
	for _, r := range rows {
		if i >= len(r) || strings.TrimSpace(r[i]) == "" {
			continue
		}
		n++
		c := strings.TrimSpace(r[i])
		c = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(c, "−"), "-"), "+")
		if c == "" || !strings.ContainsAny(c[:1], "0123456789.") {
			return false
		}
	}
	return n > 0
}

// escape keeps a cell's text one Markdown table cell: no pipe, no line break.
func escape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// Write writes the page to root/Page, and the measured section of
// root/CapacityPage from the committed load tests.
func Write(root, benchPath string) error {
	page, err := Generate(root, benchPath)
	if err != nil {
		return err
	}
	// Both pages are generated before either is written: bad input changes
	// neither.
	have, want, err := capacityPage(root)
	if err != nil {
		return err
	}
	if err := safefile.WriteBytes(filepath.Join(root, Page), page); err != nil {
		return err
	}
	if bytes.Equal(have, want) {
		return nil
	}
	return safefile.WriteBytes(filepath.Join(root, CapacityPage), want)
}

// ErrStale is returned by Check when the committed page differs from the one
// the JSON files give.
var ErrStale = errors.New("stale")

// Check returns nil when root/Page is what Generate writes, and an error
// wrapping ErrStale, naming the first line that differs, when it is not.
func Check(root, benchPath string) error {
	if have, want, err := capacityPage(root); err != nil {
		return err
	} else if !bytes.Equal(have, want) {
		return fmt.Errorf("%w: the measured section of %s is not what %s/ gives: run `go run ./cmd/klcourse results` and commit it", ErrStale, CapacityPage, CapacityDir)
	}
	want, err := Generate(root, benchPath)
	if err != nil {
		return err
	}
	have, err := os.ReadFile(filepath.Join(root, Page))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist: run `go run ./cmd/klcourse results`", ErrStale, Page)
	} else if err != nil {
		return err
	}
	if bytes.Equal(have, want) {
		return nil
	}
	hl, wl := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(hl), len(wl)); i++ {
		var h, w string
		if i < len(hl) {
			h = hl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if h != w {
			return fmt.Errorf("%w: %s is not what the recorded results give (line %d is %q, expected %q): run `go run ./cmd/klcourse results` and commit it", ErrStale, Page, i+1, h, w)
		}
	}
	return fmt.Errorf("%w: %s differs from what the recorded results give: run `go run ./cmd/klcourse results`", ErrStale, Page)
}
