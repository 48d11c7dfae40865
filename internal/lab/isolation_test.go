package lab

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/notebook"
)

// TestLabIsolation is the lab as a malicious student tries it: two
// throw-away students, A and B, on a hub like TestLabEndToEnd's; B logs in,
// starts a kernel, submits and gets feedback; then A, as their own Unix
// account and with their own hub cookie, tries to read B's home, notebooks,
// feedback and kernel keys, to list or read the exchange's submissions, to
// overwrite, delete or forge B's submission, to find the solutions and the
// hidden tests anywhere the lab keeps them (also in the grader's working
// folders while a grading runs, and from inside a submission that the
// grader runs), to signal B's processes or read their environment, and to
// reach B's server and kernel through the proxy, directly, or through the
// proxy's API. Each attempt must fail. Every attempt and its outcome is
// logged (go test -v).
func TestLabIsolation(t *testing.T) {
	root, prefix, out := labInstalled(t, "isolation", "runuser", "setpriv")
	klcourse := filepath.Join(prefix, "bin", "klcourse")

	tl := newTestLab(t, klcourse, "klcourse-iso-", "klia", "klib")
	scratch, state, ex, base, tag, apiPort := tl.scratch, tl.state, tl.ex, tl.base, tl.tag, tl.apiPort
	a, b := tl.students[0], tl.students[1]
	pw := tl.passwords
	// The instructor's course folder, as an instructor would keep it in a
	// folder of the lab machine that students can reach.
	course := filepath.Join(scratch, "course")
	stopHub := tl.startHub(t, filepath.Join(out, "hub-isolation.log"))
	defer stopHub()

	// B: logs in, has a kernel, submits, gets feedback.
	bc := hubLogin(t, base, b, pw[b])
	kernelID := startKernel(t, bc, base, b)
	exercise := filepath.Join("/home", b, CourseDir, "exercises", e2eAssignment+".ipynb")
	if st, err := LookupStudent(b); err == nil {
		exercise = filepath.Join(st.Home, CourseDir, "exercises", e2eAssignment+".ipynb")
	}
	asUser(t, b, []string{"KLCOURSE_EXCHANGE=" + ex.Root}, klcourse, "lab", "submit", exercise)
	subs, _ := ex.Submissions()
	var bSub Submission
	for _, s := range subs {
		if s.Student == b {
			bSub = s
		}
	}
	if bSub.Dir == "" {
		t.Fatalf("B's submission is not in the exchange: %+v", subs)
	}
	bNotebook := filepath.Join(bSub.Dir, e2eAssignment+".ipynb")
	bData, err := os.ReadFile(bNotebook)
	if err != nil {
		t.Fatal(err)
	}
	fb := filepath.Join(scratch, "feedback-src")
	if err := os.MkdirAll(filepath.Join(fb, "feedback"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(fb, "feedback", b+".html"), "<p>feedback for "+b+": 17 of 20</p>")
	if _, err := ReleaseFeedback(fb, e2eAssignment, LookupStudent); err != nil {
		t.Fatal(err)
	}
	bst, err := LookupStudent(b)
	if err != nil {
		t.Fatal(err)
	}
	bFeedback := filepath.Join(bst.Home, CourseDir, "feedback", e2eAssignment, e2eAssignment+".html")
	if _, err := os.Stat(bFeedback); err != nil {
		t.Fatal(err)
	}
	bPid := userProcess(t, b, "jupyterhub-singleuser")

	// What would give the answers away: a line of the solution's answer
	// and one of its hidden tests.
	solutionPath := filepath.Join(root, "solutions", e2eAssignment+".ipynb")
	answerLine, hiddenLine := secretLines(t, solutionPath)

	attempts := 0
	refused := func(what string, ok bool, detail string) {
		t.Helper()
		attempts++
		if ok {
			t.Logf("refused:  %s", what)
		} else {
			t.Errorf("ALLOWED:  %s\n%s", what, detail)
		}
	}
	// shellFails runs a shell command as A and wants it to fail.
	shellFails := func(what, script string) {
		t.Helper()
		cmd := exec.Command("runuser", "-u", a, "--", "/bin/sh", "-c", script)
		cmd.Dir = "/"
		got, err := cmd.CombinedOutput()
		refused(what, err != nil, fmt.Sprintf("$ %s\n%s", script, got))
	}
	q := strconv.Quote
	shellFails("list B's home", "ls -a "+q(bst.Home))
	shellFails("read B's copy of the exercise", "cat "+q(exercise))
	shellFails("read B's feedback", "cat "+q(bFeedback))
	shellFails("read B's kernels' connection files (their keys)", "cat "+q(bst.Home)+"/.local/share/jupyter/runtime/kernel-*.json")
	shellFails("list the exchange's inbound submissions", "ls "+q(ex.Inbound()))
	shellFails("read B's submission (its path guessed)", "cat "+q(bNotebook))
	shellFails("list B's submission folder", "ls "+q(bSub.Dir))
	shellFails("overwrite B's submission", "echo '{}' > "+q(bNotebook))
	shellFails("delete B's submission", "rm -rf "+q(bSub.Dir)+" && test ! -e "+q(bSub.Dir))
	shellFails("rename B's submission away", "mv "+q(bSub.Dir)+" "+q(bSub.Dir+"x"))
	shellFails("signal B's notebook server", fmt.Sprintf("kill -TERM %d", bPid))
	shellFails("read B's server's environment (its hub token)", fmt.Sprintf("cat /proc/%d/environ", bPid))
	shellFails("read the instructor's solution in the checkout", "cat "+q(solutionPath))
	shellFails("read the instructor's checkout's rendered notebooks (build/)", "ls "+q(filepath.Join(root, "build")))
	shellFails("read the hub's cookie secret and database", "cat "+q(state)+"/jupyterhub_cookie_secret "+q(state)+"/jupyterhub.sqlite")
	lab := []string{prefix, "/etc/klcourse", "/var/lib/klcourse", ex.Root, scratch, "/tmp", "/var/tmp", "/dev/shm"}
	for _, line := range []string{answerLine, hiddenLine} {
		shellFails("find the solution or hidden tests in the lab's folders ("+strings.Join(lab, " ")+"): "+line,
			"grep -rIlF -e "+q(line)+" "+strings.Join(lab, " ")+" 2>/dev/null")
	}

	// A forges a submission in B's name, later than B's: the inbound folder
	// is writable by all.
	forged := filepath.Join(ex.Inbound(), strings.Join([]string{b, e2eAssignment, time.Now().Add(time.Hour).UTC().Format(TimestampFormat), "0badf00d"}, "+"))
	asUser(t, a, nil, "/bin/sh", "-c", "mkdir "+q(forged)+" && echo '{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}' > "+q(filepath.Join(forged, e2eAssignment+".ipynb"))+
		" && echo "+q(time.Now().Add(time.Hour).UTC().Format(TimestampFormat))+" > "+q(filepath.Join(forged, "timestamp.txt")))

	// A's own submission tries, when the grader runs it, to leave the
	// grader's secrets where A can read them.
	leak := "/tmp/klcourse-leak-" + tag
	aNotebook := maliciousSubmission(t, root, solutionPath, leak)
	aWork := filepath.Join(scratch, "a", e2eAssignment+".ipynb")
	if err := os.MkdirAll(filepath.Dir(aWork), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(aWork, aNotebook, 0o644); err != nil {
		t.Fatal(err)
	}
	asUser(t, a, []string{"KLCOURSE_EXCHANGE=" + ex.Root}, klcourse, "lab", "submit", aWork)

	// The instructor collects: the forgery is refused, B's own submission
	// is the one collected.
	collect := exec.Command(klcourse, "lab", "collect", "--course", course)
	collect.Env = append(os.Environ(), "KLCOURSE_EXCHANGE="+ex.Root)
	got, _ := collect.CombinedOutput()
	t.Logf("$ klcourse lab collect --course %s\n%s", course, got)
	collected, err := os.ReadFile(filepath.Join(course, "submitted", b, e2eAssignment, e2eAssignment+".ipynb"))
	refused("replace B's submission by one made in B's name", err == nil && bytes.Equal(collected, bData) && bytes.Contains(got, []byte("another student's name")),
		fmt.Sprintf("collect said:\n%s\ncollected for B: %.200s (err %v)", got, collected, err))
	shellFails("read B's collected submission in the instructor's course folder", "cat "+q(filepath.Join(course, "submitted", b, e2eAssignment, e2eAssignment+".ipynb")))

	// The instructor grades, sandboxed; meanwhile A looks for the grader's
	// working folders and reads what is there.
	graded := filepath.Join(course, "graded", e2eAssignment)
	stop := make(chan struct{})
	var found []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		script := `for d in /tmp/klcourse-grade-* /tmp/klcourse-kernel-* /tmp/gonb_*; do [ -d "$d" ] || continue; [ -O "$d" ] && continue; ls "$d" >/dev/null 2>&1 && echo "listed $d"; find "$d" -type f -name '*.go' -exec cat {} + 2>/dev/null | grep -F -q -e ` + q(hiddenLine) + ` -e ` + q(answerLine) + ` && echo "read the sources in $d"; done; true`
		for {
			select {
			case <-stop:
				return
			default:
			}
			cmd := exec.Command("runuser", "-u", a, "--", "/bin/sh", "-c", script)
			if b, _ := cmd.Output(); len(b) > 0 {
				mu.Lock()
				found = append(found, strings.Fields(string(b))...)
				mu.Unlock()
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	gradeCmd := exec.Command("go", "run", "./cmd/klcourse", "grade", "--quick", "--sandbox", "--solution", filepath.Join("solutions", e2eAssignment+".ipynb"),
		"--out", graded, filepath.Join(course, "submitted"))
	gradeCmd.Dir = root
	start := time.Now()
	gout, gerr := gradeCmd.CombinedOutput()
	close(stop)
	wg.Wait()
	t.Logf("$ klcourse grade --sandbox ... (%.0fs)\n%s", time.Since(start).Seconds(), gout)
	if gerr != nil {
		t.Fatalf("klcourse grade: %v", gerr)
	}
	if res, err := os.ReadFile(filepath.Join(graded, "results", a+".json")); err != nil || bytes.Contains(res, []byte("compile error")) {
		t.Errorf("A's malicious submission did not build, so it never ran: %v\n%.1000s", err, res)
	}
	refused("read the grader's working folders during the grading", len(found) == 0, strings.Join(found, "\n"))
	shellFails("read what A's submission, run by the grader, left in /tmp", "cat "+q(leak))
	if _, err := os.Stat(leak); err == nil {
		os.Remove(leak)
	}
	shellFails("read the grades and B's feedback in the instructor's course folder", "ls "+q(graded)+" && cat "+q(filepath.Join(graded, "feedback", b+".html")))

	// Over HTTP, with A's own hub login.
	ac := hubLogin(t, base, a, pw[a])
	for _, path := range []string{
		"/user/" + b + "/api/contents/" + CourseDir + "/exercises",
		"/user/" + b + "/api/kernels",
		"/user/" + b + "/api/kernels/" + kernelID,
		"/user/" + b + "/files/" + CourseDir + "/feedback/" + e2eAssignment + "/" + e2eAssignment + ".html",
		"/hub/api/users/" + b,
	} {
		status, body := get(ac, base+path)
		refused("GET "+path+" with A's login, through the proxy", status != 200 || !looksLikeB(body, b, kernelID),
			fmt.Sprintf("status %d:\n%.500s", status, body))
	}
	status, _ := wsUpgrade(ac, base, "/user/"+b+"/api/kernels/"+kernelID+"/channels")
	refused("open B's kernel's websocket with A's login, through the proxy", status != 101, fmt.Sprintf("status %d", status))
	// B's server's own port, bypassing the proxy, with A's cookies and
	// without any.
	// (Some of the ports are the kernel's ZMQ sockets, which do not speak
	// HTTP: short timeouts.)
	aDirect := newClient(ac.Jar, 10*time.Second)
	for _, p := range userListeners(t, bst.UID) {
		u := fmt.Sprintf("http://127.0.0.1:%d/user/%s/api/contents/%s/exercises", p, b, CourseDir)
		status, body := get(aDirect, u)
		refused(fmt.Sprintf("GET B's server directly on port %d with A's login", p), status != 200 || !looksLikeB(body, b, kernelID), fmt.Sprintf("status %d:\n%.500s", status, body))
		status, body = get(newClient(nil, 10*time.Second), u)
		refused(fmt.Sprintf("GET B's server directly on port %d without a login", p), status != 200 || !looksLikeB(body, b, kernelID), fmt.Sprintf("status %d:\n%.500s", status, body))
	}
	status, body := get(newClient(nil, 10*time.Second), fmt.Sprintf("http://127.0.0.1:%d/api/routes", apiPort))
	refused("read or change the proxy's routes without its token", status == 403 || status == 401, fmt.Sprintf("status %d:\n%.300s", status, body))
	t.Logf("%d attempts made as %s against %s", attempts, a, b)
	ac.CloseIdleConnections()
	bc.CloseIdleConnections()
}

// looksLikeB reports whether a response body carries B's data: the
// exercise's name in a listing, B's kernel id, B's feedback, B's user model.
func looksLikeB(body, b, kernelID string) bool {
	return strings.Contains(body, e2eAssignment) || strings.Contains(body, kernelID) ||
		strings.Contains(body, "feedback for "+b) || strings.Contains(body, `"name": "`+b+`"`) || strings.Contains(body, `"name":"`+b+`"`)
}

// asUser runs a command as a student and fails the test if it fails.
func asUser(t *testing.T, user string, env []string, name string, args ...string) {
	t.Helper()
	argv := append([]string{"-u", user, "--", "env"}, env...)
	argv = append(argv, append([]string{name}, args...)...)
	cmd := exec.Command("runuser", argv...)
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	t.Logf("as %s: $ %s %s\n%s", user, name, strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("as %s: %s: %v", user, name, err)
	}
}

// hubLogin logs in through the hub's login form, waits for the student's
// server and returns a client carrying the student's cookies.
func hubLogin(t *testing.T, base, name, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := newClient(jar, 3*time.Minute)
	status, page := get(c, base+"/hub/login")
	if status != 200 {
		t.Fatalf("login page: %d\n%.500s", status, page)
	}
	form := url.Values{"username": {name}, "password": {password}}
	if m := regexp.MustCompile(`name="_xsrf"\s+value="([^"]*)"`).FindStringSubmatch(page); m != nil {
		form.Set("_xsrf", m[1])
	}
	resp, err := c.PostForm(base+"/hub/login?next="+url.QueryEscape("/hub/user/"+name+"/"), form)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		status, body := get(c, base+"/user/"+name+"/api/status")
		if status == 200 && strings.Contains(body, "started") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's server did not answer within 3 minutes: %d\n%.500s", name, status, body)
		}
		get(c, base+"/hub/spawn") // starts the server if it is not (JupyterHub answers 424 to /hub/user/NAME/ then)
		time.Sleep(time.Second)
	}
	get(c, base+"/user/"+name+"/tree") // sets the server's _xsrf cookie
	return c
}

// startKernel starts a GoNB kernel in the student's server and returns its id.
func startKernel(t *testing.T, c *http.Client, base, name string) string {
	t.Helper()
	u, _ := url.Parse(base + "/user/" + name + "/")
	xsrf := ""
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "_xsrf" {
			xsrf = ck.Value
		}
	}
	req, _ := http.NewRequest("POST", base+"/user/"+name+"/api/kernels", strings.NewReader(`{"name": "gonb"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-XSRFToken", xsrf)
	req.Header.Set("Referer", base+"/user/"+name+"/tree")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var k struct{ ID string }
	if resp.StatusCode/100 != 2 || json.Unmarshal(body, &k) != nil || k.ID == "" {
		t.Fatalf("starting %s's kernel: %d\n%s", name, resp.StatusCode, body)
	}
	return k.ID
}

// newClient is an HTTP client that sends an Accept header as a browser
// does (JupyterHub 3.0 fails with 500 on a request without one).
func newClient(jar http.CookieJar, timeout time.Duration) *http.Client {
	return &http.Client{Jar: jar, Timeout: timeout, Transport: acceptTransport{}}
}

type acceptTransport struct{}

func (acceptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Accept") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Accept", "text/html,application/json;q=0.9,*/*;q=0.8")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func get(c *http.Client, u string) (int, string) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

// wsUpgrade asks for a websocket on path with the client's cookies and
// returns the status of the answer (101 when it was opened).
func wsUpgrade(c *http.Client, base, path string) (int, error) {
	u, _ := url.Parse(base + path)
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	var cookies []string
	for _, ck := range c.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: %s\r\nCookie: %s\r\n\r\n",
		u.RequestURI(), u.Host, base, strings.Join(cookies, "; "))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// userProcess returns the pid of the user's process whose command line
// contains s.
func userProcess(t *testing.T, user, s string) int {
	t.Helper()
	out, _ := exec.Command("ps", "-u", user, "-o", "pid=,args=").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.Contains(line, s) {
			pid, _ := strconv.Atoi(f[0])
			return pid
		}
	}
	t.Fatalf("no process of %s runs %s:\n%s", user, s, out)
	return 0
}

// userListeners returns the TCP ports on which processes of uid listen.
func userListeners(t *testing.T, uid int) []int {
	var ports []int
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) < 8 || f[3] != "0A" || f[7] != strconv.Itoa(uid) {
				continue
			}
			if _, hexPort, ok := strings.Cut(f[1], ":"); ok {
				if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil {
					ports = append(ports, int(p))
				}
			}
		}
	}
	if len(ports) == 0 {
		t.Errorf("no listening port of uid %d found: the direct attempts were not made", uid)
	}
	return ports
}

// secretLines returns a line of code between the solution's BEGIN
// SOLUTION and END SOLUTION markers and a comment of its hidden tests,
// each the longest that appears nowhere in the exercise: text that a
// student may read only if the answers leaked.
func secretLines(t *testing.T, path string) (answer, hidden string) {
	t.Helper()
	exercise, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(path)), "exercises", filepath.Base(path)))
	if err != nil {
		t.Fatal(err)
	}
	nb, err := notebook.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := func(l string) bool {
		quoted, _ := json.Marshal(l)
		return len(l) > 20 && !bytes.Contains(exercise, bytes.Trim(quoted, `"`))
	}
	for _, c := range nb.Cells {
		inside := false
		for _, l := range strings.Split(c.Source, "\n") {
			l = strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(l, "// BEGIN SOLUTION"):
				inside = true
			case strings.HasPrefix(l, "// END SOLUTION"):
				inside = false
			case inside && !strings.HasPrefix(l, "//") && len(l) > len(answer) && secret(l):
				answer = l
			}
		}
		if tags, _ := json.Marshal(c.Metadata()["tags"]); strings.Contains(string(tags), `"hidden-tests"`) {
			for _, l := range strings.Split(c.Source, "\n") {
				if l = strings.TrimSpace(l); strings.HasPrefix(l, "//") && len(l) > len(hidden) && secret(l) {
					hidden = l
				}
			}
		}
	}
	if answer == "" || hidden == "" {
		t.Fatalf("%s: no line of the answer (%q) or of the hidden tests (%q) that the exercise lacks", path, answer, hidden)
	}
	return answer, hidden
}

// maliciousSubmission is the exercise with the solution's answers and one
// more cell: when the grader runs it, it copies the grader's sources (the
// hidden tests) and the solution into a file in /tmp that A can read.
func maliciousSubmission(t *testing.T, root, solutionPath, leak string) []byte {
	t.Helper()
	sol, err := notebook.Read(solutionPath)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := notebook.Read(filepath.Join(root, "exercises", e2eAssignment+".ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := assign.Fill(ex, assign.Answers(sol), assign.Stubs(sol)); err != nil {
		t.Fatal(err)
	}
	ex.Cells = append(ex.Cells, notebook.NewCell("code", fmt.Sprintf(`func init() {
	var stolen []byte
	for _, p := range []string{"../src/klcourse_main.go", %q} {
		b, _ := os.ReadFile(p)
		stolen = append(stolen, b...)
	}
	stolen = append(stolen, "leaked"...)
	os.WriteFile(%q, stolen, 0o644)
	os.Chmod(%q, 0o644)
}`, solutionPath, leak, leak)))
	data, err := ex.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
