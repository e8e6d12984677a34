package e2e

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/server"
	"twofold/web"
)

// pwaServer is a server the test can stop (to go offline) and count the
// downloads of app.wasm on.
type pwaServer struct {
	addr      string
	dir       string
	wasmHits  atomic.Int32
	stop      func()
	stoppedCh chan struct{}
}

// startPWA starts a browser and a server the test controls.
func startPWA(t *testing.T, timeout time.Duration) (*env, *pwaServer) {
	t.Helper()
	// start() skips without TWOFOLD_E2E and checks the build and Chromium;
	// its own server stays unused.
	e := start(t, timeout)
	ps := &pwaServer{dir: t.TempDir()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps.addr = ln.Addr().String()
	ps.serve(t, e.Clock, ln)
	e.URL = "http://" + ps.addr
	return e, ps
}

func (ps *pwaServer) serve(t *testing.T, c *clock.Fake, ln net.Listener) {
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
	s, err := server.Open(ctx, cfg, server.Options{Clock: c, Static: web.FS(), Stderr: out, Logger: slog.New(slog.NewTextHandler(out, nil))})
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

// waitOfflineReady waits until the service worker controls the page and
// holds app.wasm in its cache.
func (e *env) waitOfflineReady() {
	e.t.Helper()
	const ready = `(async () => {
		if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
		for (const k of await caches.keys()) {
			const c = await caches.open(k);
			if (await c.match("/web/app.wasm") && await c.match("/")) return true;
		}
		return false;
	})()`
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool](ready, chromedp.EvalAwaitPromise))
		if err != nil {
			e.t.Fatalf("look at the service worker: %v", err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatal("the service worker did not cache the app within 30 s")
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

func TestFirstVisitDownloadsWasmOnceAndWorksOffline(t *testing.T) {
	e, ps := startPWA(t, 90*time.Second)
	e.do("first visit", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	e.waitOfflineReady()
	if n := ps.wasmHits.Load(); n != 1 {
		t.Fatalf("the first visit downloaded app.wasm %d times, want 1", n)
	}
	e.do("sign in",
		e.fill("signin-username", "admin"),
		e.fill("signin-password", adminPassword),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		mounted("settings-page", `[data-state="loaded"]`),
	)
	// Reloads are served from the worker's cache: no new download.
	e.do("reload", chromedp.Reload(), mounted("settings-page", ""))
	if n := ps.wasmHits.Load(); n != 1 {
		t.Fatalf("app.wasm downloaded %d times after a reload, want 1", n)
	}

	ps.stop()
	for _, route := range []string{"/settings", "/", "/settings?tab=security"} {
		id := "settings-page"
		if route == "/" {
			id = "signin-page"
		}
		e.do("open "+route+" offline", chromedp.Navigate(e.URL+route), mounted(id, ""))
	}
	// Nothing from /api and no secret is kept by the browser.
	stored, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`(async () => {
		const out = [];
		for (const k of await caches.keys()) {
			const c = await caches.open(k);
			for (const r of await c.keys()) out.push(new URL(r.url).pathname);
		}
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range stored {
		if strings.HasPrefix(p, "/api/") {
			t.Errorf("Cache Storage holds %s", p)
		}
	}
	if len(stored) < 5 {
		t.Errorf("Cache Storage holds only %v", stored)
	}
}
