package grade

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/lab"
)

// Where a submission's time comes from, as the feedback states it.
const (
	TimeExchange = "timestamp.txt of the exchange"
	TimeLMSLate  = "marked _LATE by the LMS; the time is the file's, as the LMS download set it"
	TimeFile     = "the file's modification time (no timestamp.txt, no LMS marker)"
)

// submissionTime returns when a submission was handed in, and what says so:
// nbgrader's timestamp.txt beside it, else the file's time (for an LMS
// download marked _LATE, the time the download carries).
func submissionTime(path string) (time.Time, string, bool) {
	lmsLate := strings.Contains(filepath.Base(path), "_LATE_")
	if data, err := os.ReadFile(filepath.Join(filepath.Dir(path), "timestamp.txt")); err == nil {
		if t, err := ParseTimestamp(strings.TrimSpace(string(data))); err == nil {
			return t, TimeExchange, lmsLate
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}, "", lmsLate
	}
	if lmsLate {
		return info.ModTime().UTC(), TimeLMSLate, true
	}
	return info.ModTime().UTC(), TimeFile, false
}

// ParseTimestamp reads nbgrader's timestamp ("2006-01-02 15:04:05.000000
// UTC"), RFC 3339, or "2006-01-02 15:04[:05]" in UTC.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{lab.TimestampFormat, "2006-01-02 15:04:05.999999999 MST", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2026-12-01T23:59:00Z), \"2026-12-01 23:59\" (UTC) or nbgrader's \"2026-12-01 23:59:00.000000 UTC\"", s)
}

// LatePolicy is a deadline and what a late submission costs.
type LatePolicy struct {
	Due   time.Time
	Grace time.Duration // Late by less than this is on time.
	// Rate is the fraction of the points lost per started Unit of lateness
	// (after the grace period).
	Rate float64
	Unit time.Duration // 24 h or 1 h.
	Cap  float64       // The largest fraction lost (1: everything).
	// Extensions are per-student deadlines.
	Extensions map[string]time.Time
}

// ParsePenalty reads "10%/day", "2%/hour" or "0.1/day".
func ParsePenalty(s string) (rate float64, unit time.Duration, err error) {
	num, per, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "/")
	if !ok {
		return 0, 0, fmt.Errorf("--late-penalty %q: want a fraction per day or per hour, e.g. 10%%/day or 2%%/hour", s)
	}
	switch per {
	case "day", "d":
		unit = 24 * time.Hour
	case "hour", "h":
		unit = time.Hour
	default:
		return 0, 0, fmt.Errorf("--late-penalty %q: the unit is day or hour, not %q", s, per)
	}
	rate, err = parseFraction(num)
	if err != nil {
		return 0, 0, fmt.Errorf("--late-penalty %q: %v", s, err)
	}
	return rate, unit, nil
}

// parseFraction reads "10%" or "0.1", a fraction in [0, 1].
func parseFraction(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	x, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number or a percentage", s)
	}
	if pct {
		x /= 100
	}
	if x < 0 || x > 1 || math.IsNaN(x) {
		return 0, fmt.Errorf("%q is not a fraction between 0 and 100%%", s)
	}
	return x, nil
}

// ParseCap reads the cap of the penalty ("50%" or "0.5").
func ParseCap(s string) (float64, error) {
	x, err := parseFraction(s)
	if err != nil {
		return 0, fmt.Errorf("--late-cap: %v", err)
	}
	return x, nil
}

// ReadExtensions reads a CSV of per-student deadlines: a header with the
// columns student and due (an absolute time) or extra (a duration added to
// the deadline, e.g. 48h).
func ReadExtensions(path string, due time.Time) (map[string]time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--extensions: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("--extensions %s: %v", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("--extensions %s is empty: want a header student,due or student,extra", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	si, ok := col["student"]
	di, hasDue := col["due"]
	ei, hasExtra := col["extra"]
	if !ok || (!hasDue && !hasExtra) {
		return nil, fmt.Errorf("--extensions %s: the header is %q; want the columns student and due (a time) or extra (a duration such as 48h)", path, strings.Join(rows[0], ","))
	}
	out := map[string]time.Time{}
	for n, row := range rows[1:] {
		line := n + 2
		if len(row) <= si || strings.TrimSpace(row[si]) == "" {
			continue
		}
		student := safeName(strings.TrimSpace(row[si]))
		switch {
		case hasDue && di < len(row) && strings.TrimSpace(row[di]) != "":
			t, err := ParseTimestamp(strings.TrimSpace(row[di]))
			if err != nil {
				return nil, fmt.Errorf("--extensions %s, line %d: %v", path, line, err)
			}
			out[student] = t
		case hasExtra && ei < len(row) && strings.TrimSpace(row[ei]) != "":
			d, err := time.ParseDuration(strings.TrimSpace(row[ei]))
			if err != nil || d < 0 {
				return nil, fmt.Errorf("--extensions %s, line %d: extra %q is not a duration such as 48h", path, line, row[ei])
			}
			out[student] = due.Add(d)
		default:
			return nil, fmt.Errorf("--extensions %s, line %d: %s has neither due nor extra", path, line, student)
		}
	}
	return out, nil
}

// Lateness is what the policy made of a submission's time.
type Lateness struct {
	Due      string  `json:"due"`
	LateBy   string  `json:"late_by,omitempty"`
	Penalty  float64 `json:"penalty"` // The fraction of the points lost.
	Before   float64 `json:"points_before_penalty"`
	Extended bool    `json:"extended,omitempty"`
	Note     string  `json:"note"`
}

// Apply sets r.Late and lowers r.Total by the penalty.
func (lp *LatePolicy) Apply(r *Result) {
	if lp == nil || lp.Due.IsZero() {
		return
	}
	due, extended := lp.Due, false
	if t, ok := lp.Extensions[r.Student]; ok {
		due, extended = t, true
	}
	l := &Lateness{Due: due.UTC().Format(time.RFC3339), Before: r.Total, Extended: extended}
	r.Late = l
	if r.SubmittedAt == "" {
		l.Note = "the submission's time is not known: no penalty"
		return
	}
	at, err := time.Parse(time.RFC3339Nano, r.SubmittedAt)
	if err != nil {
		l.Note = "the submission's time is not readable: no penalty"
		return
	}
	late := at.Sub(due)
	dueText := "the deadline"
	if extended {
		dueText = "your extended deadline"
	}
	switch {
	case late <= 0 && r.LMSLate:
		// The LMS says late, the file's time does not: at least one unit.
		late = lp.Grace + time.Nanosecond
		l.Note = fmt.Sprintf("the LMS marked this submission late but its file time (%s) is before %s: counted late by one %s", r.SubmittedAt, dueText, unitName(lp.Unit))
	case late <= 0:
		l.Note = fmt.Sprintf("submitted %s (%s), before %s %s", r.SubmittedAt, r.TimeSource, dueText, l.Due)
		return
	case late <= lp.Grace:
		l.LateBy = late.Round(time.Second).String()
		l.Note = fmt.Sprintf("submitted %s (%s), %s after %s %s, within the grace period of %v: no penalty", r.SubmittedAt, r.TimeSource, l.LateBy, dueText, l.Due, lp.Grace)
		return
	}
	units := math.Ceil(float64(late-lp.Grace) / float64(lp.Unit))
	l.Penalty = math.Min(units*lp.Rate, lp.Cap)
	if l.LateBy == "" {
		l.LateBy = late.Round(time.Second).String()
	}
	if l.Note == "" {
		l.Note = fmt.Sprintf("submitted %s (%s), %s after %s %s", r.SubmittedAt, r.TimeSource, l.LateBy, dueText, l.Due)
	}
	l.Note += fmt.Sprintf(": %g started %s(s) late at %g%% each", units, unitName(lp.Unit), lp.Rate*100)
	if units*lp.Rate > lp.Cap {
		l.Note += fmt.Sprintf(", capped at %g%%", lp.Cap*100)
	}
	l.Note += fmt.Sprintf(" — %g%% of the points deducted", round2(l.Penalty*100))
	r.Total = round2(r.Total * (1 - l.Penalty))
}

func unitName(u time.Duration) string {
	if u == time.Hour {
		return "hour"
	}
	return "day"
}
