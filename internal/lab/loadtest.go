package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/klcourse/klcourse/internal/machine"
)

// A load test drives the real hub with simulated students: each logs in
// through the hub's login form, starts its server, opens the exercise
// through the contents API, starts a GoNB kernel through the sessions API
// and executes the exercise's cells over the kernel's websocket, as the
// notebook's web page does, with think time between cells. It measures what
// a student waits for. Everything is on the loopback.

// Account is a student's login.
type Account struct{ Name, Password string }

// LoadConfig says what the simulated class does.
type LoadConfig struct {
	Base     string    // the hub, http://127.0.0.1:PORT
	Students []Account // one simulated student each
	// Notebook is the exercise, relative to the student's home
	// ("klcourse/exercises/03_reverse_kl_fit.ipynb"); Cells are the code
	// cells the student executes, in order (the exercise with its answer
	// written in).
	Notebook string
	Cells    []string
	Think    time.Duration // between cells
	Stagger  time.Duration // between students' logins
	// Timeouts: a server start, a kernel start, one cell.
	StartTimeout, KernelTimeout, CellTimeout time.Duration
	HubPID                                   int       // the hub's process, for its CPU time (0: not measured)
	Log                                      io.Writer // one line per event
}

// CellKind classifies a cell by what a student waits for.
func CellKind(src string) string {
	s := strings.TrimSpace(src)
	switch {
	case strings.Contains(s, "%goworkfix") || strings.HasPrefix(s, "%env"):
		return "setup"
	case !strings.HasPrefix(s, "%%"):
		return "declarations"
	case regexp.MustCompile(`\b(fitFrom|Train|Fit|Run)\(`).MatchString(s):
		return "training"
	case regexp.MustCompile(`\bCheck\w*\(`).MatchString(s):
		return "self-check"
	case strings.Contains(s, "plots."):
		return "plot"
	default:
		return "first cell"
	}
}

// CellTiming is one executed cell.
type CellTiming struct {
	Index   int     `json:"index"`
	Kind    string  `json:"kind"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
}

// StudentResult is what one simulated student met.
type StudentResult struct {
	Name        string       `json:"name"`
	LoginS      float64      `json:"login_s"`
	ServerS     float64      `json:"server_start_s"`
	KernelS     float64      `json:"kernel_start_s"`
	Cells       []CellTiming `json:"cells"`
	Error       string       `json:"error,omitempty"`
	PeakRSSMiB  float64      `json:"peak_rss_mib"`
	KernelStart bool         `json:"kernel_started"`
}

// LoadReport is a load test's outcome.
type LoadReport struct {
	Students   int             `json:"students"`
	WallS      float64         `json:"wall_s"`
	HubCPU     float64         `json:"hub_cpu_cores"` // the hub's CPU seconds per second of wall time
	Results    []StudentResult `json:"results"`
	Load1Start float64         `json:"load1_at_start"`
	// The machine the class ran on, and when: what a sizing drawn from the
	// report is per.
	CPU    string  `json:"cpu,omitempty"`
	Cores  int     `json:"cores,omitempty"`
	MemGiB float64 `json:"mem_gib,omitempty"`
	Date   string  `json:"date,omitempty"`
	// Think is the pause between a student's cells, in seconds.
	ThinkS float64 `json:"think_s,omitempty"`
}

// Stats are latency percentiles of a kind of cell over every student.
type Stats struct {
	N                 int
	P50, P95, Max     float64
	Failed, TimedOut  int
	ServerStartP95    float64
	KernelStartFailed int
}

// Summary returns the latency of every kind of cell, and the server and
// kernel starts, over all students.
func (r *LoadReport) Summary() map[string]Stats {
	vals := map[string][]float64{}
	out := map[string]Stats{}
	for _, s := range r.Results {
		if s.ServerS > 0 {
			vals["server start"] = append(vals["server start"], s.ServerS)
		}
		if s.KernelS > 0 {
			vals["kernel start"] = append(vals["kernel start"], s.KernelS)
		}
		for _, c := range s.Cells {
			st := out[c.Kind]
			if c.Error != "" {
				st.Failed++
				if strings.Contains(c.Error, "timed out") {
					st.TimedOut++
				}
			} else {
				vals[c.Kind] = append(vals[c.Kind], c.Seconds)
			}
			out[c.Kind] = st
		}
	}
	for k, v := range vals {
		sort.Float64s(v)
		st := out[k]
		st.N, st.P50, st.P95, st.Max = len(v), quantile(v, 0.5), quantile(v, 0.95), v[len(v)-1]
		out[k] = st
	}
	return out
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// Table formats the report: one row per kind of wait, then memory and the
// hub's CPU.
func (r *LoadReport) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d students (load average %.1f at the start), %.0f s\n", r.Students, r.Load1Start, r.WallS)
	fmt.Fprintf(&b, "%-14s %5s %8s %8s %8s %7s %9s\n", "wait", "n", "p50 s", "p95 s", "max s", "failed", "timed out")
	sum := r.Summary()
	for _, k := range []string{"server start", "kernel start", "setup", "declarations", "first cell", "plot", "self-check", "training"} {
		st, ok := sum[k]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%-14s %5d %8.1f %8.1f %8.1f %7d %9d\n", k, st.N, st.P50, st.P95, st.Max, st.Failed, st.TimedOut)
	}
	if median, most := r.Memory(); most > 0 {
		fmt.Fprintf(&b, "memory per student (peak RSS of all their processes): median %.0f MiB, max %.0f MiB\n", median, most)
	}
	fmt.Fprintf(&b, "students who did not finish: %d; the hub's CPU: %.3f cores\n", r.Unfinished(), r.HubCPU)
	return b.String()
}

// Memory returns the median and the largest peak RSS of a student's
// processes together, in MiB (0, 0 when none was measured).
func (r *LoadReport) Memory() (median, most float64) {
	var mem []float64
	for _, s := range r.Results {
		if s.PeakRSSMiB > 0 {
			mem = append(mem, s.PeakRSSMiB)
		}
	}
	if len(mem) == 0 {
		return 0, 0
	}
	sort.Float64s(mem)
	return quantile(mem, 0.5), mem[len(mem)-1]
}

// Unfinished counts the students who did not get through their cells (a
// login, server or kernel that failed, or a run cut short).
func (r *LoadReport) Unfinished() int {
	n := 0
	for _, s := range r.Results {
		if s.Error != "" {
			n++
		}
	}
	return n
}

// ReadLoadReport reads a report that TestLabLoad wrote as JSON.
func ReadLoadReport(path string) (*LoadReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r LoadReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a load-test report: %w", path, err)
	}
	if r.Students < 1 || len(r.Results) != r.Students {
		return nil, fmt.Errorf("%s: a load-test report needs one result per student (students %d, results %d)", path, r.Students, len(r.Results))
	}
	return &r, nil
}

// RunLoad runs the simulated class and returns what it measured. It stops
// every kernel and server it started, whatever happens; ctx bounds it.
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadReport, error) {
	if len(cfg.Students) == 0 || len(cfg.Cells) == 0 {
		return nil, errors.New("lab: a load test needs students and cells")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	rep := &LoadReport{Students: len(cfg.Students), Results: make([]StudentResult, len(cfg.Students)), Load1Start: machine.LoadAverage(),
		CPU: machine.CPUModel(), Cores: runtime.NumCPU(), MemGiB: memTotalGiB(), Date: time.Now().UTC().Format(time.DateOnly), ThinkS: cfg.Think.Seconds()}
	hub0 := cpuSeconds(cfg.HubPID)
	start := time.Now()

	// Memory: every second, the RSS of each student's processes.
	uids := map[int]int{}
	for i, a := range cfg.Students {
		if u, err := user.Lookup(a.Name); err == nil {
			if id, err := strconv.Atoi(u.Uid); err == nil {
				uids[id] = i
			}
		}
	}
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			for uid, rss := range rssByUID() {
				if i, ok := uids[uid]; ok && rss > rep.Results[i].PeakRSSMiB {
					rep.Results[i].PeakRSSMiB = rss
				}
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()

	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, a := range cfg.Students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * cfg.Stagger):
			}
			res := simulateStudent(ctx, cfg, a)
			mu.Lock()
			peak := rep.Results[i].PeakRSSMiB
			rep.Results[i] = res
			rep.Results[i].PeakRSSMiB = peak
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stopSampling)
	<-sampled
	rep.WallS = time.Since(start).Seconds()
	if cfg.HubPID > 0 {
		rep.HubCPU = (cpuSeconds(cfg.HubPID) - hub0) / rep.WallS
	}
	return rep, nil
}

// student is one simulated student's HTTP session with the hub and its
// server.
type student struct {
	cfg    LoadConfig
	name   string
	client *http.Client
	base   *url.URL
}

func simulateStudent(ctx context.Context, cfg LoadConfig, a Account) (res StudentResult) {
	res.Name = a.Name
	jar, _ := cookiejar.New(nil)
	base, err := url.Parse(cfg.Base)
	if err != nil {
		res.Error = err.Error()
		return
	}
	s := &student{cfg: cfg, name: a.Name, client: &http.Client{Jar: jar, Timeout: 2 * time.Minute}, base: base}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "%s %s: %s\n", time.Now().Format("15:04:05"), a.Name, fmt.Sprintf(format, args...))
	}
	fail := func(what string, err error) StudentResult {
		res.Error = what + ": " + err.Error()
		logf("%s", res.Error)
		return res
	}

	t := time.Now()
	if err := s.login(ctx, a.Password); err != nil {
		return fail("login", err)
	}
	res.LoginS = time.Since(t).Seconds()
	t = time.Now()
	if err := s.startServer(ctx); err != nil {
		return fail("server start", err)
	}
	res.ServerS = time.Since(t).Seconds()
	logf("server up in %.1f s", res.ServerS)
	// Whatever happens next, the server is stopped at the end.
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.stopServer(sctx); err != nil {
			logf("stopping the server: %v", err)
		}
	}()

	if _, err := s.do(ctx, "GET", s.userURL("api/contents/"+cfg.Notebook), nil, nil); err != nil {
		return fail("opening the exercise", err)
	}
	t = time.Now()
	kctx, cancel := context.WithTimeout(ctx, cfg.KernelTimeout)
	k, err := s.startKernel(kctx)
	cancel()
	if err != nil {
		return fail("kernel start", err)
	}
	res.KernelStart = true
	defer k.close()
	res.KernelS = time.Since(t).Seconds()
	logf("kernel up in %.1f s", res.KernelS)

	for i, src := range cfg.Cells {
		if i > 0 && cfg.Think > 0 {
			select {
			case <-ctx.Done():
				return fail("cells", ctx.Err())
			case <-time.After(cfg.Think):
			}
		}
		c := CellTiming{Index: i, Kind: CellKind(src)}
		t := time.Now()
		cctx, cancel := context.WithTimeout(ctx, cfg.CellTimeout)
		_, err := k.execute(cctx, src)
		cancel()
		c.Seconds = time.Since(t).Seconds()
		if err != nil {
			c.Error = err.Error()
			if errors.Is(err, context.DeadlineExceeded) {
				c.Error = fmt.Sprintf("timed out after %s", cfg.CellTimeout)
			}
		}
		res.Cells = append(res.Cells, c)
		logf("cell %d (%s): %.1f s %s", i, c.Kind, c.Seconds, c.Error)
		if c.Error != "" && ctx.Err() != nil {
			break
		}
	}
	return res
}

func (s *student) hubURL(path string) string {
	return s.base.ResolveReference(&url.URL{Path: "/hub/" + path}).String()
}

func (s *student) userURL(path string) string {
	return s.base.ResolveReference(&url.URL{Path: "/user/" + s.name + "/" + path}).String()
}

// xsrf is the _xsrf cookie the hub or the server set for path.
func (s *student) xsrf(rawURL string) string {
	u, _ := url.Parse(rawURL)
	for _, c := range s.client.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			return c.Value
		}
	}
	return ""
}

// do sends a request with the XSRF header Jupyter wants of a cookie-
// authenticated request and returns the body; a status of 400 or more is
// an error with the body's start.
func (s *student) do(ctx context.Context, method, rawURL string, body io.Reader, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if x := s.xsrf(rawURL); x != "" {
		req.Header.Set("X-XSRFToken", x)
	}
	// The hub (and the server) accept a cookie-authenticated API request
	// from their own pages: the Referer says it comes from one.
	if strings.HasPrefix(req.URL.Path, "/hub/") {
		req.Header.Set("Referer", s.hubURL("home"))
	} else {
		req.Header.Set("Referer", s.userURL("lab"))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode >= 400 {
		msg := string(b)
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return b, fmt.Errorf("%s %s: %s: %s", method, req.URL.Path, resp.Status, msg)
	}
	return b, nil
}

var xsrfField = regexp.MustCompile(`name="_xsrf"\s+value="([^"]+)"`)

// login posts the hub's login form, as the login page does.
func (s *student) login(ctx context.Context, password string) error {
	page, err := s.do(ctx, "GET", s.hubURL("login"), nil, nil)
	if err != nil {
		return err
	}
	form := url.Values{"username": {s.name}, "password": {password}}
	if m := xsrfField.FindSubmatch(page); m != nil {
		form.Set("_xsrf", string(m[1]))
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if _, err := s.do(ctx, "POST", s.hubURL("login"), strings.NewReader(form.Encode()), h); err != nil {
		return err
	}
	u, _ := url.Parse(s.hubURL(""))
	for _, c := range s.client.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "jupyterhub-session-id") || strings.HasPrefix(c.Name, "jupyterhub-hub-login") {
			return nil
		}
	}
	return errors.New("the hub did not log the student in (no login cookie)")
}

// startServer asks the hub for the student's server and waits until it
// answers, then opens it once in the browser's way (the OAuth redirects
// that give the server's own cookie).
func (s *student) startServer(ctx context.Context) error {
	// Logging in through the form has already asked for the server (the
	// hub redirects to /hub/spawn); asking again is harmless.
	if _, err := s.do(ctx, "POST", s.hubURL("api/users/"+s.name+"/server"), nil, nil); err != nil && !strings.Contains(err.Error(), "400") {
		return err
	}
	deadline := time.Now().Add(s.cfg.StartTimeout)
	for {
		b, err := s.do(ctx, "GET", s.hubURL("api/users/"+s.name), nil, nil)
		if err != nil {
			return err
		}
		var u struct {
			Servers map[string]struct {
				Ready   bool `json:"ready"`
				Pending any  `json:"pending"`
			} `json:"servers"`
		}
		json.Unmarshal(b, &u)
		if srv, ok := u.Servers[""]; ok && srv.Ready {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server was not ready after %s", s.cfg.StartTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	// The server's own cookie, and its _xsrf cookie, come from the OAuth
	// redirects a first page load does.
	if _, err := s.do(ctx, "GET", s.userURL(""), nil, nil); err != nil {
		return err
	}
	_, err := s.do(ctx, "GET", s.userURL("api/status"), nil, nil)
	return err
}

func (s *student) stopServer(ctx context.Context) error {
	_, err := s.do(ctx, "DELETE", s.hubURL("api/users/"+s.name+"/server"), nil, nil)
	return err
}

// kernel is a GoNB kernel's websocket.
type kernel struct {
	s       *student
	id      string
	session string
	conn    *websocket.Conn
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startKernel starts a GoNB kernel for the exercise (a session, as opening
// the notebook does) and connects to its channels.
func (s *student) startKernel(ctx context.Context) (*kernel, error) {
	body, _ := json.Marshal(map[string]any{"path": s.cfg.Notebook, "name": filepath.Base(s.cfg.Notebook), "type": "notebook", "kernel": map[string]string{"name": "gonb"}})
	b, err := s.do(ctx, "POST", s.userURL("api/sessions"), strings.NewReader(string(body)), http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		return nil, err
	}
	var sess struct {
		ID     string `json:"id"`
		Kernel struct {
			ID string `json:"id"`
		} `json:"kernel"`
	}
	if err := json.Unmarshal(b, &sess); err != nil || sess.Kernel.ID == "" {
		return nil, fmt.Errorf("the sessions API answered %q", b)
	}
	k := &kernel{s: s, id: sess.Kernel.ID, session: newID()}
	ws := s.userURL("api/kernels/" + k.id + "/channels")
	ws = "ws" + strings.TrimPrefix(ws, "http") + "?session_id=" + k.session
	h := http.Header{}
	if x := s.xsrf(s.userURL("")); x != "" {
		h.Set("X-XSRFToken", x)
	}
	conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPClient: s.client, HTTPHeader: h})
	if err != nil {
		s.do(context.Background(), "DELETE", s.userURL("api/sessions/"+sess.ID), nil, nil)
		return nil, fmt.Errorf("the kernel's websocket: %w", err)
	}
	conn.SetReadLimit(64 << 20)
	k.conn = conn
	// The kernel is up when it answers kernel_info.
	if _, _, err := k.request(ctx, "kernel_info_request", map[string]any{}); err != nil {
		k.close()
		return nil, err
	}
	return k, nil
}

func (k *kernel) close() {
	if k.conn != nil {
		k.conn.Close(websocket.StatusNormalClosure, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k.s.do(ctx, "DELETE", k.s.userURL("api/kernels/"+k.id), nil, nil)
}

// execute runs one cell and waits for its reply and for the kernel to be
// idle again; an error status is an error. It returns what the cell
// printed (streams and error tracebacks).
func (k *kernel) execute(ctx context.Context, code string) (string, error) {
	content := map[string]any{"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true}
	reply, output, err := k.request(ctx, "execute_request", content)
	if err != nil {
		return output, err
	}
	var r struct {
		Status string `json:"status"`
		EName  string `json:"ename"`
		EValue string `json:"evalue"`
	}
	json.Unmarshal(reply, &r)
	if r.Status != "ok" {
		return output, fmt.Errorf("the cell failed: %s %s", r.EName, strings.TrimSpace(r.EValue))
	}
	return output, nil
}

// request sends a shell request and returns its reply's content, after the
// kernel has reported itself idle for it, and the text it printed.
func (k *kernel) request(ctx context.Context, msgType string, content any) (json.RawMessage, string, error) {
	id := newID()
	msg := map[string]any{
		"header": map[string]any{"msg_id": id, "username": k.s.name, "session": k.session, "msg_type": msgType,
			"version": "5.3", "date": time.Now().UTC().Format(time.RFC3339Nano)},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "content": content, "channel": "shell", "buffers": []any{},
	}
	b, _ := json.Marshal(msg)
	if err := k.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, "", err
	}
	var reply json.RawMessage
	var output strings.Builder
	idle := false
	for reply == nil || !idle {
		_, data, err := k.conn.Read(ctx)
		if err != nil {
			return nil, output.String(), err
		}
		var m struct {
			Channel string `json:"channel"`
			Header  struct {
				MsgType string `json:"msg_type"`
			} `json:"header"`
			ParentHeader struct {
				MsgID string `json:"msg_id"`
			} `json:"parent_header"`
			Content json.RawMessage `json:"content"`
		}
		if err := json.Unmarshal(data, &m); err != nil || m.ParentHeader.MsgID != id {
			continue
		}
		switch {
		case m.Channel == "shell" && strings.HasSuffix(m.Header.MsgType, "_reply"):
			reply = m.Content
		case m.Channel == "iopub" && m.Header.MsgType == "status":
			var st struct {
				State string `json:"execution_state"`
			}
			json.Unmarshal(m.Content, &st)
			idle = st.State == "idle"
		case m.Channel == "iopub" && (m.Header.MsgType == "stream" || m.Header.MsgType == "error"):
			var out struct {
				Text      string   `json:"text"`
				Traceback []string `json:"traceback"`
			}
			json.Unmarshal(m.Content, &out)
			output.WriteString(out.Text)
			output.WriteString(strings.Join(out.Traceback, "\n"))
		}
	}
	return reply, output.String(), nil
}

// rssByUID sums the resident memory (MiB) of every process, by owner.
func rssByUID() map[int]float64 {
	out := map[int]float64{}
	entries, _ := os.ReadDir("/proc")
	page := float64(os.Getpagesize()) / (1 << 20)
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		uid := -1
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					uid, _ = strconv.Atoi(f[0])
				}
				break
			}
		}
		statm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "statm"))
		if err != nil || uid < 0 {
			continue
		}
		if f := strings.Fields(string(statm)); len(f) > 1 {
			if pages, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[uid] += pages * page
			}
		}
	}
	return out
}

// cpuSeconds is a process's user and system CPU time.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	f := statFields(pid)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

// memTotalGiB is the machine's memory (MemTotal of /proc/meminfo), 0 when
// unknown.
func memTotalGiB() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / (1 << 20)
		}
	}
	return 0
}
