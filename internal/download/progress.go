package download

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Progress shows the progress of transfers, one at a time.
type Progress interface {
	// Start announces a transfer of total bytes (−1 when unknown) of name from source.
	Start(name, source string, total int64)
	// Update reports that done bytes have arrived.
	Update(done int64)
	// Finish ends the transfer after done bytes; err is nil when it succeeded.
	Finish(done int64, err error)
}

// Silent is a Progress that shows nothing.
var Silent Progress = silent{}

type silent struct{}

func (silent) Start(string, string, int64) {}
func (silent) Update(int64)                {}
func (silent) Finish(int64, error)         {}

// NewProgress returns the display that suits this process: an HTML progress
// bar in a GoNB notebook, otherwise a text bar redrawn in place when w is a
// terminal, otherwise (a log, CI) a line when each transfer starts and ends.
// A nil w means no display at all.
func NewProgress(w io.Writer) Progress {
	if w == nil {
		return Silent
	}
	if gonbui.IsNotebook {
		return &htmlProgress{}
	}
	return &textProgress{w: w, redraw: isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// every is the least time between two redraws.
const every = 200 * time.Millisecond

type transfer struct {
	name, source string
	total        int64
	start, drawn time.Time
}

func (t *transfer) rate(done int64) string {
	secs := time.Since(t.start).Seconds()
	if secs <= 0 {
		return ""
	}
	return megabytes(int64(float64(done)/secs)) + "/s"
}

func (t *transfer) fraction(done int64) float64 {
	if t.total <= 0 {
		return 0
	}
	return min(1, float64(done)/float64(t.total))
}

// textProgress draws "name  42% [=========>            ] 4.1/9.9 MB  2.3 MB/s".
type textProgress struct {
	mu     sync.Mutex
	w      io.Writer
	redraw bool
	t      transfer
}

func (p *textProgress) Start(name, source string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t = transfer{name: name, source: source, total: total, start: time.Now()}
	if !p.redraw {
		fmt.Fprintf(p.w, "downloading %s (%s) from %s\n", name, megabytesOrUnknown(total), source)
	}
}

func (p *textProgress) Update(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.redraw || time.Since(p.t.drawn) < every {
		return
	}
	p.t.drawn = time.Now()
	fmt.Fprintf(p.w, "\r%s", p.line(done))
}

func (p *textProgress) line(done int64) string {
	const width = 30
	bar := strings.Repeat(" ", width)
	pct := "   "
	if p.t.total > 0 {
		f := p.t.fraction(done)
		filled := int(f * width)
		bar = strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		if filled < width {
			bar = bar[:filled] + ">" + bar[filled+1:]
		}
		pct = fmt.Sprintf("%3.0f%%", 100*f)
	}
	return fmt.Sprintf("%s %s [%s] %s/%s %s   ", p.t.name, pct, bar, megabytes(done), megabytesOrUnknown(p.t.total), p.t.rate(done))
}

func (p *textProgress) Finish(done int64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.redraw {
		fmt.Fprintf(p.w, "\r%s\n", p.line(done))
	}
	if err != nil {
		fmt.Fprintf(p.w, "download of %s from %s failed: %v\n", p.t.name, p.t.source, err)
	} else if !p.redraw {
		fmt.Fprintf(p.w, "downloaded %s (%s) in %.1f s\n", p.t.name, megabytes(done), time.Since(p.t.start).Seconds())
	}
}

// htmlProgress shows a <progress> element in the notebook cell, updated in place.
type htmlProgress struct {
	mu sync.Mutex
	id string
	t  transfer
}

func (p *htmlProgress) Start(name, source string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t = transfer{name: name, source: source, total: total, start: time.Now()}
	p.id = "klcourse-download-" + gonbui.UniqueID()
	p.show(0, "")
}

func (p *htmlProgress) Update(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.t.drawn) < every {
		return
	}
	p.t.drawn = time.Now()
	p.show(done, "")
}

func (p *htmlProgress) Finish(done int64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	status := fmt.Sprintf("done in %.1f s", time.Since(p.t.start).Seconds())
	if err != nil {
		status = "failed: " + err.Error()
	}
	p.show(done, status)
}

func (p *htmlProgress) show(done int64, status string) {
	bar := `<progress style="width: 20em"></progress>` // indeterminate
	if p.t.total > 0 {
		bar = fmt.Sprintf(`<progress style="width: 20em" value="%d" max="%d"></progress>`, done, p.t.total)
	}
	if status == "" {
		status = p.t.rate(done)
	}
	gonbui.UpdateHTML(p.id, fmt.Sprintf(`<div style="font-family: monospace">%s %s %s / %s &nbsp; %s<br><small>%s</small></div>`,
		html.EscapeString(p.t.name), bar, megabytes(done), megabytesOrUnknown(p.t.total),
		html.EscapeString(status), html.EscapeString(p.t.source)))
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func megabytesOrUnknown(n int64) string {
	if n < 0 {
		return "? MB"
	}
	return megabytes(n)
}
