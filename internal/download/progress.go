package download

import (
	"fmt"
	"io"
	"time"

	"github.com/klcourse/klcourse/internal/progress"
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
var Silent Progress = NewProgress(nil)

// NewProgress returns the display that suits this process (see
// progress.New): a bar in a GoNB notebook or a terminal, otherwise a line
// when each transfer starts and ends. A nil w means no display at all.
func NewProgress(w io.Writer) Progress {
	return &transfers{w: w}
}

// transfers shows each transfer with a progress.Bar.
type transfers struct {
	w     io.Writer
	bar   progress.Bar
	total int64
	start time.Time
}

func (t *transfers) Start(name, source string, total int64) {
	t.total, t.start = total, time.Now()
	t.bar = progress.New(t.w, fmt.Sprintf("downloading %s (%s) from %s", name, megabytesOrUnknown(total), source), total)
}

func (t *transfers) Update(done int64) {
	t.bar.Update(done, fmt.Sprintf("%s/%s %s", megabytes(done), megabytesOrUnknown(t.total), t.rate(done)))
}

func (t *transfers) Finish(done int64, err error) {
	if err != nil {
		t.bar.Finish(done, "failed: "+err.Error())
		return
	}
	t.bar.Finish(done, fmt.Sprintf("downloaded %s in %.1f s, %s", megabytes(done), time.Since(t.start).Seconds(), t.rate(done)))
}

func (t *transfers) rate(done int64) string {
	secs := time.Since(t.start).Seconds()
	if secs <= 0 {
		return ""
	}
	return megabytes(int64(float64(done)/secs)) + "/s"
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func megabytesOrUnknown(n int64) string {
	if n < 0 {
		return "? MB"
	}
	return megabytes(n)
}
