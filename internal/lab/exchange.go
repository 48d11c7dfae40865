package lab

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/notebook"
)

// An Exchange is nbgrader's exchange directory for one course:
// Root/Course/inbound holds the submissions, one directory each, named
// STUDENT+ASSIGNMENT+TIMESTAMP+RANDOM and holding the notebook and a
// timestamp.txt. The inbound directory is writable by everyone but
// listable by nobody but its owner (mode 1733, as nbgrader makes it), so
// that students can submit but cannot see each other's submissions.
type Exchange struct {
	Root   string // e.g. /srv/nbgrader/exchange
	Course string // the course id, e.g. klcourse
	// Owner, when not nil, returns the uid of a student's account:
	// Submissions then takes a directory for STUDENT's only when that
	// account owns it (the inbound directory is writable by every student,
	// so one could otherwise make a later submission in another's name).
	// "klcourse lab collect" sets it to the local accounts' uids.
	Owner func(student string) (uid int, err error)
}

// AccountUID is an Exchange's Owner for local accounts.
func AccountUID(student string) (int, error) {
	st, err := LookupStudent(student)
	return st.UID, err
}

// DefaultExchangeRoot is nbgrader's default exchange root.
const DefaultExchangeRoot = "/srv/nbgrader/exchange"

// DefaultCourseID is the course's name in the exchange.
const DefaultCourseID = "klcourse"

// TimestampFormat is nbgrader's format of submission times (its
// timestamp_format, "%Y-%m-%d %H:%M:%S.%f %Z").
const TimestampFormat = "2006-01-02 15:04:05.000000 MST"

// Inbound returns the directory that receives submissions.
func (e Exchange) Inbound() string { return filepath.Join(e.Root, e.Course, "inbound") }

// Create makes the exchange's directories with nbgrader's modes (run by the
// lab administrator; idempotent).
func (e Exchange) Create() error {
	if err := os.MkdirAll(filepath.Join(e.Root, e.Course), 0o755); err != nil {
		return err
	}
	for _, p := range []string{e.Root, filepath.Join(e.Root, e.Course)} {
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
	}
	in := e.Inbound()
	if err := os.MkdirAll(in, 0o733); err != nil {
		return err
	}
	return os.Chmod(in, 0o1733|fs.ModeSticky)
}

// Check reports whether the exchange exists with modes that let students
// submit.
func (e Exchange) Check() error {
	info, err := os.Stat(e.Inbound())
	if err != nil {
		return fmt.Errorf("no exchange: %w", err)
	}
	if info.Mode().Perm() != 0o733 || info.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%s has mode %v; students need 1733 (write, no listing, sticky)", e.Inbound(), info.Mode())
	}
	return nil
}

var namePart = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)

// AssignmentOf returns the assignment a notebook belongs to: an exercise is
// an assignment of its own, named after the notebook (exercises/NAME.ipynb
// is assignment NAME).
func AssignmentOf(notebookPath string) string {
	return strings.TrimSuffix(filepath.Base(notebookPath), ".ipynb")
}

// Submit copies the notebook at path into the exchange as student's
// submission of its assignment, stamped with now. Every submission gets a
// directory of its own, created exclusively: an earlier submission is
// never overwritten. It returns the submission's directory.
func (e Exchange) Submit(student, path string, now time.Time) (string, error) {
	if !namePart.MatchString(student) {
		return "", fmt.Errorf("student name %q: want letters, digits and _.@-", student)
	}
	if !strings.HasSuffix(path, ".ipynb") {
		return "", fmt.Errorf("%s: a submission is a notebook (.ipynb)", path)
	}
	assignment := AssignmentOf(path)
	if !namePart.MatchString(assignment) {
		return "", fmt.Errorf("%s: the notebook's name %q may hold only letters, digits and _.@-", path, assignment)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if _, err := notebook.Parse(data); err != nil {
		return "", fmt.Errorf("%s is not a notebook that can be graded: %w", path, err)
	}
	stamp := now.UTC().Format(TimestampFormat)
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	dir := filepath.Join(e.Inbound(), strings.Join([]string{student, assignment, stamp, hex.EncodeToString(rnd[:])}, "+"))
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("no exchange at %s: ask the lab administrator to run: klcourse setup --system", e.Inbound())
		}
		return "", err
	}
	if err := writeExclusive(filepath.Join(dir, filepath.Base(path)), data); err != nil {
		return "", err
	}
	if err := writeExclusive(filepath.Join(dir, "timestamp.txt"), []byte(stamp)); err != nil {
		return "", err
	}
	return dir, nil
}

func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// A Submission is one directory of the inbound exchange.
type Submission struct {
	Student, Assignment string
	Time                time.Time
	Dir                 string
}

// Submissions lists the inbound exchange, oldest first. Directories whose
// names do not follow the convention are reported in the error, and skipped.
func (e Exchange) Submissions() ([]Submission, error) {
	entries, err := os.ReadDir(e.Inbound())
	if err != nil {
		return nil, err
	}
	var subs []Submission
	var errs []error
	for _, ent := range entries {
		parts := strings.Split(ent.Name(), "+")
		if !ent.IsDir() || len(parts) != 4 {
			errs = append(errs, fmt.Errorf("%s: not a submission (want STUDENT+ASSIGNMENT+TIME+RANDOM)", filepath.Join(e.Inbound(), ent.Name())))
			continue
		}
		t, err := time.Parse(TimestampFormat, parts[2])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: bad time: %v", filepath.Join(e.Inbound(), ent.Name()), err))
			continue
		}
		if e.Owner != nil {
			if err := e.ownedBy(filepath.Join(e.Inbound(), ent.Name()), parts[0]); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		subs = append(subs, Submission{Student: parts[0], Assignment: parts[1], Time: t, Dir: filepath.Join(e.Inbound(), ent.Name())})
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].Time.Before(subs[j].Time) })
	return subs, errors.Join(errs...)
}

// ownedBy reports an error unless student's account owns dir.
func (e Exchange) ownedBy(dir, student string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot tell who made it", dir)
	}
	uid, err := e.Owner(student)
	if err != nil {
		return fmt.Errorf("%s: skipped: no account %s (%v)", dir, student, err)
	}
	if int(st.Uid) != uid {
		return fmt.Errorf("%s: skipped: made by uid %d, not by %s (uid %d): a submission in another student's name", dir, st.Uid, student, uid)
	}
	return nil
}

// Collect copies each student's latest submission of each assignment into
// course/submitted/STUDENT/ASSIGNMENT/ (the notebook and timestamp.txt),
// nbgrader's layout that "klcourse grade" reads. A collected submission is
// replaced only by a later one. It returns what it collected now. The
// folders it creates are the instructor's alone (mode 0700): students read
// neither each other's collected submissions nor the grades.
func (e Exchange) Collect(course string) ([]Submission, error) {
	subs, listErr := e.Submissions()
	if subs == nil && listErr != nil {
		return nil, listErr
	}
	latest := map[[2]string]Submission{}
	for _, s := range subs {
		latest[[2]string{s.Student, s.Assignment}] = s // oldest first: the last one wins
	}
	keys := make([][2]string, 0, len(latest))
	for k := range latest {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"/"+keys[i][1] < keys[j][0]+"/"+keys[j][1] })
	var got []Submission
	for _, k := range keys {
		s := latest[k]
		dst := filepath.Join(course, "submitted", s.Student, s.Assignment)
		if stamp, err := os.ReadFile(filepath.Join(dst, "timestamp.txt")); err == nil {
			if t, err := time.Parse(TimestampFormat, strings.TrimSpace(string(stamp))); err == nil && !t.Before(s.Time) {
				continue // already collected, or a later one
			}
		}
		if err := replaceDir(s.Dir, dst); err != nil {
			return got, fmt.Errorf("collecting %s: %w", s.Dir, err)
		}
		got = append(got, s)
	}
	return got, listErr
}

// replaceDir copies the files of src into a new directory beside dst and
// then puts it in dst's place.
func replaceDir(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, ent := range entries {
		if !ent.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, ent.Name()), filepath.Join(tmp, ent.Name())); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o700); err != nil {
		return err
	}
	old := tmp + ".old"
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return os.RemoveAll(old)
}
