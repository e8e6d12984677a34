package webui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"twofold/web"
)

func fakeStatic() fstest.MapFS {
	return fstest.MapFS{
		"app.wasm":    {Data: []byte("\x00asm raw bytes, quite a few of them")},
		"app.wasm.br": {Data: []byte("brotli!")},
		"app.wasm.gz": {Data: []byte("gzip bytes")},
		"app.css":     {Data: []byte("body{}")},
	}
}

func TestWasmServedPrecompressed(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		accept, enc, body string
	}{
		{"gzip, deflate, br, zstd", "br", "brotli!"},
		{"gzip", "gzip", "gzip bytes"},
		{"br;q=0, gzip;q=0.5", "gzip", "gzip bytes"},
		{"", "", "\x00asm raw bytes, quite a few of them"},
		{"identity", "", "\x00asm raw bytes, quite a few of them"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/web/app.wasm", nil)
			req.Header.Set("Accept-Encoding", tt.accept)
			rec := httptest.NewRecorder()
			u.ServeHTTP(rec, req)
			h := rec.Header()
			if rec.Code != 200 || rec.Body.String() != tt.body {
				t.Fatalf("%d %q", rec.Code, rec.Body.String())
			}
			if h.Get("Content-Type") != "application/wasm" || h.Get("Content-Encoding") != tt.enc ||
				h.Get("Vary") != "Accept-Encoding" || h.Get("Content-Length") != strconv.Itoa(len(tt.body)) {
				t.Fatalf("headers %v", h)
			}
			// Revalidation answers 304.
			req.Header.Set("If-None-Match", h.Get("ETag"))
			rec = httptest.NewRecorder()
			u.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Fatalf("revalidation: %d", rec.Code)
			}
		})
	}
}

func TestVersionIsTheHashOfTheWasm(t *testing.T) {
	a, _ := New(fakeStatic())
	b, _ := New(fakeStatic())
	other := fakeStatic()
	other["app.wasm"] = &fstest.MapFile{Data: []byte("\x00asm another build")}
	c, _ := New(other)
	if a.Version != b.Version || a.Version == c.Version || len(a.Version) < 16 {
		t.Fatalf("versions %s %s %s", a.Version, b.Version, c.Version)
	}
	if a.app.WasmContentLength != strconv.Itoa(len(fakeStatic()["app.wasm"].Data)) {
		t.Fatalf("WasmContentLength %s", a.app.WasmContentLength)
	}
}

func TestNotBuilt(t *testing.T) {
	if _, err := New(fstest.MapFS{"app.css": {Data: []byte("")}}); err != ErrNotBuilt {
		t.Fatalf("got %v", err)
	}
}

func TestPagesAndIconsAreLocal(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	for _, icon := range []string{u.app.Icon.Default, u.app.Icon.Large, u.app.Icon.Maskable, u.app.Icon.SVG} {
		if len(icon) < 6 || icon[:5] != "/web/" {
			t.Errorf("icon %q is not local", icon)
		}
	}
	rec := httptest.NewRecorder()
	u.ServeHTTP(rec, httptest.NewRequest("GET", "/manifest.webmanifest", nil))
	if rec.Code != 200 {
		t.Fatalf("manifest: %d", rec.Code)
	}
	if body := rec.Body.String(); strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Fatalf("manifest refers to remote resources: %s", body)
	}
	rec = httptest.NewRecorder()
	u.ServeHTTP(rec, httptest.NewRequest("GET", "/web/app.css", nil))
	if rec.Code != 200 || rec.Body.String() != "body{}" {
		t.Fatalf("static file: %d %q", rec.Code, rec.Body.String())
	}
}

// TestWasmSizeBudget checks the build made by `make build`: app.wasm
// compressed with brotli must stay under 2.3 MB.
func TestWasmSizeBudget(t *testing.T) {
	const budget = 2_300_000
	static := web.FS()
	raw, errRaw := fs.Stat(static, "app.wasm")
	br, err := fs.Stat(static, "app.wasm.br")
	if err != nil || errRaw != nil {
		if os.Getenv("TWOFOLD_REQUIRE_BUILD") == "1" {
			t.Fatalf("web/static/app.wasm.br missing: run `make build` (%v)", err)
		}
		t.Skip("web/static/app.wasm.br not built; `make test` builds it first")
	}
	t.Logf("app.wasm: %d bytes raw, %d bytes brotli (budget %d)", raw.Size(), br.Size(), budget)
	if br.Size() >= budget {
		t.Fatalf("app.wasm.br is %d bytes, over the %d byte budget", br.Size(), budget)
	}
}

func TestServiceWorker(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	u.ServeHTTP(rec, httptest.NewRequest("GET", "/app-worker.js", nil))
	js := rec.Body.String()
	for _, want := range []string{
		"event.waitUntil", "cache.addAll(updating ? resourcesToCache : precache)", `url.pathname.startsWith("/api/")`, `req.mode === "navigate"`,
		`cache.match("/")`, `u !== wasmURL`, `"/web/app.wasm"`, `"/web/icon.svg"`, u.Version,
		`cache.put(url.origin + url.pathname, copy)`, `"/settings/security"`, `"/verify"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("worker lacks %q", want)
		}
	}
	rec = httptest.NewRecorder()
	u.ServeHTTP(rec, httptest.NewRequest("GET", pagePath, nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "twofold:cache-wasm") {
		t.Fatalf("page script: %d %s", rec.Code, rec.Body.String())
	}
	// The page loads it.
	rec = httptest.NewRecorder()
	u.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `src="`+pagePath+`"`) {
		t.Fatalf("page does not load %s", pagePath)
	}
}

// TestVersionFollowsTheBrotliBuild: with a brotli copy, the version hashes
// it (and app.wasm's size) instead of reading app.wasm, whose pages would
// then stay resident: another brotli build changes it.
func TestVersionFollowsTheBrotliBuild(t *testing.T) {
	a, _ := New(fakeStatic())
	other := fakeStatic()
	other["app.wasm.br"] = &fstest.MapFile{Data: []byte("brotli of another build")}
	b, _ := New(other)
	if a.Version == b.Version {
		t.Fatalf("another brotli build kept version %s", a.Version)
	}
}
