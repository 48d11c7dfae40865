package lab

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"3G": 3 << 30, "1536M": 1536 << 20, "2GiB": 2 << 30, "512k": 512 << 10, "1000": 1000, "1.5G": 3 << 29} {
		if got, err := ParseBytes(s); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "lots", "-1G", "3X"} {
		if _, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) accepted", s)
		}
	}
	if FormatBytes(3<<30) != "3G" || FormatBytes(1536<<20) != "1536M" {
		t.Errorf("FormatBytes: %s %s", FormatBytes(3<<30), FormatBytes(1536<<20))
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits.Validate(); err != nil {
		t.Error(err)
	}
	if err := (Limits{}).Validate(); err != nil {
		t.Error(err)
	}
	for _, l := range []Limits{{Memory: 100 << 20}, {CPU: 0.01}, {Tasks: 10}, {Memory: -1}} {
		if err := l.Validate(); err == nil {
			t.Errorf("%+v accepted", l)
		}
	}
}

// TestSpawnerPython: the configuration lines parse as Python and carry the
// limits; without limits, the plain spawner.
func TestSpawnerPython(t *testing.T) {
	py := "c = get_config()\n" + (Limits{Memory: 2 << 30, CPU: 1.5, Tasks: 1024}).SpawnerPython()
	for _, want := range []string{`"memory": 2147483648, "cpu": 1.5, "tasks": 1024`, "class KlcourseSpawner(_LocalProcessSpawner)", "c.JupyterHub.spawner_class = KlcourseSpawner"} {
		if !strings.Contains(py, want) {
			t.Errorf("the spawner lacks %q", want)
		}
	}
	if !strings.Contains((Limits{}).SpawnerPython(), `"jupyterhub.spawner.LocalProcessSpawner"`) {
		t.Error("no limits: not the plain spawner")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to parse the configuration")
	}
	cmd := exec.Command(python, "-c", "import ast, sys; ast.parse(sys.stdin.read())")
	cmd.Stdin = strings.NewReader(py)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the spawner does not parse as Python: %v\n%s", err, out)
	}
}

// runawayCell spins two cores for 40 s, then allocates without end: what a
// student's bug does. It uses pkg/course, as every lecture cell does, so its
// memory watch runs.
const runawayCell = `%%
fmt.Printf("Running in %s mode; allocating.\n", course.Mode())
end := time.Now().Add(40 * time.Second)
for i := 0; i < 2; i++ {
	go func() {
		for time.Now().Before(end) {
		}
	}()
}
time.Sleep(time.Until(end))
var hog [][]byte
for {
	b := make([]byte, 32<<20)
	for i := range b {
		b[i] = 1
	}
	hog = append(hog, b)
}`

// TestLabRunaway: with per-student limits (2.5 GiB, one core), one student
// runs a cell that burns two cores and then allocates without end, while
// another runs the exercise's self-check: the self-check answers within its
// budget, the runaway cell is stopped with the message of pkg/course's
// memory watch, and its owner's kernel still runs cells. It needs what
// TestLabEndToEnd needs (root, setup --system, RequireEnv=1) and cgroups
// the hub can write.
func TestLabRunaway(t *testing.T) {
	root, prefix, _ := labInstalled(t, "runaway")
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
			skipOrFail(t, "no cgroup file system at /sys/fs/cgroup (neither v2 nor v1's memory controller)")
		}
	}
	klcourse := filepath.Join(prefix, "bin", "klcourse")
	lab := newTestLab(t, klcourse, "klcourse-runaway-", "klra", "klrb")
	// 2.5 GiB, below the lab's default of 3: the watch blames a cell once
	// it holds half of the student's memory, and the student's gopls alone
	// holds 0.7 to 0.9 GiB, so at 1.5 GiB the kernel's OOM killer could
	// strike first (it did, in a CI run).
	limits := Limits{Memory: 2560 << 20, CPU: 1, Tasks: 2048}
	// The generated configuration with the limited spawner appended (its
	// spawner_class assignment is the one that counts).
	f, err := os.OpenFile(lab.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n" + limits.SpawnerPython())
	f.Close()
	stopHub := lab.startHub(t, filepath.Join(lab.scratch, "hub-runaway.log"))
	defer func() {
		stopHub()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(lab.scratch, "hub-runaway.log"))
			t.Logf("the hub's log:\n%s", lastLines(string(b), 60))
		}
	}()

	cells := cellsUpToTraining(t, filepath.Join(root, "solutions", loadAssignment+".ipynb"))
	var setup []string
	check := ""
	for _, c := range cells {
		if CellKind(c) == "self-check" {
			check = c
			break
		}
		setup = append(setup, c)
	}
	if check == "" {
		t.Fatal("the exercise has no self-check before its training")
	}
	cfg := LoadConfig{Base: lab.base, Notebook: CourseDir + "/exercises/" + loadAssignment + ".ipynb",
		StartTimeout: 5 * time.Minute, KernelTimeout: 3 * time.Minute, CellTimeout: 5 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	kernels := map[string]*kernel{}
	for _, name := range lab.students {
		k := openKernel(t, ctx, cfg, Account{Name: name, Password: lab.passwords[name]})
		for i, c := range setup {
			if _, err := k.execute(ctx, c); err != nil {
				t.Fatalf("%s: setup cell %d: %v", name, i, err)
			}
		}
		kernels[name] = k
	}
	a, b := lab.students[0], lab.students[1]
	checkCgroup(t, a, limits)

	// B's self-check alone, the second time (the first compiles it): the
	// baseline.
	var alone time.Duration
	for i := 0; i < 2; i++ {
		start := time.Now()
		if _, err := kernels[b].execute(ctx, check); err != nil {
			t.Fatalf("%s's self-check: %v", b, err)
		}
		alone = time.Since(start)
	}

	type result struct {
		out string
		err error
		dur time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		out, err := kernels[a].execute(ctx, runawayCell)
		done <- result{out, err, time.Since(start)}
	}()
	time.Sleep(10 * time.Second) // A's cell is burning its core(s)
	start := time.Now()
	if _, err := kernels[b].execute(ctx, check); err != nil {
		t.Errorf("%s's self-check during the runaway: %v", b, err)
	}
	during := time.Since(start)
	budget := 2*alone + 15*time.Second
	t.Logf("%s's self-check: %.1f s alone, %.1f s while %s's cell ran away (budget %.0f s)", b, alone.Seconds(), during.Seconds(), a, budget.Seconds())
	if during > budget {
		t.Errorf("%s's self-check took %.1f s during the runaway, over its budget of %.0f s", b, during.Seconds(), budget.Seconds())
	}
	r := <-done
	t.Logf("%s's runaway cell ended after %.1f s: %v\n%s", a, r.dur.Seconds(), r.err, lastLines(r.out, 8))
	if r.err == nil {
		t.Errorf("the runaway cell succeeded")
	}
	if !strings.Contains(r.out, "klcourse: this cell was stopped") {
		t.Errorf("the runaway cell's output does not say why it stopped:\n%s", r.out)
	}
	if out, err := kernels[a].execute(ctx, "%%\nfmt.Println(\"still here\")"); err != nil || !strings.Contains(out, "still here") {
		t.Errorf("%s's kernel after the runaway: %q, %v", a, out, err)
	}
}

// openKernel logs a student in, starts the server and a GoNB kernel on the
// exercise; the test's cleanup stops them.
func openKernel(t *testing.T, ctx context.Context, cfg LoadConfig, a Account) *kernel {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(cfg.Base)
	s := &student{cfg: cfg, name: a.Name, client: &http.Client{Jar: jar, Timeout: 2 * time.Minute}, base: base}
	if err := s.login(ctx, a.Password); err != nil {
		t.Fatalf("%s: login: %v", a.Name, err)
	}
	if err := s.startServer(ctx); err != nil {
		t.Fatalf("%s: server: %v", a.Name, err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.stopServer(c)
	})
	k, err := s.startKernel(ctx)
	if err != nil {
		t.Fatalf("%s: kernel: %v", a.Name, err)
	}
	t.Cleanup(k.close)
	return k
}

// checkCgroup checks that the student's processes run in a cgroup with the
// memory limit.
func checkCgroup(t *testing.T, name string, l Limits) {
	t.Helper()
	for _, path := range []string{
		"/sys/fs/cgroup/klcourse/" + name + "/memory.max",
		"/sys/fs/cgroup/memory/klcourse/" + name + "/memory.limit_in_bytes",
	} {
		if b, err := os.ReadFile(path); err == nil {
			if got := strings.TrimSpace(string(b)); got != strconv.FormatInt(l.Memory, 10) {
				t.Errorf("%s = %s, want %d", path, got, l.Memory)
			}
			return
		}
	}
	t.Errorf("no memory cgroup for %s under /sys/fs/cgroup", name)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkNoCgroup reports (and removes) a cgroup of the student's that
// outlived their server: the hub's spawner removes them when it stops one.
func checkNoCgroup(t *testing.T, name string) {
	t.Helper()
	for _, d := range []string{
		"/sys/fs/cgroup/klcourse/" + name,
		"/sys/fs/cgroup/memory/klcourse/" + name,
		"/sys/fs/cgroup/cpu/klcourse/" + name,
		"/sys/fs/cgroup/pids/klcourse/" + name,
	} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s's cgroup %s is left behind after the hub stopped", name, d)
			os.Remove(d)
		}
	}
}
