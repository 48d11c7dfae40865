package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Limits are what one student's processes together may use (server,
// kernels, gopls, Go's builds, the cells' programs): so that one runaway
// cell cannot starve the class.
//
// They are cgroups, set by the hub itself: the spawner (a LocalProcessSpawner
// that the generated configuration extends) makes a cgroup per student
// before it starts the server, as root, writes the limits, and the server's
// process joins it before it becomes the student; everything the server
// starts stays in it. Both hierarchies work: cgroup v2 (the unified one of
// current distributions, /sys/fs/cgroup/klcourse/STUDENT) and v1 (the
// memory, cpu and pids controllers' klcourse/STUDENT). Why not systemd units
// through jupyterhub-systemdspawner, the other well-kept way: it needs
// systemd as PID 1, which containers and many lab images lack, and a
// dependency more; the cgroups are what its units would set.
//
// At the memory limit the kernel kills the largest process of the student's
// (the cell's program, in practice); before that, pkg/course's watch stops
// the cell with a message that says why. CPU is a quota (a student's
// processes together get at most CPU cores' worth of time; an endless loop
// only slows its owner); Tasks caps processes and threads.
type Limits struct {
	Memory int64   // bytes; 0: no limit
	CPU    float64 // cores; 0: no limit
	Tasks  int     // processes and threads; 0: no limit
}

// DefaultLimits are the lab's limits unless setup is told otherwise: 3 GiB,
// one core, 2048 tasks (a GoNB session with gopls and a build runs ~300
// threads).
var DefaultLimits = Limits{Memory: 3 << 30, CPU: 1, Tasks: 2048}

// LimitsEnv set to "off" gives the lab no per-student limits (DefaultHubConfig,
// and so setup --system): for a machine whose cgroups the hub cannot write.
const LimitsEnv = "KLCOURSE_LAB_LIMITS"

// CgroupKind says which cgroup hierarchy the spawner will write — "v2" or
// "v1" — or why it cannot: the limits need /sys/fs/cgroup writable by root.
func CgroupKind() (string, error) {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		if err := unix.Access("/sys/fs/cgroup/cgroup.subtree_control", unix.W_OK); err != nil {
			return "", fmt.Errorf("cgroup v2 at /sys/fs/cgroup is not writable here (%v)", err)
		}
		return "v2", nil
	}
	for _, ctrl := range []string{"memory", "cpu", "pids"} {
		if err := unix.Access(filepath.Join("/sys/fs/cgroup", ctrl), unix.W_OK); err != nil {
			return "", fmt.Errorf("no writable cgroup v1 %s controller at /sys/fs/cgroup/%s (%v)", ctrl, ctrl, err)
		}
	}
	return "v1", nil
}

// Any reports whether any limit is set.
func (l Limits) Any() bool { return l.Memory > 0 || l.CPU > 0 || l.Tasks > 0 }

// Validate checks the limits are ones a student's session can run under.
func (l Limits) Validate() error {
	switch {
	case l.Memory < 0 || (l.Memory > 0 && l.Memory < 512<<20):
		return fmt.Errorf("memory limit %s: want 0 (none) or at least 512M (a GoNB session needs about 400 MiB before any cell)", FormatBytes(l.Memory))
	case l.CPU < 0 || (l.CPU > 0 && l.CPU < 0.1):
		return fmt.Errorf("CPU limit %g: want 0 (none) or at least 0.1 cores", l.CPU)
	case l.Tasks < 0 || (l.Tasks > 0 && l.Tasks < 256):
		return fmt.Errorf("task limit %d: want 0 (none) or at least 256 (gopls and Go's builds run hundreds of threads)", l.Tasks)
	}
	return nil
}

// ParseBytes reads a size: a number of bytes, or with a suffix K, M, G
// (powers of 1024; "3G", "1536M").
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for suffix, m := range map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40} {
		if t, ok := strings.CutSuffix(strings.TrimSuffix(s, "IB"), suffix); ok && t != s {
			s, mult = t, m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes, or one with K, M or G, such as 3G", s)
	}
	return int64(v * float64(mult)), nil
}

// FormatBytes writes a size the way ParseBytes reads it.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dG", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	}
	return strconv.FormatInt(n, 10)
}

// limitsPython is the spawner the hub configuration uses when limits are
// set: LocalProcessSpawner, with the student's cgroup made before the start
// and joined by the server's process before it drops to the student.
const limitsPython = `
import os as _os
from jupyterhub.spawner import LocalProcessSpawner as _LocalProcessSpawner

_KLCOURSE_LIMITS = {"memory": %d, "cpu": %g, "tasks": %d}


def _klcourse_write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def _klcourse_cgroups(user):
    """The student's cgroup folders, made and limited (as root, in the hub)."""
    lim = _KLCOURSE_LIMITS
    if _os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # cgroup v2
        base = "/sys/fs/cgroup/klcourse"
        _os.makedirs(base, exist_ok=True)
        for parent in ("/sys/fs/cgroup", base):
            _klcourse_write(parent + "/cgroup.subtree_control", "+memory +cpu +pids")
        d = base + "/" + user
        _os.makedirs(d, exist_ok=True)
        if lim["memory"]:
            _klcourse_write(d + "/memory.max", lim["memory"])
            _klcourse_write(d + "/memory.swap.max", 0)
        if lim["cpu"]:
            _klcourse_write(d + "/cpu.max", "%%d 100000" %% int(lim["cpu"] * 100000))
        if lim["tasks"]:
            _klcourse_write(d + "/pids.max", lim["tasks"])
        return [d]
    dirs = []
    for ctrl, values in (
        ("memory", [("memory.limit_in_bytes", lim["memory"]), ("memory.memsw.limit_in_bytes", lim["memory"])] if lim["memory"] else []),
        ("cpu", [("cpu.cfs_period_us", 100000), ("cpu.cfs_quota_us", int(lim["cpu"] * 100000))] if lim["cpu"] else []),
        ("pids", [("pids.max", lim["tasks"])] if lim["tasks"] else []),
    ):
        if not values:
            continue
        d = "/sys/fs/cgroup/%%s/klcourse/%%s" %% (ctrl, user)
        _os.makedirs(d, exist_ok=True)
        for name, value in values:
            try:
                _klcourse_write(d + "/" + name, value)
            except OSError:
                if name != "memory.memsw.limit_in_bytes":  # absent without swap accounting
                    raise
        dirs.append(d)
    return dirs


def _klcourse_cgroup_paths(user):
    """Every cgroup folder _klcourse_cgroups may have made for user."""
    if _os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return ["/sys/fs/cgroup/klcourse/" + user]
    return ["/sys/fs/cgroup/%%s/klcourse/%%s" %% (ctrl, user) for ctrl in ("memory", "cpu", "pids")]


def _klcourse_kill_cgroup(d):
    """Kills whatever still runs in the cgroup d: a student's background job
    (nohup, setsid) or a kernel orphaned by a forced stop must not outlive
    the server."""
    import signal
    if _os.path.exists(d + "/cgroup.kill"):  # cgroup v2, Linux >= 5.14
        try:
            _klcourse_write(d + "/cgroup.kill", 1)
            return
        except OSError:
            pass
    try:
        with open(d + "/cgroup.procs") as f:
            pids = [int(line) for line in f if line.strip()]
    except OSError:
        return
    for pid in pids:
        try:
            _os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


async def _klcourse_remove_cgroups(user, log):
    """Removes the student's cgroups when their server has stopped: what is
    still running in them after a grace of 3 s is killed, and the empty
    cgroup removed, so that a stopped server leaves neither processes nor
    cgroups behind."""
    import asyncio
    for d in _klcourse_cgroup_paths(user):
        for attempt in range(150):
            try:
                _os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError as e:
                if attempt == 149:
                    log.warning("klcourse: could not remove %%s: %%s", d, e)
                    break
                if attempt >= 30:  # 3 s after the server stopped
                    _klcourse_kill_cgroup(d)
                await asyncio.sleep(0.1)


class KlcourseSpawner(_LocalProcessSpawner):
    """LocalProcessSpawner whose servers run inside the student's cgroup."""

    _klcourse_dirs = []

    async def start(self):
        # Without its cgroup a student's server does not start: a lab that
        # asked for limits never runs a student without them.
        self._klcourse_dirs = _klcourse_cgroups(self.user.name)
        self.log.info("klcourse: %%s's server runs in %%s", self.user.name, ", ".join(self._klcourse_dirs))
        return await super().start()

    async def stop(self, now=False):
        try:
            return await super().stop(now=now)
        finally:
            await _klcourse_remove_cgroups(self.user.name, self.log)

    def make_preexec_fn(self, name):
        drop = super().make_preexec_fn(name)
        dirs = list(self._klcourse_dirs)

        def preexec():
            pid = str(_os.getpid())
            for d in dirs:
                _klcourse_write(d + "/cgroup.procs", pid)
            drop()

        return preexec


c.JupyterHub.spawner_class = KlcourseSpawner
`

// SpawnerPython returns the configuration lines that set the spawner: with
// limits, the cgroup-limited spawner above; without, LocalProcessSpawner.
func (l Limits) SpawnerPython() string {
	if !l.Any() {
		return `c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"` + "\n"
	}
	return fmt.Sprintf("# Per-student limits (memory %s, CPU %g cores, %d tasks; 0: none), as cgroups.",
		FormatBytes(l.Memory), l.CPU, l.Tasks) + fmt.Sprintf(limitsPython, l.Memory, l.CPU, l.Tasks)
}
