// Package firstpaint measures how soon a go-app console can be used: the
// time from a navigation to a usable sign-in form (its text field and its
// button shown, enabled and on top of everything), cold (a new browser
// profile: no HTTP cache, no service worker) and warm (the same profile
// again, the app cached by its service worker), in headless Chromium. It
// measures Twofold (the server binary `make build` makes) and, built in
// the same run, go-app's hello-world, so the figures of a busy machine
// can be compared.
//
// A load also records when the WASM has rendered the page (its root gets
// data-mounted="true"): Twofold's pre-rendered sign-in form is usable
// before that, go-app's stock loader hides the hello-world's until then.
//
// Measure is called by the command in cmd/firstpaint and can be called by
// benchmarks; a Report prints as a table and marshals to JSON.
package firstpaint

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Goals of issue 12: a warm load usable within a second, a cold one
// within one and a half times the hello-world's cold load.
const (
	GoalWarm       = time.Second
	GoalColdFactor = 1.5
)

// Options configure a measurement. The zero value measures 3 cold and 5
// warm loads of each app with the repository's bin/twofold.
type Options struct {
	// Root is the repository's root (default: the directory holding
	// go.mod, from the working directory up).
	Root string
	// Twofold is the server binary (default Root/bin/twofold).
	Twofold string
	// Chromium is the browser (default /usr/bin/chromium, or
	// TWOFOLD_CHROMIUM).
	Chromium string
	// Go is the go command that builds the hello-world (default "go"),
	// run with GOTOOLCHAIN=local like the Makefile's WASM build.
	Go string
	// Cold and Warm are the numbers of loads (default 3 and 5).
	Cold, Warm int
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Load is the timing of one page load, from the start of the navigation.
type Load struct {
	// Usable: the sign-in form's text field and button are shown, enabled
	// and on top (nothing covers them), and the page has been painted.
	Usable time.Duration `json:"usable_ns"`
	// Mounted: the WASM has rendered the page.
	Mounted time.Duration `json:"mounted_ns"`
	// Paint is the first contentful paint.
	Paint time.Duration `json:"paint_ns"`
}

// App is the measurement of one app.
type App struct {
	Name string `json:"name"`
	// WasmBytes and WasmBrotli are the sizes of its app.wasm.
	WasmBytes  int64  `json:"wasm_bytes"`
	WasmBrotli int64  `json:"wasm_brotli_bytes"`
	Cold       []Load `json:"cold"`
	Warm       []Load `json:"warm"`
	// The medians of the loads.
	ColdUsable  time.Duration `json:"cold_usable_ns"`
	ColdMounted time.Duration `json:"cold_mounted_ns"`
	WarmUsable  time.Duration `json:"warm_usable_ns"`
	WarmMounted time.Duration `json:"warm_mounted_ns"`
}

// Report is a measurement of Twofold and the hello-world.
type Report struct {
	When    time.Time `json:"when"`
	Twofold App       `json:"twofold"`
	Hello   App       `json:"hello_world"`
	// The goals: Twofold warm usable ≤ GoalWarm, cold usable ≤
	// GoalColdFactor × the hello-world's cold usable.
	WarmGoal  time.Duration `json:"warm_goal_ns"`
	ColdGoal  time.Duration `json:"cold_goal_ns"`
	WarmMet   bool          `json:"warm_met"`
	ColdMet   bool          `json:"cold_met"`
	Chromium  string        `json:"chromium"`
	ColdLoads int           `json:"cold_loads"`
	WarmLoads int           `json:"warm_loads"`
}

// target is an app being measured: where it runs and what its form is.
type target struct {
	app   *App
	url   string
	input string // CSS of the form's text field
	send  string // CSS of the form's button
}

// Measure builds the hello-world, starts both servers and measures their
// loads. It needs Chromium, brotli and a built Twofold.
func Measure(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "firstpaint-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	o.logf("building the go-app hello-world in %s", tmp)
	helloDir := filepath.Join(tmp, "hello")
	helloBin, err := buildHello(ctx, o, helloDir)
	if err != nil {
		return nil, err
	}
	r := &Report{When: time.Now().UTC(), Chromium: o.Chromium, ColdLoads: o.Cold, WarmLoads: o.Warm}
	r.Twofold.Name, r.Hello.Name = "twofold", "hello-world"
	if err := wasmSizes(&r.Twofold, filepath.Join(o.Root, "web", "static")); err != nil {
		return nil, err
	}
	if err := wasmSizes(&r.Hello, filepath.Join(helloDir, "web")); err != nil {
		return nil, err
	}

	twofoldURL, stopTwofold, err := startTwofold(ctx, o, filepath.Join(tmp, "twofold"))
	if err != nil {
		return nil, err
	}
	defer stopTwofold()
	helloURL, stopHello, err := startHello(ctx, helloBin, helloDir)
	if err != nil {
		return nil, err
	}
	defer stopHello()

	targets := []target{
		{app: &r.Twofold, url: twofoldURL + "/", input: "#signin-username", send: "#signin-submit"},
		{app: &r.Hello, url: helloURL + "/", input: "#probe-input", send: "#probe-submit"},
	}
	// Rounds alternate the apps, so a busy moment of the machine weighs
	// on both. Each round is a new profile: one cold load, then warm ones.
	warmPerRound := (o.Warm + o.Cold - 1) / o.Cold
	for round := range o.Cold {
		for _, tg := range targets {
			cold, warm, err := measureRound(ctx, o, tg, filepath.Join(tmp, fmt.Sprintf("profile-%s-%d", tg.app.Name, round)), warmPerRound)
			if err != nil {
				return nil, fmt.Errorf("%s, round %d: %w", tg.app.Name, round+1, err)
			}
			tg.app.Cold = append(tg.app.Cold, cold)
			tg.app.Warm = append(tg.app.Warm, warm...)
			o.logf("%s round %d: cold usable %v (WASM %v), warm usable %v", tg.app.Name, round+1,
				cold.Usable.Round(time.Millisecond), cold.Mounted.Round(time.Millisecond), usables(warm))
		}
	}
	for _, a := range []*App{&r.Twofold, &r.Hello} {
		a.Warm = a.Warm[:min(len(a.Warm), o.Warm)]
		a.ColdUsable, a.ColdMounted = median(a.Cold, usable), median(a.Cold, mounted)
		a.WarmUsable, a.WarmMounted = median(a.Warm, usable), median(a.Warm, mounted)
	}
	r.WarmGoal = GoalWarm
	r.ColdGoal = time.Duration(GoalColdFactor * float64(r.Hello.ColdUsable))
	r.WarmMet = r.Twofold.WarmUsable <= r.WarmGoal
	r.ColdMet = r.Twofold.ColdUsable <= r.ColdGoal
	return r, nil
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Twofold == "" {
		o.Twofold = filepath.Join(o.Root, "bin", "twofold")
	}
	if o.Chromium == "" {
		o.Chromium = "/usr/bin/chromium"
		if p := os.Getenv("TWOFOLD_CHROMIUM"); p != "" {
			o.Chromium = p
		}
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Cold <= 0 {
		o.Cold = 3
	}
	if o.Warm <= 0 {
		o.Warm = 5
	}
	for _, f := range []struct{ path, fix string }{
		{o.Twofold, "run `make build`"},
		{filepath.Join(o.Root, "web", "static", "app.wasm.br"), "run `make build`"},
		{o.Chromium, "install Chromium (apt-get install -y chromium) or set TWOFOLD_CHROMIUM"},
	} {
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("firstpaint: %s is missing: %s", f.path, f.fix)
		}
	}
	if _, err := exec.LookPath("brotli"); err != nil {
		return errors.New("firstpaint: brotli is missing (apt-get install -y brotli)")
	}
	return nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("firstpaint: no go.mod above the working directory: set Options.Root")
		}
	}
}

// buildHello writes the hello-world into dir, builds its WASM (as the
// Makefile builds Twofold's: -trimpath, -s -w, brotli -q 11) and its
// server, and returns the server's path. Its go.sum is Twofold's, which
// holds go-app's modules.
func buildHello(ctx context.Context, o Options, dir string) (string, error) {
	web := filepath.Join(dir, "web")
	if err := os.MkdirAll(web, 0o755); err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(o.Root, "go.sum"))
	if err != nil {
		return "", err
	}
	files := map[string][]byte{
		"main.go": []byte(helloMain), "serve_wasm.go": []byte(helloWasm), "serve_server.go": []byte(helloServer),
		"go.mod": []byte(helloMod), "go.sum": sum,
	}
	for _, icon := range []string{"icon-192.png", "icon-512.png", "icon.svg"} {
		b, err := os.ReadFile(filepath.Join(o.Root, "web", "static", icon))
		if err != nil {
			return "", err
		}
		files[filepath.Join("web", icon)] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	env := append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	run := func(extra []string, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir, cmd.Env = dir, append(slices.Clone(env), extra...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	wasm := []string{"GOOS=js", "GOARCH=wasm"}
	if err := run(wasm, o.Go, "build", "-trimpath", "-ldflags=-s -w", "-o", "web/app.wasm", "."); err != nil {
		return "", err
	}
	if err := run(nil, "brotli", "-q", "11", "-f", "-k", "web/app.wasm"); err != nil {
		return "", err
	}
	if err := run(nil, o.Go, "build", "-o", "hello-server", "."); err != nil {
		return "", err
	}
	return filepath.Join(dir, "hello-server"), nil
}

func wasmSizes(a *App, dir string) error {
	raw, err := os.Stat(filepath.Join(dir, "app.wasm"))
	if err != nil {
		return err
	}
	br, err := os.Stat(filepath.Join(dir, "app.wasm.br"))
	if err != nil {
		return err
	}
	a.WasmBytes, a.WasmBrotli = raw.Size(), br.Size()
	return nil
}

// freeAddr returns a local address nothing listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startTwofold runs the server on a new SQLite database in dir.
func startTwofold(ctx context.Context, o Options, dir string) (string, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	password := make([]byte, 16)
	rand.Read(password)
	cmd := exec.CommandContext(ctx, o.Twofold, "serve")
	cmd.Env = append(os.Environ(),
		"TWOFOLD_ADDR="+addr,
		"TWOFOLD_PUBLIC_URL=http://"+addr,
		"TWOFOLD_DATABASE_URL=sqlite:"+filepath.Join(dir, "twofold.db"),
		"TWOFOLD_SECRET_KEY_FILE="+filepath.Join(dir, "secret.key"),
		"TWOFOLD_ADMIN_PASSWORD="+hex.EncodeToString(password),
	)
	return startServer(cmd, "http://"+addr, "/api/health")
}

// startHello runs the hello-world's server in dir (it serves dir/web).
func startHello(ctx context.Context, bin, dir string) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HELLO_ADDR="+addr, "HELLO_VERSION=hello-"+fmt.Sprint(time.Now().UnixNano()))
	return startServer(cmd, "http://"+addr, "/")
}

// startServer starts cmd and waits until base+probe answers 200.
func startServer(cmd *exec.Cmd, base, probe string) (string, func(), error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return "", nil, fmt.Errorf("%s stopped: %s", cmd.Path, out.String())
		default:
		}
		if res, err := http.Get(base + probe); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, stop, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("%s did not answer within 30 s: %s", cmd.Path, out.String())
}

// probe is run in every page the browser opens: at each frame it looks at
// the form (text field and button shown, enabled, on top) and the WASM's
// rendering, and keeps when each first happened, from the navigation's
// start (performance.now()).
const probe = `(() => {
	const marks = {};
	window.firstPaintMarks = marks;
	const usable = (css) => {
		const el = document.querySelector(css);
		if (!el || el.disabled || el.getClientRects().length === 0) return false;
		const r = el.getBoundingClientRect();
		const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return top === el || el.contains(top);
	};
	const frame = () => {
		const now = performance.now();
		if (marks.usable === undefined && usable(%q) && usable(%q)) marks.usable = now;
		if (marks.mounted === undefined && document.querySelector('[data-mounted="true"]')) marks.mounted = now;
		if (marks.usable === undefined || marks.mounted === undefined) requestAnimationFrame(frame);
		else {
			const p = performance.getEntriesByName("first-contentful-paint")[0];
			marks.paint = p ? p.startTime : 0;
			marks.done = true;
		}
	};
	requestAnimationFrame(frame);
})();`

type marks struct {
	Usable  float64 `json:"usable"`
	Mounted float64 `json:"mounted"`
	Paint   float64 `json:"paint"`
	Done    bool    `json:"done"`
}

// measureRound opens a new browser profile, loads the app once (cold),
// waits for its service worker to hold it, then loads it warm times.
func measureRound(ctx context.Context, o Options, tg target, profile string, warm int) (Load, []Load, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(o.Chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(profile),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	tctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	// The browser starts before the clock does: a blank page first.
	if err := chromedp.Do(tctx, chromedp.Navigate("about:blank")); err != nil {
		return Load{}, nil, fmt.Errorf("start Chromium: %w", err)
	}
	src := fmt.Sprintf(probe, tg.input, tg.send)
	if _, err := chromedp.Run(tctx, func(ctx context.Context, t *chromedp.Target) (page.AddScriptToEvaluateOnNewDocumentResult, error) {
		return cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
	}); err != nil {
		return Load{}, nil, err
	}
	cold, err := load(tctx, tg.url)
	if err != nil {
		return Load{}, nil, fmt.Errorf("cold load: %w", err)
	}
	if err := waitCached(tctx); err != nil {
		return Load{}, nil, err
	}
	var warms []Load
	for range warm {
		if err := chromedp.Do(tctx, chromedp.Navigate("about:blank")); err != nil {
			return Load{}, nil, err
		}
		l, err := load(tctx, tg.url)
		if err != nil {
			return Load{}, nil, fmt.Errorf("warm load: %w", err)
		}
		warms = append(warms, l)
	}
	return cold, warms, nil
}

// load navigates to url and reads the probe's marks once both are there.
func load(ctx context.Context, url string) (Load, error) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return Load{}, err
	}
	var m marks
	var err error
	// A poll may start in the JavaScript context of the page that was
	// there before the navigation: it is tried again in the new one.
	for range 5 {
		m, err = chromedp.Run(ctx, chromedp.Poll[marks](`window.firstPaintMarks && window.firstPaintMarks.done ? window.firstPaintMarks : null`,
			chromedp.WithPollingTimeout(90*time.Second)))
		if err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return Load{}, fmt.Errorf("waiting for a usable form and the WASM: %w", err)
	}
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	// A form is usable once it is painted: the frame that shows it can
	// come before the browser's first contentful paint is recorded.
	return Load{Usable: ms(max(m.Usable, m.Paint)), Mounted: ms(m.Mounted), Paint: ms(m.Paint)}, nil
}

// waitCached waits until a service worker controls the page and its
// cache holds app.wasm: the next loads are warm.
func waitCached(ctx context.Context) error {
	const ready = `(async () => {
		if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
		for (const k of await caches.keys()) {
			if (await (await caches.open(k)).match("/web/app.wasm")) return true;
		}
		return false;
	})()`
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](ready, chromedp.EvalAwaitPromise))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the service worker did not cache app.wasm within 60 s")
}

func usable(l Load) time.Duration  { return l.Usable }
func mounted(l Load) time.Duration { return l.Mounted }

// median returns the median of what of loads (0 for none).
func median(loads []Load, what func(Load) time.Duration) time.Duration {
	if len(loads) == 0 {
		return 0
	}
	d := make([]time.Duration, len(loads))
	for i, l := range loads {
		d[i] = what(l)
	}
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func usables(loads []Load) []time.Duration {
	var out []time.Duration
	for _, l := range loads {
		out = append(out, l.Usable.Round(time.Millisecond))
	}
	return out
}

// WriteTable prints the report as a table with the goals.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Time to a usable sign-in form, headless Chromium (median of %d cold and %d warm loads)\n\n", r.ColdLoads, r.WarmLoads)
	fmt.Fprintf(&b, "%-12s %12s %14s %12s %14s %16s\n", "app", "cold usable", "cold WASM ran", "warm usable", "warm WASM ran", "app.wasm brotli")
	for _, a := range []App{r.Twofold, r.Hello} {
		fmt.Fprintf(&b, "%-12s %12s %14s %12s %14s %13.2f MB\n", a.Name,
			secs(a.ColdUsable), secs(a.ColdMounted), secs(a.WarmUsable), secs(a.WarmMounted), float64(a.WasmBrotli)/1e6)
	}
	fmt.Fprintf(&b, "\nwarm usable ≤ %s: %s (%s)\n", secs(r.WarmGoal), verdict(r.WarmMet), secs(r.Twofold.WarmUsable))
	fmt.Fprintf(&b, "cold usable ≤ %.1f × hello-world's cold (%s): %s (%s)\n", GoalColdFactor, secs(r.ColdGoal), verdict(r.ColdMet), secs(r.Twofold.ColdUsable))
	_, err := io.WriteString(w, b.String())
	return err
}

// MarshalIndent is the report as indented JSON.
func (r *Report) MarshalIndent() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
