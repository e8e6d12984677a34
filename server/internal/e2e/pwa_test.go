package e2e

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/server"
	"twofold/server/internal/webui"
	"twofold/web"
)

// pwaServer is a server the test can stop (to go offline), start again on
// the same address and database (possibly with another build: a new
// version), and count the downloads of app.wasm on.
type pwaServer struct {
	addr     string
	dir      string
	clock    *clock.Fake
	wasmHits atomic.Int32
	stop     func()
}

// startPWA starts a browser (with opts) and a server the test controls.
func startPWA(t *testing.T, timeout time.Duration, opts ...option) (*env, *pwaServer) {
	t.Helper()
	// start() skips without TWOFOLD_E2E and checks the build and Chromium;
	// its own server stays unused.
	e := start(t, timeout, opts...)
	ps := &pwaServer{dir: t.TempDir(), clock: e.Clock}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps.addr = ln.Addr().String()
	ps.serve(t, ln, web.FS())
	e.URL = "http://" + ps.addr
	return e, ps
}

// restart stops the server if it runs and serves static on the same
// address and database; the count of app.wasm downloads starts again.
func (ps *pwaServer) restart(t *testing.T, static fs.FS) {
	t.Helper()
	ps.stop()
	var ln net.Listener
	var err error
	for range 50 { // the port was just released
		if ln, err = net.Listen("tcp", ps.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", ps.addr, err)
	}
	ps.wasmHits.Store(0)
	ps.serve(t, ln, static)
}

func (ps *pwaServer) serve(t *testing.T, ln net.Listener, static fs.FS) {
	vars := map[string]string{
		config.EnvAddr:          ps.addr,
		config.EnvDatabaseURL:   "sqlite:" + filepath.Join(ps.dir, "twofold.db"),
		config.EnvSecretKeyFile: filepath.Join(ps.dir, "secret.key"),
		config.EnvAdminPassword: adminPassword,
		config.EnvPublicURL:     "http://" + ps.addr,
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	out := &safeBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.Open(ctx, cfg, server.Options{Clock: ps.clock, Static: static, Stderr: out, Logger: slog.New(slog.NewTextHandler(out, nil))})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	inner := s.Handler
	s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/web/app.wasm" {
			ps.wasmHits.Add(1)
		}
		inner.ServeHTTP(w, r)
	})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once atomic.Bool
	ps.stop = func() {
		if !once.CompareAndSwap(false, true) {
			return
		}
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
		s.Close()
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	}
	t.Cleanup(ps.stop)
}

// newBuild is a copy of the built static files whose app.wasm differs: a
// WebAssembly custom section (id 0: its size, its name, a payload) is
// appended, which leaves the module valid and what it does the same, but
// changes its hash and so the version. The precompressed copies are left
// out, so the new raw file is what is served.
func newBuild(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(web.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".br") || strings.HasSuffix(path, ".gz") {
			return err
		}
		b, err := fs.ReadFile(web.FS(), path)
		if err != nil {
			return err
		}
		out[path] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	name, payload := "twofold-test", []byte(time.Now().String())
	content := append(uleb128(uint64(len(name))), name...)
	content = append(content, payload...)
	section := append([]byte{0}, uleb128(uint64(len(content)))...)
	section = append(section, content...)
	wasm := out["app.wasm"].Data
	out["app.wasm"] = &fstest.MapFile{Data: append(wasm[:len(wasm):len(wasm)], section...)}
	return out
}

// uleb128 encodes n as WebAssembly encodes sizes.
func uleb128(n uint64) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

// version is the version the page runs.
func (e *env) version() string {
	e.t.Helper()
	v, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`goappGetenv("GOAPP_VERSION")`))
	if err != nil {
		e.t.Fatalf("read the page's version: %v", err)
	}
	return v
}

// waitOfflineReady waits until the service worker is active and holds
// app.wasm and the shell in its cache. Active means it controls the page,
// or its activation (which claims the open pages) is over: a navigation
// that was already under way when the worker activated (a test that
// opens a second page during the install, on a loaded machine) stays
// uncontrolled, but the next one, the offline reload, goes through the
// worker.
func (e *env) waitOfflineReady() {
	e.t.Helper()
	const ready = `(async () => {
		if (!navigator.serviceWorker) return "no service worker support";
		let state = "controlled";
		if (!navigator.serviceWorker.controller) {
			const reg = await navigator.serviceWorker.getRegistration();
			state = !reg ? "no registration" : !reg.active ? "not active (" + (reg.installing ? "installing" : reg.waiting ? "waiting" : "none") + ")" : reg.active.state;
			if (state !== "activated") return "worker " + state;
		}
		const keys = await caches.keys();
		for (const k of keys) {
			const c = await caches.open(k);
			if (await c.match("/web/app.wasm") && await c.match("/")) return "ok";
		}
		return "worker " + state + ", caches " + JSON.stringify(keys) + " without app.wasm or the shell";
	})()`
	deadline := time.Now().Add(30 * time.Second)
	for {
		state, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](ready, chromedp.EvalAwaitPromise))
		if err != nil {
			e.t.Fatalf("look at the service worker: %v", err)
		}
		if state == "ok" {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the service worker did not cache the app within 30 s: %s", state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestInstallableManifest(t *testing.T) {
	e, _ := startPWA(t, 60*time.Second)
	e.do("open the console", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	manifest, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (page.GetAppManifestResult, error) {
		res, err := cdp.Call(ctx, tg, page.GetAppManifest, page.GetAppManifestParams{})
		if err != nil {
			return page.GetAppManifestResult{}, err
		}
		return res, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, me := range manifest.Errors {
		t.Errorf("manifest error: %s (critical %v)", me.Message, me.Critical)
	}
	for _, want := range []string{`"name":"Twofold"`, `"short_name":"Twofold"`, `"display":"standalone"`, `"start_url":"/"`, `"theme_color"`, `"192x192"`, `"512x512"`, `"maskable"`} {
		if !strings.Contains(strings.ReplaceAll(manifest.Data, " ", ""), want) {
			t.Errorf("manifest lacks %s: %s", want, manifest.Data)
		}
	}
	// Installability is judged once the worker controls the page.
	e.waitOfflineReady()
	errs, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) ([]*page.InstallabilityError, error) {
		res, err := cdp.Call(ctx, tg, page.GetInstallabilityErrors, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		return res.InstallabilityErrors, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ie := range errs {
		args := []string{}
		for _, a := range ie.ErrorArguments {
			args = append(args, a.Name+"="+a.Value)
		}
		t.Errorf("installability error: %s %v", ie.ErrorID, args)
	}
}

// TestFirstVisitDownloadsWasmOnceAndWorksOffline is issue 5's offline
// acceptance: the first visit downloads app.wasm once; after signing in
// (an email, 2FA on), with the server stopped, every route opens, the
// settings show the account kept in the browser with the offline banner
// and no action enabled; nothing from /api and no secret is in Cache
// Storage or localStorage; back online the page refreshes by itself; the
// kept account goes on sign-out and when the session is gone.
func TestFirstVisitDownloadsWasmOnceAndWorksOffline(t *testing.T) {
	e, ps := startPWA(t, 120*time.Second)
	const email = "admin@example.com"
	e.do("first visit", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	e.waitOfflineReady()
	if n := ps.wasmHits.Load(); n != 1 {
		t.Fatalf("the first visit downloaded app.wasm %d times, want 1", n)
	}
	e.do("sign in and set an email",
		e.fill("signin-username", "admin"),
		e.fill("signin-password", adminPassword),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		settingsLoaded(),
		e.fill("email", email),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#basic-saved")),
	)
	secret, codes := e.enableTOTP()
	token := e.sessionCookie()
	if token == "" {
		t.Fatal("no session cookie after signing in")
	}
	var kept map[string]any
	if err := json.Unmarshal([]byte(e.localStorage()["twofold.account"]), &kept); err != nil {
		t.Fatalf("the account kept in localStorage: %v", err)
	}
	want := map[string]any{"username": "admin", "email": "a***@example.com", "email_verification": false, "tfa_state": "enabled", "backup_codes_left": 6.0}
	for k, v := range want {
		if kept[k] != v {
			t.Errorf("kept account: %s = %v, want %v", k, kept[k], v)
		}
	}
	if _, ok := kept["saved_at"]; !ok || len(kept) != len(want)+1 {
		t.Errorf("kept account holds %v, want only %v and saved_at", kept, want)
	}
	// Reloads are served from the worker's cache: no new download.
	e.do("reload", chromedp.Reload(), settingsLoaded())
	if n := ps.wasmHits.Load(); n != 1 {
		t.Fatalf("app.wasm downloaded %d times after a reload, want 1", n)
	}

	ps.stop()
	offlineSettings := chromedp.Steps(
		mounted("settings-page", `[data-state="loaded"][data-offline="true"]`),
		chromedp.WaitVisible(chromedp.CSS("#offline-banner")),
	)
	e.do("reload /settings offline", chromedp.Reload(), offlineSettings)
	if got := e.text("offline-banner"); !strings.HasPrefix(got, "Offline — changes need a connection.") {
		t.Errorf("offline banner: %q", got)
	}
	if got := e.text("account-username"); got != "admin" {
		t.Errorf("offline username: got %q", got)
	}
	if !e.present("tfa-state") {
		t.Errorf("offline: the 2FA badge is missing")
	}
	e.expectOfflineFields("a***@example.com")
	e.do("open the offline security settings", securityTab())
	if got := e.text("backup-remaining"); got != "6 of 6 left." {
		t.Errorf("offline backup codes left: got %q", got)
	}
	if on := e.enabledControls("#settings-page .settings-sections"); len(on) > 0 {
		t.Errorf("offline: enabled controls %q", on)
	}
	e.do("back to the basic settings", basicTab())
	if !e.js(`document.getElementById("signout").disabled`) {
		t.Errorf("offline: Sign out is enabled")
	}
	e.axe("settings-offline")

	// Nothing from /api and no secret is kept by the browser.
	key := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	secrets := append([]string{adminPassword, key, strings.ToLower(key), token, email, "otpauth://"}, codes...)
	items := e.expectNoSecrets(secrets)
	caches := 0
	for _, it := range items {
		if it.Where != "localStorage" {
			caches++
		}
	}
	if caches < 5 {
		t.Errorf("Cache Storage holds only %d responses: %+v", caches, items)
	}

	// Other routes open offline too.
	e.do("open / offline", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-offline")))
	e.axe("signin-offline")
	e.do("open /verify offline", chromedp.Navigate(e.URL+"/verify?method=totp"), verifyPage("totp"))
	e.do("open /settings/security offline", chromedp.Navigate(e.URL+"/settings/security"), offlineSettings,
		chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="security"] #backup-remaining`)))
	e.do("open /settings offline again", chromedp.Navigate(e.URL+"/settings"), offlineSettings)

	// The server comes back: the page notices by itself (it tries again
	// every few seconds) and shows the live account.
	ps.restart(t, web.FS())
	e.do("see the page refresh", chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-offline="false"] #email:enabled`)))
	if got := e.value("email"); got != email {
		t.Errorf("email once online: got %q, want %q", got, email)
	}
	if e.present("offline-banner") || e.js(`document.getElementById("signout").disabled`) {
		t.Errorf("back online: the offline banner stays or Sign out is disabled")
	}

	// The kept account goes with the session: on sign-out...
	e.do("sign out", e.signOut())
	if v, ok := e.localStorage()["twofold.account"]; ok {
		t.Errorf("after sign-out localStorage keeps the account: %s", v)
	}
	// ... and when the server says the session is gone.
	e.do("sign in again", e.signIn("admin", adminPassword), verifyPage("totp"),
		e.fill("verify-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)
	if _, ok := e.localStorage()["twofold.account"]; !ok {
		t.Fatalf("signed in again: no account kept")
	}
	e.Clock.Advance(25 * time.Hour) // past the longest session
	e.do("open the settings with an ended session", chromedp.Navigate(e.URL+"/settings"), mounted("signin-page", ""))
	if v, ok := e.localStorage()["twofold.account"]; ok {
		t.Errorf("after unauthorized localStorage keeps the account: %s", v)
	}
	e.noConsoleErrors()
}

// TestNewVersionPromptsReload is issue 5's update acceptance: a new
// version is deployed (the server restarts on the same address and
// database with another app.wasm); the open page, back online, offers to
// reload; the new worker holds the new app.wasm (so it starts offline
// too); Reload runs the new version.
func TestNewVersionPromptsReload(t *testing.T) {
	e, ps := startPWA(t, 90*time.Second)
	e.do("first visit and sign in",
		chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""),
		e.fill("signin-username", "admin"),
		e.fill("signin-password", adminPassword),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		settingsLoaded(),
	)
	e.waitOfflineReady()
	if e.present("update-banner") {
		t.Fatalf("the first install is shown as an update")
	}
	before := e.version()

	build := newBuild(t)
	next, err := webui.New(build)
	if err != nil {
		t.Fatal(err)
	}
	if next.Version == before {
		t.Fatalf("the new build has the old version %s", before)
	}
	ps.restart(t, build)
	// The browser goes offline and comes back: the app checks for an update.
	e.networkState(false)
	e.networkState(true)
	e.do("see the update prompt", chromedp.WaitVisible(chromedp.CSS("#update-banner #update-reload")))
	if got := e.text("update-text"); got != "A new version of Twofold is available." {
		t.Errorf("update prompt: %q", got)
	}
	e.axe("update-prompt")
	cached, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`(async () => {
		const out = [];
		for (const k of await caches.keys()) {
			const r = await (await caches.open(k)).match("/web/app.wasm");
			out.push(k + " " + (r ? (await r.arrayBuffer()).byteLength : 0));
		}
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("twofold-%s %d", next.Version, len(build["app.wasm"].Data)); !slices.Equal(cached, []string{want}) {
		t.Errorf("caches after the update: %q, want [%s]", cached, want)
	}

	e.do("reload into the new version", chromedp.Click(chromedp.CSS("#update-reload")), settingsLoaded())
	if got := e.version(); got != next.Version {
		t.Errorf("after Reload the page runs %s, want %s (was %s)", got, next.Version, before)
	}
	if e.present("update-banner") {
		t.Errorf("the update prompt stays after reloading")
	}
	if n := ps.wasmHits.Load(); n != 1 {
		t.Errorf("the update downloaded app.wasm %d times, want 1", n)
	}
	e.noConsoleErrors()
}
