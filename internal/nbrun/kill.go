package nbrun

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// KillTagged kills every process whose environment carries TagEnv=tag — the
// kernel of a notebook run and whatever it started, even those that were
// re-parented to init or moved to a process group of their own — and waits
// (a few seconds at most) until none is left. It reads /proc; where there is
// none (not Linux), it does nothing.
func KillTagged(tag string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := Tagged(tag)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Tagged returns the processes, other than this one, whose environment
// carries TagEnv=tag. Zombies have no environment left and are not listed.
func Tagged(tag string) []int {
	return ProcessesWithEnv(TagEnv + "=" + tag)
}

// ProcessesWithEnv returns the live processes, other than this one, with the
// environment entry entry (e.g. "TMPDIR=/tmp/x"). Processes of other users,
// whose environment cannot be read, are not listed.
func ProcessesWithEnv(entry string) []int {
	want := []byte(entry)
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}
