package lab

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// prSetChildSubreaper is Linux's PR_SET_CHILD_SUBREAPER (prctl(2)).
const prSetChildSubreaper = 36

// Supervise runs path with args as a child of this process and stays its
// parent until it exits; it is what keeps a student's session from
// outliving the hub's "stop".
//
// The hub stops a student's server by signalling the one process it started.
// What that server started in turn need not go with it: GoNB starts gopls
// as a daemon listening on a socket, and gopls starts its own telemetry
// process; when the kernel exits they are orphaned and run on as the student
// (an account the lab may remove, a uid a later account may get). So
// Supervise makes this process a "child subreaper" (prctl(2)): every
// orphaned descendant is re-parented to it, not to init, and stays in its
// tree. Signals the hub sends (TERM, INT, HUP, QUIT) are passed on to the
// child; when the child has exited, every descendant still running gets
// SIGTERM, and SIGKILL after grace. Supervise reaps them all and returns the
// child's exit status (128+n for a child killed by signal n).
//
// log receives one line per descendant that had to be stopped.
func Supervise(path string, args, env []string, grace time.Duration, log io.Writer) (int, error) {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		// Without it orphans escape to init; the server still runs.
		fmt.Fprintf(log, "klcourse: could not become the subreaper of the session (%v): processes the kernels leave may outlive it\n", errno)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)

	proc, err := os.StartProcess(path, append([]string{path}, args...), &os.ProcAttr{
		Env:   env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		return 1, fmt.Errorf("starting %s: %w", path, err)
	}
	child := proc.Pid
	go func() {
		for s := range sigs {
			syscall.Kill(child, s.(syscall.Signal))
		}
	}()

	// Reap every child (the server and re-parented orphans) until the
	// server itself has exited.
	code := -1
	for code < 0 {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 1, fmt.Errorf("waiting for %s: %w", path, err)
		}
		if pid == child {
			code = exitCode(ws)
		}
	}
	stopDescendants(os.Getpid(), grace, log)
	return code, nil
}

func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// stopDescendants signals every descendant of pid with SIGTERM, waits up to
// grace for them to exit (reaping those that are its children), then kills
// what is left and reaps it.
func stopDescendants(pid int, grace time.Duration, log io.Writer) {
	defer reapExited()
	left := Descendants(pid)
	if len(left) == 0 {
		return
	}
	for _, d := range left {
		fmt.Fprintf(log, "klcourse: the session has ended: stopping %d (%s)\n", d, processName(d))
		syscall.Kill(d, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for {
		reapExited()
		if len(Descendants(pid)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range Descendants(pid) {
		fmt.Fprintf(log, "klcourse: %d (%s) did not stop in %s: killed\n", d, processName(d), grace)
		syscall.Kill(d, syscall.SIGKILL)
	}
	// A killed process is gone once its parent (this one, for the
	// re-parented) has reaped it.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		reapExited()
		if len(Descendants(pid)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reapExited collects the exit status of every child that has exited,
// without blocking.
func reapExited() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// Descendants lists the processes below pid (children, their children, …)
// that have not exited, from /proc. Zombies (exited, not yet reaped) are
// left out.
func Descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state, ok := procStat(p)
		if !ok || state == 'Z' || state == 'X' {
			continue
		}
		parent[p] = ppid
	}
	var out []int
	for p := range parent {
		for q, seen := parent[p], 0; seen < len(parent); q, seen = parent[q], seen+1 {
			if q == pid {
				out = append(out, p)
				break
			}
			if q <= 1 {
				break
			}
			if _, ok := parent[q]; !ok {
				break
			}
		}
	}
	return out
}

// statFields returns the fields of /proc/PID/stat after the command name
// (which, in parentheses, may itself hold spaces and parentheses): the
// state first, then the parent, …; nil when the process is gone.
func statFields(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// procStat reads a process's parent and state from /proc/PID/stat.
func procStat(pid int) (ppid int, state byte, ok bool) {
	f := statFields(pid)
	if len(f) < 2 || len(f[0]) == 0 {
		return 0, 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, false
	}
	return ppid, f[0][0], true
}

func processName(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		return "?"
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}
