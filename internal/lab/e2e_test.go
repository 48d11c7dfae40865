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

	"github.com/chromedp/chromedp/kb"

	"github.com/klcourse/klcourse/internal/browser"
	"github.com/klcourse/klcourse/internal/notebook"
)

// RequireEnv, set to 1, runs the end-to-end test and turns its skips into
// failures (for a machine that is meant to be a lab).
const RequireEnv = "KLCOURSE_REQUIRE_LAB"

// testPrefix is the machine-wide install the lab tests use (klcourse setup
// --system's default prefix).
const testPrefix = "/opt/klcourse"

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
		t.Skipf("lab %s test skipped: it runs only with %s=1, as root, after `klcourse setup --system` (docs/lab.md)", test, RequireEnv)
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "it must run as root (it creates accounts and runs JupyterHub, which runs each student's server as the student)")
	}
	// JupyterHub, its single-user server and its proxy are the install's
	// (setup --system --check below checks them), never ones on PATH.
	tools = append([]string{"useradd", "userdel", "chpasswd"}, tools...)
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s is not installed (Debian: passwd and util-linux bring the account tools)", tool)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	prefix = testPrefix
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
// login page in headless Chromium. The first works the exercise in
// JupyterLab 4 (the hub's default): runs its cells, writes the answer, sees
// the self-check pass, gets Tab completion and the Shift-Tab tooltip from
// GoNB, interrupts a cell, restarts the kernel, saves and submits. The second
// does the same in Notebook 7 (/tree, /notebooks), without the completion.
// Then collect, grade and release the feedback, which each student opens
// from JupyterLab's file browser. Everything it starts is stopped and the
// accounts are removed.
//
// The test drives the front ends through their own commands and models
// (window.jupyterapp: the hub configuration is given
// expose_app_in_browser), and types the completion and the tooltip's keys.
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
	exposeApp(t, lab.cfg)
	students, passwords, ex, scratch, base := lab.students, lab.passwords, lab.ex, lab.scratch, lab.base
	stopHub := lab.startHub(t, filepath.Join(out, "hub.log"))
	defer stopHub()

	solution := answerFromSolution(t, filepath.Join(root, "solutions", e2eAssignment+".ipynb"))
	for i, s := range students {
		ui := "lab"
		if i == 1 {
			ui = "notebook7"
		}
		if !t.Run(s+"-"+ui, func(t *testing.T) { studentSession(t, base, s, passwords[s], solution, out, i == 0) }) && !submitted(ex, s) {
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

	// Each student reads the feedback the way a student finds it:
	// JupyterLab's file browser in ~/klcourse/feedback/ASSIGNMENT, a double
	// click on the page, which JupyterLab shows in its HTML viewer.
	for i, s := range students {
		b := login(t, base, s, passwords[s], "", false)
		dir := fmt.Sprintf("%s/user/%s/lab/tree/%s/feedback/%s", base, s, CourseDir, e2eAssignment)
		if err := b.Load(dir); err != nil {
			b.Close()
			t.Fatal(err)
		}
		item := fmt.Sprintf(`Array.from(document.querySelectorAll(".jp-DirListing-item")).find(e => e.querySelector(".jp-DirListing-itemText").textContent.trim() == %q)`, e2eAssignment+".html")
		waitJS(t, b, item+` !== undefined`, time.Minute)
		b.Eval(`(function(){ var e = `+item+`; e.dispatchEvent(new MouseEvent("dblclick", {bubbles: true})); return true })()`, nil)
		frame := `document.querySelector(".jp-HTMLViewer iframe")`
		waitJS(t, b, frame+` && `+frame+`.src`, time.Minute)
		// The viewer shows the page from a blob: URL in a sandboxed frame;
		// the page that made the URL may read it.
		text := `fetch(` + frame + `.src).then(r => r.text())`
		var page string
		deadline := time.Now().Add(time.Minute)
		for !strings.Contains(page, s) && time.Now().Before(deadline) {
			b.Eval(text, &page)
			time.Sleep(300 * time.Millisecond)
		}
		if !strings.Contains(page, s) {
			t.Errorf("%s's feedback page in JupyterLab's HTML viewer does not name the student:\n%.600s", s, page)
		}
		if i == 0 {
			time.Sleep(time.Second) // the frame paints
			shot(t, b, filepath.Join(out, "feedback.png"))
		}
		t.Logf("%s opened the feedback from the file browser (%d bytes of HTML, names the student)", s, len(page))
		b.Close()
	}
}

// exposeApp lets the test reach the front ends' application object
// (window.jupyterapp) in every student's server: JupyterLab's and
// Notebook 7's expose_app_in_browser, given to jupyterhub-singleuser.
func exposeApp(t *testing.T, cfg string) {
	t.Helper()
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n# The end-to-end test drives the front ends through window.jupyterapp.\n" +
		`c.Spawner.args = ["--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True"]` + "\n"); err != nil {
		t.Fatal(err)
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

// nbJS is the notebook the front end shows (a NotebookPanel), in JupyterLab
// as in Notebook 7.
// (The shell's currentWidget follows the focus, which a headless browser
// does not give the page.)
const nbJS = `Array.from(jupyterapp.shell.widgets("main")).find(w => w.sessionContext && w.content && w.content.model)`

// activeEditor is the CodeMirror 6 editor of the active cell.
const activeEditor = `.jp-Notebook .jp-Cell.jp-mod-active .cm-content`

// studentSession logs in, works the exercise and submits it: in JupyterLab
// (lab), with completion, tooltip, interrupt and restart; otherwise in
// Notebook 7.
func studentSession(t *testing.T, base, name, password, answer, out string, lab bool) {
	b := login(t, base, name, password, filepath.Join(out, "login.png"), lab)
	defer b.Close()
	// The exercises were copied into the student's home on the first login.
	nbURL := fmt.Sprintf("%s/user/%s/lab/tree/%s/exercises/%s.ipynb", base, name, CourseDir, e2eAssignment)
	if !lab {
		nbURL = fmt.Sprintf("%s/user/%s/notebooks/%s/exercises/%s.ipynb", base, name, CourseDir, e2eAssignment)
	}
	if err := b.Load(nbURL); err != nil {
		t.Fatal(err)
	}
	// GoNB publishes no status until the first execution (JupyterLab shows
	// it as "unknown"): the kernel is ready once it answered kernel_info.
	waitJS(t, b, `window.jupyterapp && `+nbJS+` && `+nbJS+`.sessionContext.session && `+nbJS+`.sessionContext.session.kernel && `+nbJS+`.sessionContext.session.kernel.connectionStatus == "connected"`, 2*time.Minute)
	waitKernel(t, b)
	var kernel, app string
	if err := b.Eval(nbJS+`.sessionContext.session.kernel.name`, &kernel); err != nil || kernel != "gonb" {
		t.Fatalf("the exercise runs on kernel %q (%v), want gonb", kernel, err)
	}
	b.Eval(`jupyterapp.name + " " + jupyterapp.version`, &app)
	t.Logf("front end: %s; kernel %s", app, kernel)
	todo := cellIndex(t, b, todoMarker)
	check := cellIndex(t, b, "gaussfit.CheckReverseKLSampled(") // the self-check of exercise 3
	// Run every cell above the TODO from the front end's Run command.
	for i := 0; i < todo; i++ {
		runCell(t, b, i)
	}
	// Write the answer into the TODO cell, then run it and everything up to
	// the self-check.
	if err := b.Eval(fmt.Sprintf(`(function(){ %s.content.model.cells.get(%d).sharedModel.setSource(%s); return true })()`, nbJS, todo, strconv.Quote(answer)), nil); err != nil {
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
	var mimes []string
	b.Eval(`(function(){ var m = {}, cs = `+nbJS+`.content.model.cells; for (var i = 0; i < cs.length; i++) { cs.get(i).toJSON().outputs && cs.get(i).toJSON().outputs.forEach(o => { if (o.data) Object.keys(o.data).forEach(k => m[k] = true); else m[o.output_type] = true }) } return Object.keys(m).sort() })()`, &mimes)
	t.Logf("outputs on the page: %v", mimes)
	if lab {
		b.Eval(fmt.Sprintf(`(function(){ %s.content.scrollToItem(%d); return true })()`, nbJS, check), nil)
		time.Sleep(time.Second)
		shot(t, b, filepath.Join(out, "exercise-pass.png"))
	} else {
		shot(t, b, filepath.Join(out, "notebook7-pass.png"))
	}

	if lab {
		// Tab completion and Shift-Tab from the kernel (GoNB asks gopls).
		completionCell(t, b, check, out)
		interruptAndRestart(t, b, check, out)
	}

	// Save and submit from a cell.
	b.Eval(`jupyterapp.commands.execute("docmanager:save").then(() => true)`, nil)
	waitJS(t, b, `!`+nbJS+`.context.model.dirty`, 30*time.Second)
	n := insertCell(t, b, cellCount(t, b)-1, "!klcourse lab submit "+e2eAssignment)
	runCell(t, b, n)
	if got := cellOutput(t, b, n); !strings.Contains(got, "Submitted") || !strings.Contains(got, name) {
		t.Fatalf("submitting from a cell printed:\n%s", got)
	}
}

// waitKernel waits for the kernel to answer kernel_info.
func waitKernel(t *testing.T, b *browser.Browser) {
	t.Helper()
	if err := b.Eval(nbJS+`.sessionContext.session.kernel.info.then(() => true)`, nil); err != nil {
		t.Fatalf("the kernel did not answer: %v", err)
	}
}

// insertCell inserts a code cell holding src below cell after, makes it the
// active cell and returns its index.
func insertCell(t *testing.T, b *browser.Browser, after int, src string) int {
	t.Helper()
	js := fmt.Sprintf(`(function(){ var p = %s; p.content.mode = "command"; p.content.activeCellIndex = %d; p.content.deselectAll();
		return jupyterapp.commands.execute("notebook:insert-cell-below").then(() => { p.content.activeCell.model.sharedModel.setSource(%s); return p.content.activeCellIndex }) })()`,
		nbJS, after, strconv.Quote(src))
	var i int
	if err := b.Eval(js, &i); err != nil {
		t.Fatal(err)
	}
	if i != after+1 {
		t.Fatalf("inserting a cell below %d made cell %d", after, i)
	}
	return i
}

// deleteCell deletes cell i with the front end's command.
func deleteCell(b *browser.Browser, i int) {
	b.Eval(fmt.Sprintf(`(function(){ var p = %s; p.content.mode = "command"; p.content.activeCellIndex = %d; p.content.deselectAll(); return jupyterapp.commands.execute("notebook:delete-cell").then(() => true) })()`, nbJS, i), nil)
}

// cellSource is the text of cell i.
func cellSource(b *browser.Browser, i int) string {
	var s string
	b.Eval(fmt.Sprintf(`%s.content.model.cells.get(%d).sharedModel.getSource()`, nbJS, i), &s)
	return s
}

// completionCell opens a new cell below the self-check and types into it,
// key by key, a %% cell (GoNB's cell of statements: GoNB v0.11.5 completes
// inside function bodies, not in package-level declarations) ending in
// graph.LogS, presses Tab, and waits for the completer to offer LogSoftmax
// (or, when it is the only match, to complete it in place). JupyterLab gives
// a completion provider 1 s by default; setup raises it to 30 s
// (overrides.json in the course's environment), since GoNB's first answer
// waits for gopls. Then Shift-Tab on graph.LogSoftmax: the tooltip shows
// gopls's documentation, which GoNB sends as Markdown and JupyterLab
// renders. It deletes the cell again.
func completionCell(t *testing.T, b *browser.Browser, after int, out string) {
	items := `Array.from(document.querySelectorAll(".jp-Completer .jp-Completer-item")).map(e => (e.querySelector(".jp-Completer-match") || e).textContent.trim())`
	start := time.Now()
	deadline := start.Add(3 * time.Minute)
	var cell int
	for attempt := 1; ; attempt++ {
		// A fresh cell each time.
		cell = insertCell(t, b, after, "")
		b.Eval(fmt.Sprintf(`(function(){ %s.content.mode = "edit"; %s.content.activeCell.editor.focus(); return true })()`, nbJS, nbJS), nil)
		if err := b.Type(activeEditor, "%%\rx := graph.LogS"); err != nil {
			t.Fatal(err)
		}
		if src := cellSource(b, cell); src != "%%\nx := graph.LogS" {
			t.Fatalf("typed %q into the cell; it holds %q", "%%\\rx := graph.LogS", src)
		}
		tab := time.Now()
		if err := b.Type(activeEditor, "\t"); err != nil {
			t.Fatal(err)
		}
		offered := fmt.Sprintf(`%s.some(s => s == "LogSoftmax") || %s.content.model.cells.get(%d).sharedModel.getSource().includes("graph.LogSoftmax")`, items, nbJS, cell)
		if err := b.WaitFor(offered, 45*time.Second); err == nil {
			t.Logf("completion answered at attempt %d, %.1fs after its Tab (%.1fs after the first Tab)", attempt, time.Since(tab).Seconds(), time.Since(start).Seconds())
			break
		}
		if time.Now().After(deadline) {
			var got []string
			b.Eval(items, &got)
			// Not fatal: the rest of the lab (submit, collect, grade, feedback) is still checked.
			t.Errorf("Tab after graph.LogS offered no graph.LogSoftmax in %d attempts (offered %v)", attempt, got)
			b.Type(activeEditor, kb.Escape)
			deleteCell(b, cell)
			return
		}
		b.Type(activeEditor, kb.Escape)
		deleteCell(b, cell)
	}
	var got []string
	b.Eval(items, &got)
	t.Logf("Tab after graph.LogS: offered %v", got)
	shot(t, b, filepath.Join(out, "completion.png"))

	// Shift-Tab inside graph.LogSoftmax.
	b.Type(activeEditor, kb.Escape)
	if src := cellSource(b, cell); !strings.HasSuffix(src, "graph.LogSoftmax") {
		b.Type(activeEditor, "oftmax")
	}
	b.Type(activeEditor, kb.ArrowLeft)
	if err := b.TypeShift(activeEditor, "\t"); err != nil {
		t.Fatal(err)
	}
	tip := `(function(){ var e = document.querySelector(".jp-Tooltip"); return e ? e.textContent : "" })()`
	if err := b.WaitFor(tip+`.includes("LogSoftmax computes")`, time.Minute); err != nil {
		var got string
		b.Eval(tip, &got)
		t.Errorf("Shift-Tab on graph.LogSoftmax showed no documentation (tooltip: %q; cell %q)", got, cellSource(b, cell))
	} else {
		var got string
		var markdown bool
		b.Eval(tip, &got)
		b.Eval(`!!document.querySelector(".jp-Tooltip .jp-RenderedMarkdown")`, &markdown)
		if !markdown {
			t.Errorf("the tooltip shows GoNB's documentation, but not rendered as Markdown")
		}
		t.Logf("Shift-Tab on graph.LogSoftmax (rendered Markdown: %v): %s", markdown, firstLines(got, 3))
		shot(t, b, filepath.Join(out, "inspection.png"))
	}
	b.Type(activeEditor, kb.Escape)
	deleteCell(b, cell)
}

// interruptAndRestart runs a cell that sleeps for an hour, interrupts it
// with JupyterLab's Interrupt command (the kernel spec's interrupt_mode is
// "signal": Jupyter sends SIGINT, which GoNB handles), then restarts the
// kernel through the Restart command and its dialog.
func interruptAndRestart(t *testing.T, b *browser.Browser, after int, out string) {
	cell := insertCell(t, b, after, "%%\nfmt.Println(\"sleeping\")\ntime.Sleep(time.Hour)")
	b.Eval(fmt.Sprintf(`(function(){ var p = %s; p.content.mode = "command"; p.content.deselectAll(); jupyterapp.commands.execute("notebook:run-cell"); return true })()`, nbJS), nil)
	// Interrupt once the program runs (it printed), not while it compiles.
	if err := b.WaitFor(fmt.Sprintf(`%s.content.model.cells.get(%d).outputs.length > 0`, nbJS, cell), 2*time.Minute); err != nil {
		t.Errorf("the sleeping cell printed nothing in 2 minutes: %v", err)
	}
	start := time.Now()
	b.Eval(`jupyterapp.commands.execute("notebook:interrupt-kernel").then(() => true)`, nil)
	if err := b.WaitFor(`/^\[\d+\]$/.test(`+cellPrompt(cell)+`)`, 30*time.Second); err != nil {
		t.Errorf("Interrupt did not stop the cell within 30 s: %v", err)
	} else {
		t.Logf("Interrupt stopped the sleeping cell in %.1fs; it shows: %s", time.Since(start).Seconds(), firstLines(cellOutput(t, b, cell), 3))
		shot(t, b, filepath.Join(out, "interrupt.png"))
	}
	// Restart: the command asks in a dialog.
	start = time.Now()
	b.Eval(`(function(){ jupyterapp.commands.execute("notebook:restart-kernel"); return true })()`, nil)
	if err := b.Click(".jp-Dialog .jp-mod-accept"); err != nil {
		t.Errorf("the restart dialog: %v", err)
	}
	waitKernel(t, b)
	t.Logf("the kernel restarted in %.1fs", time.Since(start).Seconds())
	deleteCell(b, cell)
}

// login opens the login page, signs in and waits for the student's server
// (JupyterLab, the hub's default).
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
	waitJS(t, b, fmt.Sprintf(`location.pathname.startsWith("/user/%s/lab") && window.jupyterapp && document.querySelector(".jp-DirListing-item")`, name), 3*time.Minute)
	if keep {
		// The hub's default URL opens the file browser in ~/klcourse.
		b.WaitFor(`Array.from(document.querySelectorAll(".jp-DirListing-itemText")).some(e => e.textContent.trim() == "exercises")`, 30*time.Second)
		time.Sleep(time.Second)
		shot(t, b, filepath.Join(filepath.Dir(screenshot), "jupyterlab.png"))
	}
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
	if err := b.Eval(nbJS+`.content.model.cells.length`, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cellIndex returns the index of the first code cell whose text contains s.
func cellIndex(t *testing.T, b *browser.Browser, s string) int {
	t.Helper()
	var i int
	js := fmt.Sprintf(`(function(){ var cs = %s.content.model.cells; for (var i = 0; i < cs.length; i++) { var c = cs.get(i); if (c.type == "code" && c.sharedModel.getSource().includes(%s)) return i } return -1 })()`, nbJS, strconv.Quote(s))
	if err := b.Eval(js, &i); err != nil || i < 0 {
		t.Fatalf("no code cell with %q in the exercise (%v)", s, err)
	}
	return i
}

var promptDone = regexp.MustCompile(`^\[\d+\]$`)

// cellPrompt is the JavaScript expression of cell i's prompt, from the
// model (a cell outside the view may not be rendered): "[*]" while it
// runs, "[N]" after, "[ ]" before.
func cellPrompt(i int) string {
	return fmt.Sprintf(`(function(){ var m = %s.content.model.cells.get(%d); return m.executionState == "running" ? "[*]" : m.executionCount == null ? "[ ]" : "[" + m.executionCount + "]" })()`, nbJS, i)
}

// runCell makes cell i the active one, runs it with the front end's Run
// command and waits until its prompt shows its execution count.
func runCell(t *testing.T, b *browser.Browser, i int) {
	t.Helper()
	var typ string
	b.Eval(fmt.Sprintf(`(function(){ var p = %s; p.content.mode = "command"; p.content.activeCellIndex = %d; p.content.deselectAll(); jupyterapp.commands.execute("notebook:run-cell"); return p.content.model.cells.get(%d).type })()`, nbJS, i, i), &typ)
	if typ != "code" {
		return
	}
	start := time.Now()
	deadline := start.Add(4 * time.Minute)
	for {
		var prompt string
		b.Eval(cellPrompt(i), &prompt)
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

// cellOutput is the text of cell i's outputs, from the notebook's model
// (streams, text/plain or HTML of results, errors).
func cellOutput(t *testing.T, b *browser.Browser, i int) string {
	var s string
	b.Eval(fmt.Sprintf(`(function(){ var o = %s.content.model.cells.get(%d).toJSON().outputs || []; var j = x => [].concat(x || "").join("");
		return o.map(x => j(x.text) + (x.data ? j(x.data["text/plain"] || x.data["text/markdown"] || x.data["text/html"]) : "") + j(x.evalue) + (x.traceback ? x.traceback.join("\n") : "")).join("\n") })()`, nbJS, i), &s)
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
		checkNoCgroup(t, name)
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
	// The course's JupyterHub (its Python environment, python/hub.lock).
	cmd := exec.Command(PythonEnvBin(testPrefix, "jupyterhub"), "-f", cfg)
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
