// Package nothingleft is for tests that check the course's promise on
// privacy: a command leaves nothing behind in the folders it was given (the
// temporary folder, the home directory) but the caches the README names, and
// connects nowhere but to this machine.
package nothingleft

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Files lists what is under dir, as paths relative to it, every folder and
// file, leaving out those under the relative paths in allowed (and allowed's
// own parent folders). An empty or missing dir gives nil.
func Files(dir string, allowed ...string) []string {
	var found []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if path == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		for _, a := range allowed {
			a = filepath.Clean(a)
			if rel == a || strings.HasPrefix(rel, a+string(filepath.Separator)) {
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(a, rel+string(filepath.Separator)) {
				return nil // a parent of an allowed path
			}
		}
		found = append(found, rel)
		return nil
	})
	sort.Strings(found)
	return found
}

// Since lists the paths in after that are not in before.
func Since(before, after []string) []string {
	seen := map[string]bool{}
	for _, p := range before {
		seen[p] = true
	}
	var added []string
	for _, p := range after {
		if !seen[p] {
			added = append(added, p)
		}
	}
	return added
}

// Trace makes cmd run under strace, which records every connect, sendto
// and sendmsg of cmd and of every process it starts in traceFile. It
// reports false, leaving cmd as it is, when strace is not installed or
// cannot trace here (no ptrace in the container).
func Trace(cmd *exec.Cmd, traceFile string) bool {
	strace, err := exec.LookPath("strace")
	if err != nil {
		return false
	}
	if exec.Command(strace, "-f", "-qq", "-e", "trace=connect", "-o", os.DevNull, "true").Run() != nil {
		return false
	}
	args := append([]string{strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg", "-o", traceFile, "--", cmd.Path}, cmd.Args[1:]...)
	cmd.Path, cmd.Args = strace, args
	return true
}

var (
	inet4 = regexp.MustCompile(`sa_family=AF_INET, .*?inet_addr\("([^"]*)"\)`)
	inet6 = regexp.MustCompile(`sa_family=AF_INET6, .*?inet_pton\(AF_INET6, "([^"]*)"`)
)

// ForeignConnects returns the lines of a trace written by Trace in which a
// process connected or sent to an address outside the loopback (Unix
// sockets and netlink are local and not reported).
func ForeignConnects(traceFile string) ([]string, error) {
	f, err := os.Open(traceFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var foreign []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if !strings.Contains(line, "sa_family=AF_INET") {
			continue // local: Unix sockets, netlink (whose messages may name AF_INET)
		}
		if m := inet4.FindStringSubmatch(line); m != nil {
			if !strings.HasPrefix(m[1], "127.") {
				foreign = append(foreign, line)
			}
			continue
		}
		if m := inet6.FindStringSubmatch(line); m != nil {
			if m[1] != "::1" && !strings.HasPrefix(m[1], "::ffff:127.") {
				foreign = append(foreign, line)
			}
			continue
		}
		foreign = append(foreign, line) // an Internet address strace printed otherwise
	}
	if err := s.Err(); err != nil {
		return foreign, fmt.Errorf("%s: %w", traceFile, err)
	}
	return foreign, nil
}
