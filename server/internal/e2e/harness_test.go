package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/server"
	"twofold/web"
)

// adminPassword is the first admin's password on every test server.
const adminPassword = "correct horse battery"

// chromiumPath is where Debian installs Chromium; TWOFOLD_CHROMIUM
// overrides it.
const chromiumPath = "/usr/bin/chromium"

// env is a running server and a browser tab on it.
type env struct {
	t *testing.T
	// URL is the server's base URL, http://127.0.0.1:<port>.
	URL   string
	Clock *clock.Fake
	// Server is the running server (its database, services).
	Server *server.Server
	// browser is the tab's context without a deadline (for screenshots
	// after a failure); ctx carries the test's deadline.
	browser context.Context
	ctx     context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// safeBuffer collects the server's output from several goroutines.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setup is what the options of start adjust.
type setup struct {
	// vars are the server's configuration variables.
	vars map[string]string
	// browserFlags are extra Chromium command-line flags.
	browserFlags map[string]any
}

// option adjusts the server or the browser a test starts.
type option func(*setup)

// withEnv sets a configuration variable of the server (e.g. its SMTP URL).
func withEnv(name, value string) option {
	return func(s *setup) { s.vars[name] = value }
}

// withLocale starts the browser in a language (e.g. "fr-FR"): its UI
// language, navigator.languages and the Accept-Language header.
func withLocale(tag string) option {
	base, _, _ := strings.Cut(tag, "-")
	return func(s *setup) {
		s.browserFlags["lang"] = tag
		s.browserFlags["accept-lang"] = tag + "," + base
	}
}

// start skips the test unless TWOFOLD_E2E=1, then starts a server on a
// fresh SQLite database and a headless Chromium with a fresh profile. The
// test gets timeout to run.
func start(t *testing.T, timeout time.Duration, opts ...option) *env {
	t.Helper()
	if os.Getenv("TWOFOLD_E2E") != "1" {
		t.Skip("browser test: set TWOFOLD_E2E=1 to run it (make test does)")
	}
	if shard := os.Getenv("TWOFOLD_E2E_SHARD"); shard != "" && !inShard(t, shard) {
		t.Skipf("in another shard than %s (TWOFOLD_E2E_SHARD)", shard)
	}
	static := web.FS()
	if _, err := fs.Stat(static, "app.wasm"); err != nil {
		t.Fatal("web/static/app.wasm is missing: run make build first")
	}
	chromium := chromiumPath
	if p := os.Getenv("TWOFOLD_CHROMIUM"); p != "" {
		chromium = p
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium is missing (%v): install it (apt-get install -y chromium) or set TWOFOLD_CHROMIUM", err)
	}

	su := &setup{vars: map[string]string{}, browserFlags: map[string]any{}}
	for _, o := range opts {
		o(su)
	}
	e := &env{t: t, Clock: clock.NewFake(time.Now())}
	e.startServer(static, su.vars)
	e.startBrowser(chromium, timeout, su.browserFlags)
	return e
}

// inShard reports whether the test t runs in shard "i/n" (make test runs
// the browser tests as two processes, TWOFOLD_E2E_SHARD=0/2 and 1/2: they
// wait on the browser most of the time, about half a core each, so two
// at once halve the step). A test's subtests stay in its shard.
func inShard(t *testing.T, shard string) bool {
	var i, n uint32
	if _, err := fmt.Sscanf(shard, "%d/%d", &i, &n); err != nil || n == 0 || i >= n {
		t.Fatalf("TWOFOLD_E2E_SHARD=%q is not i/n with i < n", shard)
	}
	name, _, _ := strings.Cut(t.Name(), "/")
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()%n == i
}

func (e *env) startServer(static fs.FS, extra map[string]string) {
	t := e.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.URL = "http://" + ln.Addr().String()
	if pub := extra[config.EnvPublicURL]; strings.Contains(pub, "{port}") {
		// A public URL under another host name (WebAuthn needs one, not
		// an IP address): the browser opens it, the server listens here.
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		e.URL = strings.ReplaceAll(pub, "{port}", port)
		extra[config.EnvPublicURL] = e.URL
	}
	dir := t.TempDir()
	vars := map[string]string{
		config.EnvAddr:          ln.Addr().String(),
		config.EnvDatabaseURL:   "sqlite:" + filepath.Join(dir, "twofold.db"),
		config.EnvSecretKeyFile: filepath.Join(dir, "secret.key"),
		config.EnvAdminPassword: adminPassword,
		config.EnvPublicURL:     e.URL,
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	out := &safeBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.Open(ctx, cfg, server.Options{
		Clock:  e.Clock,
		Static: static,
		Stderr: out,
		Logger: slog.New(slog.NewTextHandler(out, nil)),
	})
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("open server: %v", err)
	}
	e.Server = s
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
		s.Close()
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
}

func (e *env) startBrowser(chromium string, timeout time.Duration, flags map[string]any) {
	t := e.t
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	for name, value := range flags {
		opts = append(opts, chromedp.Flag(name, value))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(bctx); err != nil { // starts the browser, no deadline
		t.Fatalf("start Chromium %s: %v", chromium, err)
	}
	e.browser = bctx
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	e.ctx = ctx

	messages := chromedp.Console(bctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			e.mu.Lock()
			e.console = append(e.console, m)
			e.mu.Unlock()
		}
	}()
	// Registered last, so it runs first: the browser is still there.
	t.Cleanup(e.screenshotOnFailure)
}

// screenshotOnFailure saves a full-page screenshot of a failed test to
// test-artifacts/<TestName>.png at the repository root, with the
// browser's console.
func (e *env) screenshotOnFailure() {
	if !e.t.Failed() {
		return
	}
	for _, m := range e.consoleMessages() {
		e.t.Logf("browser console: %s: %s", m.Type, m.Text)
	}
	e.saveScreenshot(e.t.Name())
}

// saveScreenshot writes test-artifacts/<name>.png.
func (e *env) saveScreenshot(name string) {
	ctx, cancel := context.WithTimeout(e.browser, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		e.t.Logf("screenshot: %v", err)
		return
	}
	dir := filepath.Join(repoRoot(e.t), "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Logf("screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		e.t.Logf("screenshot: %v", err)
		return
	}
	e.t.Logf("screenshot: %s", path)
}

// snapshot saves a screenshot of a step when TWOFOLD_E2E_SCREENSHOTS=1, to
// look at the pages without a failure.
func (e *env) snapshot(step string) {
	if os.Getenv("TWOFOLD_E2E_SCREENSHOTS") == "1" {
		e.saveScreenshot(e.t.Name() + "-" + step)
	}
}

func (e *env) consoleMessages() []chromedp.ConsoleMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), e.console...)
}

// repoRoot is the directory of go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// do runs browser steps and fails the test with what it was doing.
func (e *env) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	if err := chromedp.Do(e.ctx, steps...); err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the visible text of the element with id.
func (e *env) text(id string) string {
	e.t.Helper()
	s, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("#"+id), chromedp.NodeVisible))
	if err != nil {
		e.t.Fatalf("text of #%s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

// value returns the value of the input with id.
func (e *env) value(id string) string {
	e.t.Helper()
	s, err := chromedp.Run(e.ctx, chromedp.Value(chromedp.CSS("#"+id)))
	if err != nil {
		e.t.Fatalf("value of #%s: %v", id, err)
	}
	return s
}

// present reports whether an element with id is in the page now.
func (e *env) present(id string) bool {
	e.t.Helper()
	ok, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool](`document.getElementById(`+jsString(id)+`) !== null`))
	if err != nil {
		e.t.Fatalf("look for #%s: %v", id, err)
	}
	return ok
}

// fill replaces the value of the input with id by typing s, so the page
// sees the same input events as from a keyboard.
func (e *env) fill(id, s string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS("#"+id)),
		chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById(`+jsString(id)+`);
			el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); })()`),
		chromedp.SendKeys(chromedp.CSS("#"+id), s),
	)
}

// mounted waits until the page whose root has id is rendered by the WASM
// (not the server's pre-rendering) and, when extra is set, matches it too
// (e.g. `[data-state="loaded"]`).
func mounted(id, extra string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS("#" + id + `[data-mounted="true"]` + extra))
}

// jsString quotes s as a JavaScript string literal (ids only: no quotes or
// backslashes in them).
func jsString(s string) string { return `"` + s + `"` }
