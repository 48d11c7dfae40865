package course

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// In a lab, each student's processes share a memory limit (a cgroup, set by
// the hub; see internal/lab's Limits). A cell that allocates without end
// would be killed by the kernel at that limit, and the student would see
// only "signal: killed". So every program that imports this package (every
// notebook cell) watches, when it runs inside a limited cgroup, the
// cgroup's anonymous memory, every 20 ms; when it comes within the headroom
// of the limit (stopAt) while this program holds most of it, the program
// stops itself with a message that says why. Outside a limited cgroup
// nothing runs.

// stopAt is the anonymous memory at which a cell stops itself: the limit
// less a headroom of 15 % of it, and at least 384 MiB, which a program that
// allocates as fast as it can (a few GB/s) does not cross between two looks.
func stopAt(limit int64) int64 {
	return limit - max(limit*15/100, 384<<20)
}

// memWatchOff, set to a true value, turns the watch off.
const memWatchOff = "KLCOURSE_MEMWATCH_OFF"

func init() {
	if parseBool(os.Getenv(memWatchOff)) {
		return
	}
	cg, ok := ownMemoryCgroup("/proc/self/cgroup", "/sys/fs/cgroup")
	if !ok {
		return
	}
	limit, ok := cg.limit()
	if !ok {
		return
	}
	go watchMemory(cg, limit, 20*time.Millisecond, func(msg string) {
		fmt.Fprint(os.Stderr, msg)
		os.Exit(3)
	})
}

// memCgroup is a process's memory cgroup: its folder, and whether it is
// cgroup v2's unified hierarchy.
type memCgroup struct {
	dir string
	v2  bool
}

// ownMemoryCgroup finds this process's memory cgroup from procCgroup
// (/proc/self/cgroup) under the cgroup file system at root.
func ownMemoryCgroup(procCgroup, root string) (memCgroup, bool) {
	b, err := os.ReadFile(procCgroup)
	if err != nil {
		return memCgroup{}, false
	}
	var v2path string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return memCgroup{dir: filepath.Join(root, "memory", parts[2])}, true
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			v2path = parts[2]
		}
	}
	if v2path != "" {
		if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err == nil {
			return memCgroup{dir: filepath.Join(root, v2path), v2: true}, true
		}
	}
	return memCgroup{}, false
}

// limit is the cgroup's memory limit in bytes; false when there is none.
func (c memCgroup) limit() (int64, bool) {
	name := "memory.limit_in_bytes"
	if c.v2 {
		name = "memory.max"
	}
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	// cgroup v1 says "no limit" with a huge number (a page-rounded 2^63).
	if err != nil || v <= 0 || v >= 1<<62 {
		return 0, false
	}
	return v, true
}

// anon is the cgroup's anonymous memory (what a program allocates; not the
// page cache of the files Go's builds write), in bytes.
func (c memCgroup) anon() (int64, bool) {
	f, err := os.Open(filepath.Join(c.dir, "memory.stat"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	key := "total_rss"
	if c.v2 {
		key = "anon"
	}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), " "); ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ownRSS is this process's resident memory, from statm.
func ownRSS(statm string) int64 {
	b, err := os.ReadFile(statm)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// watchMemory checks the cgroup every period; when its anonymous memory
// reaches stopAt(limit) and this program holds at least half of it, it
// calls stop with the message for the student, once.
func watchMemory(c memCgroup, limit int64, period time.Duration, stop func(string)) {
	for {
		time.Sleep(period)
		if msg := memoryVerdict(c, limit, ownRSS("/proc/self/statm")); msg != "" {
			stop(msg)
			return
		}
	}
}

// memoryVerdict is watchMemory's test: the message, or "".
func memoryVerdict(c memCgroup, limit, own int64) string {
	anon, ok := c.anon()
	if !ok || anon < stopAt(limit) || 2*own < anon {
		return ""
	}
	return MemoryMessage(own, limit)
}

// MemoryMessage is what a student reads when a cell used too much memory.
func MemoryMessage(own, limit int64) string {
	return fmt.Sprintf("\nklcourse: this cell was stopped: it used %.1f GiB, and everything you run in this lab may use %.1f GiB "+
		"(the limit keeps the machine responsive for the whole class). Work on less data at once (a smaller batch, "+
		"fewer samples, or quick mode: %%env %s=1), or ask your instructor.\n", gib(own), gib(limit), QuickEnv)
}

func gib(n int64) float64 { return float64(n) / (1 << 30) }
