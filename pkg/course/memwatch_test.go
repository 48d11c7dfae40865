package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryWatchV1 and V2: the watch finds the process's memory cgroup
// and its limit in either hierarchy, and speaks only when the cgroup's
// anonymous memory comes within the headroom of the limit (2 GiB less
// 384 MiB here) and this program holds most of it.
func TestMemoryWatchV1(t *testing.T) {
	root := t.TempDir()
	proc := filepath.Join(root, "proc-cgroup")
	writeFile(t, proc, "9:name=systemd:/\n4:memory:/klcourse/alice\n1:cpu:/klcourse/alice\n0::/\n")
	dir := filepath.Join(root, "memory", "klcourse", "alice")
	writeFile(t, filepath.Join(dir, "memory.limit_in_bytes"), "2147483648\n")
	writeFile(t, filepath.Join(dir, "memory.stat"), "cache 900000000\nrss 10\ntotal_cache 900000000\ntotal_rss 1500000000\n")
	cg, ok := ownMemoryCgroup(proc, root)
	if !ok || cg.dir != dir || cg.v2 {
		t.Fatalf("cgroup %+v, %v", cg, ok)
	}
	limit, ok := cg.limit()
	if !ok || limit != 2147483648 {
		t.Fatalf("limit %d, %v", limit, ok)
	}
	if msg := memoryVerdict(cg, limit, 1_400_000_000); msg != "" {
		t.Errorf("1.5 GB of 2 GiB (the page cache not counted) stopped the cell: %q", msg)
	}
	if got := stopAt(limit); got != limit-384<<20 {
		t.Errorf("stopAt(2 GiB) = %d, want the limit less 384 MiB", got)
	}
	if got := stopAt(10 << 30); got != 10<<30-(10<<30)*15/100 {
		t.Errorf("stopAt(10 GiB) = %d, want the limit less 15 %%", got)
	}
	writeFile(t, filepath.Join(dir, "memory.stat"), "total_cache 10\ntotal_rss 2000000000\n")
	if msg := memoryVerdict(cg, limit, 500_000_000); msg != "" {
		t.Errorf("a cell holding a quarter of the memory was blamed: %q", msg)
	}
	msg := memoryVerdict(cg, limit, 1_800_000_000)
	if !strings.Contains(msg, "this cell was stopped: it used 1.7 GiB") || !strings.Contains(msg, "may use 2.0 GiB") {
		t.Errorf("message %q", msg)
	}
	// No limit: cgroup v1's "unlimited".
	writeFile(t, filepath.Join(dir, "memory.limit_in_bytes"), "9223372036854771712\n")
	if _, ok := cg.limit(); ok {
		t.Error("v1's unlimited value read as a limit")
	}
}

func TestMemoryWatchV2(t *testing.T) {
	root := t.TempDir()
	proc := filepath.Join(root, "proc-cgroup")
	writeFile(t, proc, "0::/klcourse/bob\n")
	if _, ok := ownMemoryCgroup(proc, root); ok {
		t.Fatal("found a v2 cgroup without the unified hierarchy")
	}
	writeFile(t, filepath.Join(root, "cgroup.controllers"), "cpu memory pids\n")
	dir := filepath.Join(root, "klcourse", "bob")
	writeFile(t, filepath.Join(dir, "memory.max"), "max\n")
	writeFile(t, filepath.Join(dir, "memory.stat"), "anon 1900000000\nfile 5\n")
	cg, ok := ownMemoryCgroup(proc, root)
	if !ok || !cg.v2 || cg.dir != dir {
		t.Fatalf("cgroup %+v, %v", cg, ok)
	}
	if _, ok := cg.limit(); ok {
		t.Error(`"max" read as a limit`)
	}
	writeFile(t, filepath.Join(dir, "memory.max"), "2000000000\n")
	limit, _ := cg.limit()
	if memoryVerdict(cg, limit, 1_500_000_000) == "" {
		t.Error("95 % of the limit, most of it this cell's: no message")
	}
}
