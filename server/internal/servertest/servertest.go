// Package servertest starts a whole server behind httptest for tests, with
// a movable clock and a fresh database, and gives them a small JSON client.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/server"
)

// AdminPassword is the first admin's password in every test server.
const AdminPassword = "correct horse battery staple"

// Argon2 are the password-hash parameters (TWOFOLD_ARGON2 form) of the
// test servers whose variables set no TWOFOLD_ARGON2 and whose public URL
// is not https (the server refuses weak hashes there); empty, the default:
// the server's own (account.DefaultParams). A test package whose tests are
// not about the hashes' cost sets it to CheapArgon2 in TestMain, before
// any test runs: at the default parameters a hash takes about 50 ms, and
// about 0.4 s under the race detector, and every server start hashes
// twice (the dummy hash, the first admin). Tests about the cost set
// TWOFOLD_ARGON2 themselves.
var Argon2 string

// CheapArgon2 are argon2's own minimums (8 KiB, one pass), below OWASP's
// floor: allowed with TWOFOLD_BENCH_WEAK_ARGON2=1, as for `make bench`.
const CheapArgon2 = "m=8,t=1,p=1"

// Env is a running test server.
type Env struct {
	T      testing.TB
	Server *server.Server
	Clock  *clock.Fake
	HTTP   *httptest.Server
	URL    string
	// Host is the public URL's host, which clients send as Host.
	Host   string
	Dir    string
	Stderr *SafeBuffer
	Logs   *SafeBuffer
	Vars   map[string]string
}

// Options adjust a test server.
type Options struct {
	// Vars are extra configuration variables (TWOFOLD_*).
	Vars map[string]string
	// Static serves the UI; nil serves the API only.
	Static fs.FS
	// Dir holds the key file; empty: a new temporary directory.
	Dir string
	// Clock: nil: a new fake clock at the current time.
	Clock *clock.Fake
	// DBHooks see every database query (a testdb.Probe).
	DBHooks []bun.QueryHook
}

// SafeBuffer is a bytes.Buffer safe for concurrent writes.
type SafeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SafeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SafeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Config builds a configuration for a test server on dbURL.
func Config(t testing.TB, dbURL, dir string, vars map[string]string) config.Config {
	t.Helper()
	env := map[string]string{
		config.EnvDatabaseURL:   dbURL,
		config.EnvSecretKeyFile: filepath.Join(dir, "secret.key"),
		config.EnvAdminPassword: AdminPassword,
	}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if _, set := vars[config.EnvArgon2]; Argon2 != "" && !set && !cfg.Production() {
		env[config.EnvArgon2], env[config.EnvBenchWeakArgon2] = Argon2, "1"
		if cfg, err = config.FromEnv(func(k string) string { return env[k] }); err != nil {
			t.Fatalf("config with TWOFOLD_ARGON2=%s: %v", Argon2, err)
		}
	}
	return cfg
}

// Start opens a server on dbURL and serves it with httptest. Unless
// opts.Vars sets TWOFOLD_PUBLIC_URL, the public URL is the address the
// test server listens on, so the server's Host check (API.md) passes for
// requests to URL; otherwise clients send the public URL's host (Host).
func Start(t testing.TB, dbURL string, opts Options) *Env {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Clock == nil {
		opts.Clock = clock.NewFake(time.Now())
	}
	e := &Env{T: t, Clock: opts.Clock, Dir: opts.Dir, Stderr: &SafeBuffer{}, Logs: &SafeBuffer{}, Vars: opts.Vars}
	// Listen first: the configuration needs the address.
	e.HTTP = httptest.NewUnstartedServer(nil)
	e.URL = "http://" + e.HTTP.Listener.Addr().String()
	vars := map[string]string{config.EnvPublicURL: e.URL}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	cfg := Config(t, dbURL, opts.Dir, vars)
	e.Host = cfg.PublicURL.Host
	s, err := server.Open(context.Background(), cfg, server.Options{
		Clock:   opts.Clock,
		Logger:  slog.New(slog.NewTextHandler(e.Logs, nil)),
		Stderr:  e.Stderr,
		Static:  opts.Static,
		DBHooks: opts.DBHooks,
	})
	if err != nil {
		e.HTTP.Close()
		t.Fatalf("open server: %v", err)
	}
	e.Server = s
	e.HTTP.Config.Handler = s.Handler
	e.HTTP.Start()
	t.Cleanup(func() {
		e.HTTP.Close()
		s.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", e.Logs.String())
		}
	})
	return e
}

// Client is a browser-like JSON client with its own cookie jar.
type Client struct {
	T    testing.TB
	Base string
	HTTP *http.Client
	// Headers are added to every request; "Host" sets the Host header.
	Headers map[string]string
	// Host is the Host header sent when Headers has none; empty: Base's.
	Host string
}

// NewClient returns a client with an empty cookie jar. When the public
// URL is not the test server's address, the client sends the public URL's
// host as Host.
func (e *Env) NewClient() *Client {
	jar, _ := cookiejar.New(nil)
	c := &Client{T: e.T, Base: e.URL, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}, Headers: map[string]string{}}
	if "http://"+e.Host != e.URL {
		c.Host = e.Host
	}
	return c
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	m := map[string]any{}
	r.JSON(t, &m)
	return m
}

// Code returns the "code" of an error body, or "".
func (r *Response) Code() string {
	var e struct {
		Code string `json:"code"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Code
}

// Do sends a request; body may be nil, a string/[]byte (sent as is) or a
// value encoded as JSON.
func (c *Client) Do(method, path string, body any) *Response {
	c.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.T.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatalf("new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	for k, v := range c.Headers {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.T.Fatalf("read %s %s: %v", method, path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Must sends a request and fails the test unless the status is want.
func (c *Client) Must(want int, method, path string, body any) *Response {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Status != want {
		c.T.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Login signs in with a password and fails the test unless it answers 200.
func (c *Client) Login(username, password string) *Response {
	c.T.Helper()
	return c.Must(http.StatusOK, "POST", "/api/auth/login", map[string]string{"username": username, "password": password})
}

// SessionCookie returns the session cookie the jar holds, or nil.
func (c *Client) SessionCookie() *http.Cookie {
	u, _ := http.NewRequest("GET", c.Base+"/", nil)
	for _, ck := range c.HTTP.Jar.Cookies(u.URL) {
		if strings.HasSuffix(ck.Name, "twofold_session") {
			return ck
		}
	}
	return nil
}
