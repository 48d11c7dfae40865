package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSyncNeverOverwritesTheStudentsWork(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	write(t, filepath.Join(src, "exercises/a.ipynb"), "a1")
	write(t, filepath.Join(src, "exercises/b.ipynb"), "b1")
	write(t, filepath.Join(src, "pkg/x.go"), "x1")
	write(t, filepath.Join(dst, "exercises/b.ipynb"), "student's own b") // there before the first sync
	rep, err := Sync(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Added, []string{"exercises/a.ipynb", "pkg/x.go"}) || !slices.Equal(rep.Kept, []string{"exercises/b.ipynb"}) {
		t.Fatalf("first sync: %+v", rep)
	}
	// The student edits a, deletes x and writes a file of their own.
	write(t, filepath.Join(dst, "exercises/a.ipynb"), "a, with the student's answer")
	os.Remove(filepath.Join(dst, "pkg/x.go"))
	write(t, filepath.Join(dst, "exercises/mine.txt"), "notes")
	// The course changes everything.
	write(t, filepath.Join(src, "exercises/a.ipynb"), "a2")
	write(t, filepath.Join(src, "exercises/b.ipynb"), "b2")
	write(t, filepath.Join(src, "pkg/x.go"), "x2")
	write(t, filepath.Join(src, "pkg/y.go"), "y2")
	rep, err = Sync(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Kept, []string{"exercises/a.ipynb", "exercises/b.ipynb"}) ||
		!slices.Equal(rep.Restored, []string{"pkg/x.go"}) || !slices.Equal(rep.Added, []string{"pkg/y.go"}) || len(rep.Updated) != 0 {
		t.Fatalf("second sync: %+v", rep)
	}
	for path, want := range map[string]string{
		"exercises/a.ipynb": "a, with the student's answer", "exercises/b.ipynb": "student's own b",
		"exercises/mine.txt": "notes", "pkg/x.go": "x2", "pkg/y.go": "y2",
	} {
		if got := read(t, filepath.Join(dst, path)); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	// A file the student left alone follows the course.
	write(t, filepath.Join(src, "pkg/y.go"), "y3")
	rep, err = Sync(src, dst)
	if err != nil || !slices.Equal(rep.Updated, []string{"pkg/y.go"}) || read(t, filepath.Join(dst, "pkg/y.go")) != "y3" {
		t.Fatalf("third sync: %+v, %v", rep, err)
	}
	// The student reverts a to the course's version: from then on it follows the course again.
	write(t, filepath.Join(dst, "exercises/a.ipynb"), "a2")
	if _, err := Sync(src, dst); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(src, "exercises/a.ipynb"), "a3")
	if rep, err = Sync(src, dst); err != nil || read(t, filepath.Join(dst, "exercises/a.ipynb")) != "a3" {
		t.Fatalf("after revert: %+v %v %q", rep, err, read(t, filepath.Join(dst, "exercises/a.ipynb")))
	}
}

const nb = `{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`

func TestSubmitAndCollect(t *testing.T) {
	ex := Exchange{Root: t.TempDir(), Course: "kl"}
	if err := ex.Check(); err == nil {
		t.Fatal("Check passes on a missing exchange")
	}
	if err := ex.Create(); err != nil {
		t.Fatal(err)
	}
	if err := ex.Check(); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	path := filepath.Join(work, "03_fit.ipynb")
	write(t, path, nb)
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	first, err := ex.Submit("ann", path, t0)
	if err != nil {
		t.Fatal(err)
	}
	// A second submission at the same instant does not overwrite the first.
	write(t, path, strings.Replace(nb, `"metadata": {}`, `"metadata": {"v": 2}`, 1))
	second, err := ex.Submit("ann", path, t0.Add(time.Minute))
	if err != nil || second == first {
		t.Fatalf("second submission: %s, %v", second, err)
	}
	if read(t, filepath.Join(first, "03_fit.ipynb")) != nb {
		t.Fatal("the first submission changed")
	}
	if _, err := ex.Submit("bob", path, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Submit("ann", filepath.Join(work, "missing.ipynb"), t0); err == nil {
		t.Fatal("submitted a missing notebook")
	}
	write(t, filepath.Join(work, "bad.ipynb"), "{not json")
	if _, err := ex.Submit("ann", filepath.Join(work, "bad.ipynb"), t0); err == nil || !strings.Contains(err.Error(), "bad.ipynb") {
		t.Fatalf("a broken notebook: %v", err)
	}
	course := t.TempDir()
	got, err := ex.Collect(course)
	if err != nil || len(got) != 2 {
		t.Fatalf("collect: %+v, %v", got, err)
	}
	ann := filepath.Join(course, "submitted", "ann", "03_fit")
	if !strings.Contains(read(t, filepath.Join(ann, "03_fit.ipynb")), `"v": 2`) {
		t.Fatal("collect did not take ann's latest submission")
	}
	if read(t, filepath.Join(ann, "timestamp.txt")) != "2026-11-27 10:01:00.000000 UTC" {
		t.Fatalf("timestamp.txt = %q", read(t, filepath.Join(ann, "timestamp.txt")))
	}
	if got, err := ex.Collect(course); err != nil || len(got) != 0 {
		t.Fatalf("collecting again: %+v %v", got, err)
	}
}

func TestReleaseFeedback(t *testing.T) {
	course, home := t.TempDir(), t.TempDir()
	write(t, filepath.Join(course, "feedback/ann/03_fit/03_fit.html"), "<p>ann: 3/3</p>")
	write(t, filepath.Join(course, "feedback/nobody/03_fit/03_fit.html"), "x")
	lookup := func(name string) (Student, error) {
		if name != "ann" {
			return LookupStudent("no-such-user-klcourse")
		}
		return Student{Name: "ann", Home: home, UID: os.Getuid(), GID: os.Getgid()}, nil
	}
	got, err := ReleaseFeedback(course, "", lookup)
	if err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("a missing account is not reported: %v", err)
	}
	if len(got) != 1 || read(t, filepath.Join(home, "klcourse/feedback/03_fit/03_fit.html")) != "<p>ann: 3/3</p>" {
		t.Fatalf("released %+v", got)
	}
	// A link planted by the student is not followed.
	home2 := t.TempDir()
	os.Symlink(t.TempDir(), filepath.Join(home2, "klcourse"))
	lookup2 := func(string) (Student, error) {
		return Student{Name: "ann", Home: home2, UID: os.Getuid(), GID: os.Getgid()}, nil
	}
	// klcourse grade's layout: feedback/STUDENT.html for one assignment.
	graded := t.TempDir()
	write(t, filepath.Join(graded, "feedback/ann.html"), "<p>ann: 2/3</p>")
	if got, err := ReleaseFeedback(graded, "04_x", lookup); err != nil || len(got) != 1 ||
		read(t, filepath.Join(home, "klcourse/feedback/04_x/04_x.html")) != "<p>ann: 2/3</p>" {
		t.Fatalf("grade's layout: %+v %v", got, err)
	}
	if _, err := ReleaseFeedback(course, "", lookup2); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("wrote through a link: %v", err)
	}
}

func TestHubConfig(t *testing.T) {
	h := DefaultHubConfig("/opt/klcourse")
	h.IP, h.Admins, h.Env = "127.0.0.1", []string{"prof"}, map[string]string{"KLCOURSE_QUICK": "1", "A": `x"y`}
	out, err := h.Render()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`c.JupyterHub.bind_url = "http://127.0.0.1:8000"`,
		`c.Spawner.cmd = ["/opt/klcourse/bin/klcourse", "lab", "start"]`,
		`c.PAMAuthenticator.allowed_groups = {"klcourse-students"}`,
		`c.Authenticator.admin_users = set(["prof", ])`,
		`c.JupyterHub.db_url = "sqlite:////var/lib/klcourse/hub/jupyterhub.sqlite"`,
		`"A": "x\"y",`, `"KLCOURSE_QUICK": "1",`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the config lacks %s:\n%s", want, s)
		}
	}
	if python, err := exec.LookPath("python3"); err == nil {
		cfg := filepath.Join(t.TempDir(), "jupyterhub_config.py")
		write(t, cfg, s)
		if out, err := exec.Command(python, "-m", "py_compile", cfg).CombinedOutput(); err != nil {
			t.Fatalf("the config is not Python: %v\n%s", err, out)
		}
	}
	h.Port = 0
	if _, err := h.Render(); err == nil {
		t.Error("port 0 accepted")
	}
	h.Port = 8000
	h.IP = ""
	if _, err := h.Render(); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("plain HTTP on every interface: %v, want a refusal", err)
	}
	h.PlainHTTP = true
	if _, err := h.Render(); err != nil {
		t.Errorf("plain HTTP asked for: %v", err)
	}
	h.PlainHTTP, h.TLSCert, h.TLSKey = false, "/etc/x/hub.crt", "/etc/x/hub.key"
	out, err = h.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`c.JupyterHub.bind_url = "https://:8000"`, `c.JupyterHub.ssl_cert = "/etc/x/hub.crt"`, `c.JupyterHub.ssl_key = "/etc/x/hub.key"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the TLS config lacks %s:\n%s", want, out)
		}
	}
}

func TestPrivateHome(t *testing.T) {
	home := t.TempDir()
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	changed, err := PrivateHome(home)
	if err != nil || !changed {
		t.Fatalf("PrivateHome on a 0755 home: changed %v, %v", changed, err)
	}
	info, _ := os.Stat(home)
	if info.Mode().Perm() != 0o700 {
		t.Errorf("home mode %v, want 0700", info.Mode().Perm())
	}
	if changed, err := PrivateHome(home); changed || err != nil {
		t.Errorf("PrivateHome again: changed %v, %v", changed, err)
	}
}

// TestCollectRefusesASubmissionInAnotherStudentsName: the inbound folder is
// writable by every student; a later submission made in bob's name by
// another account must not replace bob's.
func TestCollectRefusesASubmissionInAnotherStudentsName(t *testing.T) {
	ex := Exchange{Root: t.TempDir(), Course: "kl"}
	if err := ex.Create(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "03_fit.ipynb")
	write(t, path, nb)
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if _, err := ex.Submit("bob", path, t0); err != nil {
		t.Fatal(err)
	}
	forged, err := ex.Submit("bob", path, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	me := os.Getuid()
	// Bob's account is the one that made the first submission only: the
	// second directory is given to another uid.
	first := ""
	subs, _ := ex.Submissions()
	for _, s := range subs {
		if s.Dir != forged {
			first = s.Dir
		}
	}
	if me != 0 {
		t.Skip("needs root to give a directory to another uid")
	}
	if err := os.Lchown(forged, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	ex.Owner = func(student string) (int, error) { return me, nil }
	course := t.TempDir()
	got, err := ex.Collect(course)
	if err == nil || !strings.Contains(err.Error(), "another student's name") {
		t.Errorf("collect did not report the forged submission: %v", err)
	}
	if len(got) != 1 || got[0].Dir != first {
		t.Errorf("collected %+v, want bob's own submission %s only", got, first)
	}
	info, err := os.Stat(filepath.Join(course, "submitted"))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("the collected submissions' folder: %v, %v; want mode 0700", info, err)
	}
}
