package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// CourseDir is the directory, in a student's home, that holds the course:
// Sync's copy of the release and the feedback.
const CourseDir = "klcourse"

// A Student is the account that feedback goes to.
type Student struct {
	Name     string
	Home     string
	UID, GID int
}

// LookupStudent finds a local account.
func LookupStudent(name string) (Student, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return Student{}, err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return Student{}, fmt.Errorf("account %s: %w", name, err)
	}
	return Student{Name: name, Home: u.HomeDir, UID: uid, GID: gid}, nil
}

// Released is one feedback file put into a student's home.
type Released struct {
	Student, Assignment, Path string
}

// ReleaseFeedback copies the feedback pages in dir/feedback into each
// student's ~/klcourse/feedback/ASSIGNMENT/, owned by the student. It reads
// two layouts: "klcourse grade"'s, one run per assignment, with
// dir/feedback/STUDENT.html (assignment names the assignment; the page
// becomes ASSIGNMENT.html), and nbgrader's, dir/feedback/STUDENT/ASSIGNMENT/*
// (assignment empty). lookup finds a student's account (LookupStudent). It
// refuses to write through a symbolic link that a student put in the way.
func ReleaseFeedback(dir, assignment string, lookup func(string) (Student, error)) ([]Released, error) {
	root := filepath.Join(dir, "feedback")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("no feedback to release: %w (run klcourse grade first)", err)
	}
	type page struct{ student, assignment, src, name string }
	var pages []page
	for _, e := range entries {
		switch {
		case assignment != "" && e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".html"):
			pages = append(pages, page{strings.TrimSuffix(e.Name(), ".html"), assignment, filepath.Join(root, e.Name()), assignment + ".html"})
		case assignment == "" && e.IsDir():
			assignments, err := os.ReadDir(filepath.Join(root, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, a := range assignments {
				if !a.IsDir() {
					continue
				}
				files, err := os.ReadDir(filepath.Join(root, e.Name(), a.Name()))
				if err != nil {
					return nil, err
				}
				for _, f := range files {
					if f.Type().IsRegular() {
						pages = append(pages, page{e.Name(), a.Name(), filepath.Join(root, e.Name(), a.Name(), f.Name()), f.Name()})
					}
				}
			}
		}
	}
	if len(pages) == 0 {
		if assignment != "" {
			return nil, fmt.Errorf("no STUDENT.html in %s", root)
		}
		return nil, fmt.Errorf("no STUDENT/ASSIGNMENT/ folders in %s (for klcourse grade's STUDENT.html pages, name the assignment)", root)
	}
	var out []Released
	var errs []error
	for _, p := range pages {
		if !namePart.MatchString(p.student) || !namePart.MatchString(p.assignment) {
			errs = append(errs, fmt.Errorf("%s: not a student's or assignment's name", p.src))
			continue
		}
		st, err := lookup(p.student)
		if err != nil {
			errs = append(errs, fmt.Errorf("feedback for %s: %w", p.student, err))
			continue
		}
		dst, err := ownedDir(st, CourseDir, "feedback", p.assignment)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		target := filepath.Join(dst, p.name)
		if info, err := os.Lstat(target); err == nil && !info.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("%s is not a regular file: not replaced", target))
			continue
		}
		if err := copyFile(p.src, target); err != nil {
			return out, err
		}
		if err := os.Lchown(target, st.UID, st.GID); err != nil {
			return out, err
		}
		out = append(out, Released{Student: st.Name, Assignment: p.assignment, Path: target})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, errors.Join(errs...)
}

// ownedDir makes st.Home/parts... with every component a real directory
// owned by the student (created as such when missing), and returns it.
func ownedDir(st Student, parts ...string) (string, error) {
	dir := st.Home
	for _, p := range parts {
		dir = filepath.Join(dir, p)
		info, err := os.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// The student's alone: no other student reads their feedback.
			if err := os.Mkdir(dir, 0o700); err != nil {
				return "", err
			}
			if err := os.Lchown(dir, st.UID, st.GID); err != nil {
				return "", err
			}
		case err != nil:
			return "", err
		case !info.IsDir():
			return "", fmt.Errorf("%s is not a directory (a link or a file): no feedback written there", dir)
		}
	}
	return dir, nil
}
