// Package progress shows the progress of long tasks — downloads, training —
// where the user sees them: an HTML progress bar updated in place in a GoNB
// notebook, a text bar redrawn in place in a terminal, and otherwise (a log,
// CI) a line when the task starts and when it ends.
package progress

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

// Every is the least time between two redraws.
const Every = 200 * time.Millisecond

// A Bar shows the progress of one task towards a total.
type Bar interface {
	// Update reports that done units of the total are finished; status is a
	// short text shown next to the bar ("4.1/9.9 MB", "loss 0.53").
	Update(done int64, status string)
	// Finish ends the task with a final status.
	Finish(done int64, status string)
}

// New starts a bar for the task title of total units (total ≤ 0 when
// unknown), shown where this process's output goes: in the notebook when it
// runs in GoNB, otherwise on w. A nil w shows nothing.
func New(w io.Writer, title string, total int64) Bar {
	if w == nil {
		return silent{}
	}
	if gonbui.IsNotebook {
		b := &htmlBar{task: task{title: title, total: total}, id: "klcourse-progress-" + gonbui.UniqueID()}
		b.draw(0, "")
		return b
	}
	b := &textBar{task: task{title: title, total: total}, w: w, redraw: isTerminal(w)}
	if !b.redraw {
		fmt.Fprintf(w, "%s ...\n", title)
	}
	return b
}

type silent struct{}

func (silent) Update(int64, string) {}
func (silent) Finish(int64, string) {}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

type task struct {
	mu    sync.Mutex
	title string
	total int64
	drawn time.Time
}

// due reports whether a redraw is due, and notes it as drawn.
func (t *task) due() bool {
	if time.Since(t.drawn) < Every {
		return false
	}
	t.drawn = time.Now()
	return true
}

func (t *task) fraction(done int64) float64 {
	if t.total <= 0 {
		return 0
	}
	return min(1, max(0, float64(done)/float64(t.total)))
}

// textBar draws "title  42% [=========>            ] status".
type textBar struct {
	task
	w      io.Writer
	redraw bool
}

func (b *textBar) Update(done int64, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.redraw && b.due() {
		fmt.Fprintf(b.w, "\r%s", b.line(done, status))
	}
}

func (b *textBar) Finish(done int64, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.redraw {
		fmt.Fprintf(b.w, "\r%s\n", b.line(done, status))
		return
	}
	fmt.Fprintf(b.w, "%s: %s\n", b.title, status)
}

func (b *textBar) line(done int64, status string) string {
	const width = 30
	bar := strings.Repeat(" ", width)
	pct := "    "
	if b.total > 0 {
		filled := int(b.fraction(done) * width)
		bar = strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		if filled < width {
			bar = bar[:filled] + ">" + bar[filled+1:]
		}
		pct = fmt.Sprintf("%3.0f%%", 100*b.fraction(done))
	}
	return fmt.Sprintf("%s %s [%s] %s   ", b.title, pct, bar, status)
}

// htmlBar shows a <progress> element in the notebook cell, updated in place.
type htmlBar struct {
	task
	id string
}

func (b *htmlBar) Update(done int64, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.due() {
		b.draw(done, status)
	}
}

func (b *htmlBar) Finish(done int64, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.draw(done, status)
}

func (b *htmlBar) draw(done int64, status string) {
	bar := `<progress style="width: 20em"></progress>` // Indeterminate.
	if b.total > 0 {
		bar = fmt.Sprintf(`<progress style="width: 20em" value="%d" max="%d"></progress>`, done, b.total)
	}
	gonbui.UpdateHTML(b.id, fmt.Sprintf(`<div style="font-family: monospace">%s %s %s</div>`,
		html.EscapeString(b.title), bar, html.EscapeString(status)))
}
