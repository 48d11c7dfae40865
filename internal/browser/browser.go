// Package browser drives a headless Chromium for the course's browser tests:
// load a page (file:// or http://), list every request it made and every one
// that failed, evaluate JavaScript, type and click, take screenshots.
//
// It starts Debian's `chromium` (or `chromium-browser`, `google-chrome`, or
// the program named by $KLCOURSE_CHROMIUM) through the DevTools protocol
// (github.com/chromedp/chromedp). Tests call Need, which skips them with a
// clear message where no browser is installed.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ExecEnv names the browser program to use instead of searching for one.
const ExecEnv = "KLCOURSE_CHROMIUM"

// RequireEnv, set to 1 (as CI does), turns Need's skip into a failure.
const RequireEnv = "KLCOURSE_REQUIRE_BROWSER"

// Find returns the path of a Chromium-like browser: $KLCOURSE_CHROMIUM, else
// the first of chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv(ExecEnv); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", ExecEnv, p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH (Debian: apt-get install chromium)")
}

// Need returns the browser's path, or skips the test with a message that says
// how to install one (fails it instead when KLCOURSE_REQUIRE_BROWSER=1).
func Need(t testing.TB) string {
	t.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but no browser: %v", RequireEnv, err)
		}
		t.Skipf("browser test skipped: %v", err)
	}
	return path
}

// Options configure Start.
type Options struct {
	// Exec is the browser program; Find's when empty.
	Exec string
	// Width and Height of the window in CSS pixels; 1280×800 when zero.
	Width, Height int
	// Timeout bounds each action (load, evaluate, click); 60 s when zero.
	Timeout time.Duration
}

// Browser is a headless browser with one tab.
type Browser struct {
	ctx     context.Context
	cancel  func()
	timeout time.Duration

	mu       sync.Mutex
	urls     map[network.RequestID]string
	requests []string // every URL requested since the last Load, in order
	failed   []Failed // requests that failed since the last Load
	errors   []string // uncaught JavaScript exceptions since the last Load
}

// Failed is a request that did not succeed.
type Failed struct {
	URL    string
	Reason string // the network error, or the HTTP status
}

func (f Failed) String() string { return f.URL + ": " + f.Reason }

// Start starts a headless browser. Close stops it and removes its profile.
func Start(opts Options) (*Browser, error) {
	if opts.Exec == "" {
		var err error
		if opts.Exec, err = Find(); err != nil {
			return nil, err
		}
	}
	if opts.Width == 0 {
		opts.Width, opts.Height = 1280, 800
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	// Chromium leaves a folder (org.chromium.Chromium.*) in $TMPDIR that
	// outlives it: give it a temporary folder of its own, removed by Close.
	// Its socket in that folder must fit a Unix socket path (108 bytes):
	// under a long $TMPDIR the folder goes to /tmp.
	parent := os.TempDir()
	if len(parent)+len("/klcourse-browser-0123456789/org.chromium.Chromium.XXXXXX/SingletonSocket") > 100 {
		parent = "/tmp"
	}
	tmp, err := os.MkdirTemp(parent, "klcourse-browser-")
	if err != nil {
		return nil, err
	}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.Env("TMPDIR="+tmp),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.ExecPath(opts.Exec),
		chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.Flag("allow-file-access-from-files", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox.
		allocOpts = append(allocOpts, chromedp.NoSandbox)
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	ctx, ctxCancel := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: ctx, timeout: opts.Timeout, urls: map[network.RequestID]string{}}
	b.cancel = func() {
		ctxCancel()
		allocCancel() // waits for the browser to exit
		os.RemoveAll(tmp)
	}
	// The first action starts the browser, which lives as long as the
	// context of that action: give it ctx itself, not a context with a
	// timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.cancel()
		return nil, fmt.Errorf("starting %s: %w", opts.Exec, err)
	}
	if err := chromedp.Listen(ctx, b.onEvent); err != nil {
		b.cancel()
		return nil, err
	}
	return b, nil
}

func (b *Browser) onEvent(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.urls[ev.RequestID] = ev.Request.URL
		b.requests = append(b.requests, ev.Request.URL)
	case *network.EventLoadingFailed:
		b.failed = append(b.failed, Failed{URL: b.urls[ev.RequestID], Reason: ev.ErrorText})
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			b.failed = append(b.failed, Failed{URL: ev.Response.URL, Reason: fmt.Sprintf("HTTP %d %s", ev.Response.Status, ev.Response.StatusText)})
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text = d.Exception.Description
		}
		b.errors = append(b.errors, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, text))
	}
}

// Close stops the browser and removes its temporary folder (profile and
// all).
func (b *Browser) Close() { b.cancel() }

func (b *Browser) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Load navigates to url, waits until the page and its resources have loaded,
// and starts a new list of requests and failures.
func (b *Browser) Load(url string) error {
	b.mu.Lock()
	b.requests, b.failed, b.errors = nil, nil, nil
	b.mu.Unlock()
	if err := b.do(chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("loading %s: %w", url, err)
	}
	return nil
}

// Requests returns the URLs the page requested since the last Load.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// FailedRequests returns the requests that failed since the last Load.
func (b *Browser) FailedRequests() []Failed {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Failed(nil), b.failed...)
}

// Exceptions returns the uncaught JavaScript exceptions since the last Load.
func (b *Browser) Exceptions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Eval evaluates the JavaScript expression js in the page and stores its
// value (JSON-decoded) in out, which may be nil. An expression that returns a
// promise is awaited.
func (b *Browser) Eval(js string, out any) error {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", abbreviate(js), err)
	}
	if out == nil {
		return nil
	}
	return jsonUnmarshal(v, out)
}

// WaitFor evaluates the boolean JavaScript expression js until it is true or
// timeout passes.
func (b *Browser) WaitFor(js string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := b.Eval("!!("+js+")", &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return fmt.Errorf("%s still false after %v", abbreviate(js), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Resize sets the size of the viewport in CSS pixels.
func (b *Browser) Resize(width, height int) error {
	return b.do(chromedp.EmulateViewport(int64(width), int64(height)))
}

// Screenshot writes a PNG of the whole page (beyond the window) to path.
func (b *Browser) Screenshot(path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}

// Type types text into the element that the CSS selector sel finds first
// (after waiting for it to be visible).
func (b *Browser) Type(sel, text string) error {
	if err := b.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		return fmt.Errorf("typing into %s: %w", sel, err)
	}
	return nil
}

// TypeShift presses keys (characters or kb constants such as "\t") with
// Shift held, in the element that the CSS selector sel finds first (after
// waiting for it to be visible and focusing it): TypeShift(sel, "\t") is
// Shift-Tab.
func (b *Browser) TypeShift(sel, keys string) error {
	if err := b.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)),
		chromedp.KeyEvent(keys, chromedp.KeyModifiers(chromedp.ModifierShift))); err != nil {
		return fmt.Errorf("typing Shift+%q into %s: %w", keys, sel, err)
	}
	return nil
}

// Click clicks the element that the CSS selector sel finds first (after
// waiting for it to be visible).
func (b *Browser) Click(sel string) error {
	if err := b.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel))); err != nil {
		return fmt.Errorf("clicking %s: %w", sel, err)
	}
	return nil
}

// WaitVisible waits until the element that the CSS selector sel finds is
// visible.
func (b *Browser) WaitVisible(sel string) error {
	if err := b.do(chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		return fmt.Errorf("waiting for %s: %w", sel, err)
	}
	return nil
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
