// Package webui serves the WASM console: go-app's handler for pages,
// manifest and worker, and the embedded static files, with app.wasm sent
// precompressed. Pages are pre-rendered in the visitor's language and
// theme (page.go), so the first paint, before the WASM runs, is already
// right.
package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console"
)

var registerOnce sync.Once

// ErrNotBuilt: app.wasm is missing from the static files.
var ErrNotBuilt = errors.New("web/static/app.wasm is missing: run `make build` first")

// UI serves the console's pages and static files.
type UI struct {
	files   http.Handler
	app     *app.Handler
	static  fs.FS
	wasm    map[string]wasmFile // by content encoding: "br", "gzip", ""
	etag    string
	Version string
	pages   pages
}

// wasmFile is one encoding of app.wasm among the static files.
type wasmFile struct {
	name string
	size int64
}

// New reads the static files and prepares the go-app handler. The version
// is a hash of the build (app.wasm's size and its brotli copy, or app.wasm
// when there is none), so clients update exactly when the binary changes.
func New(static fs.FS, opts ...Option) (*UI, error) {
	raw, err := fs.Stat(static, "app.wasm")
	if err != nil {
		return nil, ErrNotBuilt
	}
	// The builds are served from the embedded files, not copied to the
	// heap: a copy would keep ~16 MB alive (and as much again of the
	// garbage collector's headroom) in every instance.
	u := &UI{files: http.FileServerFS(static), static: static, wasm: map[string]wasmFile{"": {"app.wasm", raw.Size()}}}
	for enc, name := range map[string]string{"br": "app.wasm.br", "gzip": "app.wasm.gz"} {
		if fi, err := fs.Stat(static, name); err == nil {
			u.wasm[enc] = wasmFile{name, fi.Size()}
		}
	}
	// The version hashes the brotli build (made from app.wasm by the same
	// `make build`) with app.wasm's size, rather than the 11 MB of
	// app.wasm itself, whose pages would then stay resident.
	sum := sha256.New()
	fmt.Fprintf(sum, "app.wasm %d\n", raw.Size())
	src := u.wasm["br"].name
	if src == "" {
		src = "app.wasm"
	}
	f, err := static.Open(src)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	_, err = io.Copy(sum, f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	u.Version = hex.EncodeToString(sum.Sum(nil)[:10])
	u.etag = `"` + u.Version + `"`

	registerOnce.Do(console.Register)
	u.app = &app.Handler{
		Name:            "Twofold",
		ShortName:       "Twofold",
		Title:           "Twofold",
		Description:     "Protect your account with two-factor authentication.",
		Lang:            "en",
		BackgroundColor: "#f6f7fb",
		ThemeColor:      "#1e3a8a",
		// go-app's loader is hidden (app.css): the pre-rendered page is the
		// loading screen, in the visitor's language. Its label stays free
		// of words anyway.
		LoadingLabel: "{progress}%",
		// The page's colours follow the theme from the first frame: the
		// browser's own parts (form controls, scroll bars) too.
		RawHeaders: []string{`<meta name="color-scheme" content="light dark">`},
		HTML:       u.pages.html,
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-maskable-512.png",
			SVG:      "/web/icon.svg",
		},
		Styles: []string{"/web/app.css"},
		// go-app precaches the PNG icons but not the SVG one, which the
		// header's logo and the favicon use: offline they would be missing.
		// Every page is precached too (go-app takes "/" only), so each opens
		// offline with its own first paint (in the language and theme of the
		// install; the worker refreshes a page each time it is visited).
		CacheableResources:    append([]string{"/web/icon.svg"}, console.Paths()...),
		Scripts:               []string{pagePath},
		ServiceWorkerTemplate: workerJS,
		Resources:             resolver{},
		Version:               u.Version,
		WasmContentLength:     strconv.FormatInt(raw.Size(), 10),
	}
	for _, o := range opts {
		o(u)
	}
	if err := u.checkWorker(); err != nil {
		return nil, err
	}
	return u, nil
}

// pagePath serves pageJS.
const pagePath = "/web/twofold.js"

// checkWorker renders the service worker once, so that a go-app upgrade
// that changes its template placeholders fails at start-up instead of
// silently shipping a broken worker.
func (u *UI) checkWorker() error {
	req, err := http.NewRequest(http.MethodGet, "http://localhost/app-worker.js", nil)
	if err != nil {
		return fmt.Errorf("webui: %w", err)
	}
	rec := &recorder{header: http.Header{}}
	u.app.ServeHTTP(rec, req)
	body := rec.body.String()
	if rec.status != http.StatusOK || strings.Contains(body, "{{") || !strings.Contains(body, `"twofold-`+u.Version+`"`) ||
		!strings.Contains(body, `"/web/app.css"`) {
		return fmt.Errorf("webui: the service worker did not render as expected (go-app template placeholders changed?):\n%.300s", body)
	}
	return nil
}

// recorder is the http.ResponseWriter of checkWorker: it keeps the status
// and the body.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// Option adjusts a UI.
type Option func(*UI)

// WithDomain sets the public host name used in the pages' og:url.
func WithDomain(host string) Option { return func(u *UI) { u.app.Domain = host } }

// resolver leaves /web/ paths as they are. It is not an http.Handler, so
// go-app does not serve /web/ from the working directory: UI does, from the
// embedded files.
type resolver struct{}

func (resolver) Resolve(location string) string {
	if location == "" {
		return "/"
	}
	return location
}

// ServeHTTP serves /web/app.wasm, other /web/ files, and pages.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/web/app.wasm":
		u.serveWasm(w, r)
	case r.URL.Path == pagePath:
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		io.WriteString(w, pageJS)
	case strings.HasPrefix(r.URL.Path, "/web/"):
		w.Header().Set("Cache-Control", "no-cache")
		http.StripPrefix("/web", u.files).ServeHTTP(w, r)
	case goAppFiles[r.URL.Path]:
		u.app.ServeHTTP(w, r)
	default:
		u.servePage(w, r)
	}
}

// goAppFiles are the files go-app's handler makes; every other path is a
// page (or a 404 page).
var goAppFiles = map[string]bool{
	"/app.js": true, "/goapp.js": true, "/app-worker.js": true, "/wasm_exec.js": true,
	"/manifest.webmanifest": true, "/manifest.json": true, "/app.css": true,
}

// serveWasm sends app.wasm in the best encoding the client accepts, with an
// explicit Content-Length (http.ServeContent would drop it with an encoding
// and apply ranges to compressed bytes).
func (u *UI) serveWasm(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	enc := pickEncoding(r.Header.Get("Accept-Encoding"), u.wasm)
	body := u.wasm[enc]
	f, err := u.static.Open(body.name)
	if err != nil {
		http.Error(w, "app.wasm is missing", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/wasm")
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "no-cache")
	etag := u.etag
	if enc != "" {
		etag = `"` + u.Version + "-" + enc + `"`
		h.Set("Content-Encoding", enc)
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(body.size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(w, f)
	}
}

// pickEncoding chooses br, then gzip, then identity among what the client
// accepts (q=0 refuses) and what was built.
func pickEncoding(accept string, have map[string]wasmFile) string {
	ok := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			if f, err := strconv.ParseFloat(p[2:], 64); err == nil {
				q = f
			}
		}
		ok[name] = q > 0
	}
	for _, enc := range []string{"br", "gzip"} {
		if _, built := have[enc]; built && ok[enc] {
			return enc
		}
	}
	return ""
}

// String describes the build.
func (u *UI) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "version %s, app.wasm %d bytes", u.Version, u.wasm[""].size)
	if br, ok := u.wasm["br"]; ok {
		fmt.Fprintf(&b, " (brotli %d)", br.size)
	}
	return b.String()
}
