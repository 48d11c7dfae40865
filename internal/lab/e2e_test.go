package lab

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/browser"
	"github.com/klcourse/klcourse/internal/notebook"
)

// RequireEnv, set to 1, runs the end-to-end test and turns its skips into
// failures (for a machine that is meant to be a lab).
const RequireEnv = "KLCOURSE_REQUIRE_LAB"

// OutEnv names the folder where the end-to-end test keeps its screenshots
// and the hub's log; build/lab-test in the module when unset.
const OutEnv = "KLCOURSE_LAB_OUT"

// The exercise the test works, and the cells it touches (by their content,
// not their index, so that the exercise can change).
const (
	e2eAssignment = "03_reverse_kl_fit"
	todoMarker    = "// TODO: write your code here."
)

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf(RequireEnv+"=1, but "+format, args...)
	}
	t.Skipf("lab end-to-end test skipped: "+format, args...)
}

// A testLab is what a lab test works on: a scratch folder that the students
// can reach (the exchange, the instructor's course folder, the hub's
// state), throw-away students with their passwords, and a hub on 127.0.0.1
// with the configuration "klcourse lab hub-config" generates.
type testLab struct {
	scratch, state string
	ex             Exchange
	students       []string
	passwords      map[string]string
	tag            string // the random part of the students' names
	cfg, base      string // the hub's configuration file and URL
	apiPort        int    // the proxy's API
}

// newTestLab makes the scratch folder (removed with the test), adds one
// throw-away student per prefix (the prefix and a random tag; removed with
// the test) and writes the hub's configuration for klcourse, the installed
// tool.
func newTestLab(t *testing.T, klcourse, scratchPattern string, prefixes ...string) *testLab {
	t.Helper()
	scratch, err := os.MkdirTemp("", scratchPattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(scratch) })
	if err := os.Chmod(scratch, 0o755); err != nil {
		t.Fatal(err)
	}
	lab := &testLab{scratch: scratch, state: filepath.Join(scratch, "hub"), passwords: map[string]string{},
		ex: Exchange{Root: filepath.Join(scratch, "exchange"), Course: "klcourse"}}
	if err := lab.ex.Create(); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(lab.state, 0o700); err != nil {
		t.Fatal(err)
	}
	var rnd [3]byte
	rand.Read(rnd[:])
	tag := hex.EncodeToString(rnd[:])
	lab.tag = tag
	for _, prefix := range prefixes {
		s := prefix + tag
		lab.students = append(lab.students, s)
		lab.passwords[s] = s + "-pw-" + tag
		addStudent(t, s, lab.passwords[s])
	}
	port, hubPort, apiPort := freePort(t), freePort(t), freePort(t)
	lab.cfg = filepath.Join(lab.state, "jupyterhub_config.py")
	gen := exec.Command(klcourse, "lab", "hub-config", "--out", lab.cfg, "--ip", "127.0.0.1",
		"--port", strconv.Itoa(port), "--hub-port", strconv.Itoa(hubPort), "--proxy-api-port", strconv.Itoa(apiPort),
		"--state", lab.state, "--klcourse", klcourse,
		"--env", "KLCOURSE_EXCHANGE="+lab.ex.Root, "--env", "KLCOURSE_QUICK=1")
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("hub-config: %v\n%s", err, b)
	}
	lab.base, lab.apiPort = fmt.Sprintf("http://127.0.0.1:%d", port), apiPort
	return lab
}

// startHub starts the lab's hub, logging to logPath, and returns the
// function that stops it (see startHub).
func (lab *testLab) startHub(t *testing.T, logPath string) func() {
	return startHub(t, lab.cfg, lab.state, logPath, lab.base)
}

// labInstalled skips a lab test unless it is asked for (RequireEnv=1, not
// -short), and fails (or skips, see skipOrFail) unless it runs as root and
// the tools it needs are installed and `klcourse setup --system --check` passes, and
// returns the checkout's root, the install's prefix and the folder where
// the test writes what it shows (screenshots, logs).
func labInstalled(t *testing.T, test string, tools ...string) (root, prefix, out string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("lab %s test skipped in -short mode (it takes minutes)", test)
	}
	if os.Getenv(RequireEnv) != "1" {
		// It creates and removes system accounts and takes many minutes:
		// it runs only where asked for, on a machine meant to be a lab.
		t.Skipf("lab %s test skipped: it runs only with %s=1, as root, after `klcourse setup --system` (README, \"A computer lab\")", test, RequireEnv)
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "it must run as root (it creates accounts and runs JupyterHub, which runs each student's server as the student)")
	}
	tools = append([]string{"jupyterhub", "jupyterhub-singleuser", "configurable-http-proxy", "useradd", "userdel", "chpasswd"}, tools...)
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s is not installed (Debian: jupyterhub brings the hub and its proxy; passwd and util-linux the account tools)", tool)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	prefix = "/opt/klcourse"
	check := exec.Command(filepath.Join(prefix, "bin", "klcourse"), "setup", "--system", "--check", "--prefix", prefix)
	check.Dir = root
	if text, err := check.CombinedOutput(); err != nil {
		skipOrFail(t, "the machine-wide install is missing or out of date; run `go run ./cmd/klcourse setup --system` as root first:\n%s", text)
	}
	out = os.Getenv(OutEnv)
	if out == "" {
		out = filepath.Join(root, "build", "lab-test")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return root, prefix, out
}

// TestLabEndToEnd is the lab as students and an instructor use it: the hub
// on 127.0.0.1, two throw-away student accounts that log in through the
// login page in headless Chromium, work the exercise in the notebook's web
// interface (run cells, write the answer, self-check, Tab completion) and
// submit; then collect, grade and release the feedback, which each
// student opens in the browser. Everything it starts is stopped and the
// accounts are removed.
func TestLabEndToEnd(t *testing.T) {
	root, prefix, out := labInstalled(t, "end-to-end")
	if _, err := browser.Find(); err != nil {
		skipOrFail(t, "%v", err)
	}
	klcourse := filepath.Join(prefix, "bin", "klcourse")
	start := time.Now()
	defer func() {
		t.Logf("the lab end-to-end test took %.0fs; screenshots and the hub's log in %s", time.Since(start).Seconds(), out)
	}()

	// The hub, with the configuration "klcourse lab hub-config" generates,
	// and two throw-away students.
	lab := newTestLab(t, klcourse, "klcourse-lab-", "klta", "kltb")
	students, passwords, ex, scratch, base := lab.students, lab.passwords, lab.ex, lab.scratch, lab.base
	stopHub := lab.startHub(t, filepath.Join(out, "hub.log"))
	defer stopHub()

	solution := answerFromSolution(t, filepath.Join(root, "solutions", e2eAssignment+".ipynb"))
	for i, s := range students {
		if !t.Run(s, func(t *testing.T) { studentSession(t, base, s, passwords[s], solution, out, i == 0) }) && !submitted(ex, s) {
			return
		}
	}

	// The instructor: collect, grade, release the feedback.
	course := filepath.Join(scratch, "course")
	run(t, root, []string{"KLCOURSE_EXCHANGE=" + ex.Root}, klcourse, "lab", "collect", "--course", course)
	for _, s := range students {
		if _, err := os.Stat(filepath.Join(course, "submitted", s, e2eAssignment, e2eAssignment+".ipynb")); err != nil {
			t.Fatalf("collect: %v", err)
		}
	}
	graded := filepath.Join(course, "graded", e2eAssignment)
	run(t, root, nil, "go", "run", "./cmd/klcourse", "grade", "--quick", "--solution", filepath.Join("solutions", e2eAssignment+".ipynb"),
		"--out", graded, filepath.Join(course, "submitted"))
	run(t, root, nil, klcourse, "lab", "release-feedback", "--from", graded, "--assignment", e2eAssignment)

	// Each student reads the feedback in the browser, the way a student finds
	// it: the file list of ~/klcourse/feedback/ASSIGNMENT, then the page's
	// link (the notebook server serves files/ only to requests from its own
	// pages: a typed-in files/ URL without a Referer gets 403).
	for i, s := range students {
		b := login(t, base, s, passwords[s], "", false)
		tree := fmt.Sprintf("%s/user/%s/tree/%s/feedback/%s", base, s, CourseDir, e2eAssignment)
		if err := b.Load(tree); err != nil {
			b.Close()
			t.Fatal(err)
		}
		link := fmt.Sprintf(`Array.from(document.querySelectorAll("#notebook_list a.item_link")).map(a => a.href).find(h => h.endsWith("/%s.html"))`, e2eAssignment)
		waitJS(t, b, link+` !== undefined`, time.Minute)
		var href string
		if err := b.Eval(link, &href); err != nil {
			b.Close()
			t.Fatal(err)
		}
		b.Eval(`(function(){ window.location.href = `+strconv.Quote(href)+`; return true })()`, nil)
		// Notebook 6 links an HTML file to view/, a page that shows it in a
		// sandboxed frame (its document is out of the test's reach): the
		// test follows the frame's source, as "open in a new tab" would.
		frame := `(function(){ var f = document.querySelector("iframe"); return f ? f.src : "" })()`
		left := `!location.pathname.includes("/tree/") && document.readyState == "complete"`
		if err := b.WaitFor(left+` && (`+frame+` != "" || document.body.innerText.length > 0)`, time.Minute); err != nil {
			t.Errorf("%s's feedback link %s: %v", s, href, err)
		}
		var src string
		if b.Eval(frame, &src); src != "" {
			b.Eval(`(function(){ window.location.href = `+strconv.Quote(src)+`; return true })()`, nil)
			href = src
		}
		text := `(document.body ? document.body.innerText : "")`
		if err := b.WaitFor(left+` && !location.pathname.includes("/view/") && `+text+`.includes(`+strconv.Quote(s)+`)`, time.Minute); err != nil {
			var got string
			b.Eval(text, &got)
			t.Errorf("%s's feedback page (%s) does not name the student:\n%s", s, href, got)
		}
		var got string
		b.Eval(text, &got)
		if i == 0 {
			shot(t, b, filepath.Join(out, "feedback.png"))
		}
		t.Logf("%s's feedback page (%s): %s", s, href, firstLines(got, 6))
		b.Close()
	}
}

// submitted reports whether the exchange holds a submission of student's.
func submitted(ex Exchange, student string) bool {
	subs, _ := ex.Submissions()
	for _, s := range subs {
		if s.Student == student {
			return true
		}
	}
	return false
}

// studentSession logs in, works the exercise and submits it.
func studentSession(t *testing.T, base, name, password, answer, out string, screenshots bool) {
	b := login(t, base, name, password, filepath.Join(out, "login.png"), screenshots)
	defer b.Close()
	// The exercises were copied into the student's home on the first login.
	nbURL := fmt.Sprintf("%s/user/%s/notebooks/%s/exercises/%s.ipynb", base, name, CourseDir, e2eAssignment)
	if err := b.Load(nbURL); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b, `window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()`, 2*time.Minute)
	var kernel string
	if err := b.Eval(`Jupyter.notebook.kernel.name`, &kernel); err != nil || kernel != "gonb" {
		t.Fatalf("the exercise runs on kernel %q (%v), want gonb", kernel, err)
	}
	todo := cellIndex(t, b, todoMarker)
	check := cellIndex(t, b, "gaussfit.CheckReverseKLSampled(") // the self-check of exercise 3
	// Run every cell above the TODO from the web interface: the toolbar's
	// Run button on each selected cell.
	for i := 0; i < todo; i++ {
		runCell(t, b, i)
	}
	// Write the answer into the TODO cell, then run it and everything up to
	// the self-check.
	if err := b.Eval(fmt.Sprintf(`(function(){ var c = Jupyter.notebook.get_cell(%d); c.set_text(%s); return true })()`, todo, strconv.Quote(answer)), nil); err != nil {
		t.Fatal(err)
	}
	for i := todo; i <= check; i++ {
		runCell(t, b, i)
	}
	verdict := cellOutput(t, b, check)
	if !strings.Contains(verdict, "PASS") {
		t.Fatalf("the self-check did not pass; the page shows:\n%s", verdict)
	}
	t.Logf("self-check on the page: %s", firstLines(verdict, 3))
	if screenshots {
		b.Eval(fmt.Sprintf(`Jupyter.notebook.get_cell(%d).element[0].scrollIntoView()`, check), nil)
		shot(t, b, filepath.Join(out, "exercise-pass.png"))
	}

	// Tab completion from the kernel (GoNB asks gopls): a new cell below the
	// self-check, typed key by key.
	completionCell(t, b, check, screenshots, out)

	// Save (the toolbar's button) and submit from a cell.
	if err := b.Click(`button[data-jupyter-action="jupyter-notebook:save-notebook"]`); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b, `!Jupyter.notebook.dirty`, 30*time.Second)
	n := cellCount(t, b)
	b.Eval(fmt.Sprintf(`(function(){ Jupyter.notebook.insert_cell_below("code", %d); Jupyter.notebook.select(%d); Jupyter.notebook.edit_mode(); return true })()`, n-1, n), nil)
	if err := b.Type(".cell.selected .CodeMirror textarea", "!klcourse lab submit "+e2eAssignment); err != nil {
		t.Fatal(err)
	}
	runCell(t, b, n)
	if got := cellOutput(t, b, n); !strings.Contains(got, "Submitted") || !strings.Contains(got, name) {
		t.Fatalf("submitting from a cell printed:\n%s", got)
	}
}

// completionCell opens a new cell below the self-check, types a line of
// Go into it key by key — in a %% cell, GoNB's cell of statements, since
// GoNB (v0.11.5) completes inside function bodies but not in package-level
// declarations such as `var _ = graph.LogS` — presses Tab, and waits for the
// completion list to offer graph.LogSoftmax (or, when it is the only match,
// for Jupyter to complete it in place). The first request waits for gopls to
// load the course's packages (about 15 s on a quiet machine). It deletes the
// cell again.
func completionCell(t *testing.T, b *browser.Browser, after int, screenshots bool, out string) {
	cell := after + 1
	sel := ".cell.selected .CodeMirror textarea"
	offered := fmt.Sprintf(`Array.from(document.querySelectorAll("#complete select option")).some(o => o.textContent.trim() == "LogSoftmax") || Jupyter.notebook.get_cell(%d).get_text().includes("graph.LogSoftmax")`, cell)
	deleteCell := func() {
		b.Eval(fmt.Sprintf(`(function(){ Jupyter.notebook.command_mode(); Jupyter.notebook.delete_cell(%d); return true })()`, cell), nil)
	}
	start := time.Now()
	deadline := start.Add(3 * time.Minute)
	for attempt := 1; ; attempt++ {
		// A fresh cell each time: Jupyter's completer does not ask again
		// in a cell whose request failed.
		b.Eval(fmt.Sprintf(`(function(){ Jupyter.notebook.insert_cell_below("code", %d); var c = Jupyter.notebook.get_cell(%d); c.set_text("%%%%\n"); Jupyter.notebook.select(%d); Jupyter.notebook.edit_mode(); c.code_mirror.setCursor(1, 0); return true })()`, after, cell, cell), nil)
		if err := b.Type(sel, "x := graph.LogS"); err != nil {
			t.Fatal(err)
		}
		if err := b.Type(sel, "\t"); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitFor(offered, time.Minute); err == nil {
			t.Logf("completion answered at attempt %d, %.1fs after the first Tab", attempt, time.Since(start).Seconds())
			break
		}
		if time.Now().After(deadline) {
			var opts []string
			b.Eval(`Array.from(document.querySelectorAll("#complete select option")).map(o => o.textContent)`, &opts)
			// Not fatal: the rest of the lab (submit, collect, grade, feedback) is still checked.
			t.Errorf("Tab after graph.LogS offered no graph.LogSoftmax in %d attempts (options %v)", attempt, opts)
			deleteCell()
			return
		}
		deleteCell()
	}
	var opts []string
	b.Eval(`Array.from(document.querySelectorAll("#complete select option")).map(o => o.textContent)`, &opts)
	t.Logf("Tab after graph.LogS: offered %v", opts)
	if screenshots {
		shot(t, b, filepath.Join(out, "completion.png"))
	}

	// Shift-Tab on the completed name: the tooltip shows gopls's
	// documentation of graph.LogSoftmax (GoNB answers in Markdown; the
	// notebook extension that setup installs shows it).
	b.Eval(`(function(){ var s = document.querySelector("#complete select"); if (s) { s.blur(); } return true })()`, nil)
	b.Eval(fmt.Sprintf(`(function(){ var c = Jupyter.notebook.get_cell(%d); c.set_text("%%%%\nx := graph.LogSoftmax"); Jupyter.notebook.select(%d); Jupyter.notebook.edit_mode(); c.code_mirror.focus(); c.code_mirror.setCursor(1, 20); return true })()`, cell, cell), nil)
	if err := b.TypeShift(sel, "\t"); err != nil {
		t.Fatal(err)
	}
	tip := `(function(){ var p = document.querySelector("#tooltip pre"); return p && $("#tooltip").is(":visible") ? p.textContent : "" })()`
	if err := b.WaitFor(tip+`.includes("LogSoftmax computes")`, time.Minute); err != nil {
		var got string
		b.Eval(tip, &got)
		t.Errorf("Shift-Tab on graph.LogSoftmax showed no documentation (tooltip: %q)", got)
	} else {
		var got string
		b.Eval(tip, &got)
		t.Logf("Shift-Tab on graph.LogSoftmax: %s", firstLines(got, 3))
		if screenshots {
			shot(t, b, filepath.Join(out, "inspection.png"))
		}
	}
	deleteCell()
}

// login opens the login page, signs in and waits for the student's server.
func login(t *testing.T, base, name, password, screenshot string, keep bool) *browser.Browser {
	t.Helper()
	b, err := browser.Start(browser.Options{Timeout: 3 * time.Minute, Width: 1280, Height: 900})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Load(base + "/hub/login"); err != nil {
		b.Close()
		t.Fatal(err)
	}
	if err := b.Type("#username_input", name); err != nil {
		b.Close()
		t.Fatal(err)
	}
	if err := b.Type("#password_input", password); err != nil {
		b.Close()
		t.Fatal(err)
	}
	if keep && screenshot != "" {
		shot(t, b, screenshot)
	}
	if err := b.Click("#login_submit"); err != nil {
		b.Close()
		t.Fatal(err)
	}
	waitJS(t, b, fmt.Sprintf(`location.pathname.startsWith("/user/%s/tree")`, name), 3*time.Minute)
	return b
}

func waitJS(t *testing.T, b *browser.Browser, js string, timeout time.Duration) {
	t.Helper()
	if err := b.WaitFor(js, timeout); err != nil {
		var where, text string
		b.Eval(`location.href`, &where)
		b.Eval(`document.body ? document.body.innerText.slice(0, 2000) : ""`, &text)
		t.Fatalf("%v\npage %s:\n%s", err, where, text)
	}
}

func cellCount(t *testing.T, b *browser.Browser) int {
	var n int
	if err := b.Eval(`Jupyter.notebook.ncells()`, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cellIndex returns the index of the first code cell whose text contains s.
func cellIndex(t *testing.T, b *browser.Browser, s string) int {
	t.Helper()
	var i int
	js := fmt.Sprintf(`Jupyter.notebook.get_cells().findIndex(c => c.cell_type == "code" && c.get_text().includes(%s))`, strconv.Quote(s))
	if err := b.Eval(js, &i); err != nil || i < 0 {
		t.Fatalf("no code cell with %q in the exercise (%v)", s, err)
	}
	return i
}

var promptDone = regexp.MustCompile(`\[\d+\]`)

// runCell selects cell i, clicks the toolbar's Run button and waits until
// the cell's prompt shows its execution count.
func runCell(t *testing.T, b *browser.Browser, i int) {
	t.Helper()
	var typ string
	b.Eval(fmt.Sprintf(`(function(){ Jupyter.notebook.command_mode(); Jupyter.notebook.select(%d); return Jupyter.notebook.get_cell(%d).cell_type })()`, i, i), &typ)
	if err := b.Click(`button[data-jupyter-action="jupyter-notebook:run-cell-and-select-next"]`); err != nil {
		t.Fatal(err)
	}
	if typ != "code" {
		return
	}
	start := time.Now()
	deadline := start.Add(4 * time.Minute)
	for {
		var prompt string
		b.Eval(fmt.Sprintf(`Jupyter.notebook.get_cell(%d).element.find(".input_prompt").text()`, i), &prompt)
		if promptDone.MatchString(prompt) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cell %d still running after %v (prompt %q); output so far:\n%s", i, time.Since(start), prompt, cellOutput(t, b, i))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out := cellOutput(t, b, i); strings.Contains(out, "panic:") || strings.Contains(out, "cannot") && strings.Contains(out, "compil") {
		t.Fatalf("cell %d failed:\n%s", i, out)
	}
	t.Logf("cell %d ran in %.1fs", i, time.Since(start).Seconds())
}

func cellOutput(t *testing.T, b *browser.Browser, i int) string {
	var s string
	b.Eval(fmt.Sprintf(`Jupyter.notebook.get_cell(%d).element.find(".output_area").text()`, i), &s)
	return s
}

func shot(t *testing.T, b *browser.Browser, path string) {
	t.Helper()
	if err := b.Screenshot(path); err != nil {
		t.Errorf("screenshot %s: %v", path, err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// answerFromSolution returns the solution's TODO cell, the markers taken
// out: what a student who solved the exercise would have written.
func answerFromSolution(t *testing.T, path string) string {
	nb, err := notebook.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Cells {
		if c.Type != "code" || !strings.Contains(c.Source, "// BEGIN SOLUTION") {
			continue
		}
		var lines []string
		for _, l := range strings.Split(c.Source, "\n") {
			if s := strings.TrimSpace(l); strings.HasPrefix(s, "// BEGIN SOLUTION") || strings.HasPrefix(s, "// END SOLUTION") {
				continue
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	t.Fatalf("%s has no solution cell", path)
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("$ %s %s  (%.1fs)\n%s", name, strings.Join(args, " "), time.Since(start).Seconds(), out)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// addStudent creates a local account in the student group with a
// password; the test's cleanup removes it, home included, after killing
// whatever still runs under it.
func addStudent(t *testing.T, name, password string) {
	t.Helper()
	if out, err := exec.Command("useradd", "--create-home", "--shell", "/bin/bash", "--groups", StudentGroup, name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		killUser(t, name)
		if out, err := exec.Command("userdel", "--remove", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", name, err, out)
		}
	})
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v\n%s", err, out)
	}
}

// killUser kills, by pid, the processes that run as the test's account
// (there should be none once the hub has stopped; it reports any). A process
// that has exited but not yet been reaped (state Z, "<defunct>": the kernel
// that started it is still exiting) is not running; it is waited out, for up
// to 15 s.
func killUser(t *testing.T, name string) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := exec.Command("ps", "-u", name, "-o", "pid=,stat=,args=").Output()
		var running []string
		zombies := false
		s := bufio.NewScanner(strings.NewReader(string(out)))
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) < 2 {
				continue
			}
			if strings.HasPrefix(fields[1], "Z") {
				zombies = true
				continue
			}
			running = append(running, s.Text())
		}
		if len(running) == 0 && (!zombies || time.Now().After(deadline)) {
			return
		}
		if len(running) > 0 && time.Now().After(deadline) {
			for _, line := range running {
				t.Errorf("still running as %s after the hub stopped: %s", name, line)
				if pid, err := strconv.Atoi(strings.Fields(line)[0]); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// startHub starts JupyterHub in a process group of its own and waits for
// its login page; the returned function stops it (SIGTERM, so that it
// stops the students' servers and the proxy) and then kills what is left
// of the group.
func startHub(t *testing.T, cfg, state, logPath, base string) func() {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("jupyterhub", "-f", cfg)
	cmd.Dir = state
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Errorf("the hub did not stop within 60 s of SIGTERM; killing its process group")
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		logf.Close()
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(base + "/hub/login")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the hub exited (%v):\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the hub's login page did not answer within 90 s:\n%s", log)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return stop
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}
