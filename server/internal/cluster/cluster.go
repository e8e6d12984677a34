// Package cluster runs several real Twofold server processes (the binary,
// built by Build) on loopback, sharing one PostgreSQL database (created
// and dropped by the test), one key file and an in-process SMTP server,
// with a TCP proxy in front of PostgreSQL so that a test can cut it. It is
// the harness of the scale-out tests.
package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
)

// PublicHost is the host of the public URL every instance shares, as
// behind a load balancer; clients send it as Host.
const PublicHost = "twofold.test"

var (
	buildMu sync.Mutex
	builds  = map[string]string{}
	// buildDir holds the binaries of this test process; TestMain-less
	// packages remove it with RemoveBuilds.
	buildDir string
)

// Build compiles the server with the build tags (none: the plain build)
// once per test process and returns the binary's path.
func Build(t testing.TB, tags ...string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := strings.Join(tags, ",")
	if bin, ok := builds[key]; ok {
		return bin
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "twofold-cluster-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	// The binary embeds the console, which `make build` makes.
	if _, err := os.Stat(filepath.Join(root, "web", "static", "app.wasm")); err != nil {
		if os.Getenv("TWOFOLD_REQUIRE_BUILD") == "1" {
			t.Fatalf("web/static/app.wasm is missing: run `make build` first (%v)", err)
		}
		t.Skip("web/static/app.wasm is not built (the server binary embeds it); `make test` builds it first")
	}
	bin := filepath.Join(buildDir, "twofold-"+strings.NewReplacer(",", "-").Replace(cmpOr(key, "plain")))
	// -trimpath as in `make build`, so that both share the build cache.
	args := []string{"build", "-trimpath", "-o", bin}
	if key != "" {
		args = append(args, "-tags", key)
	}
	cmd := exec.Command("go", append(args, "./server")...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %q ./server: %v\n%s", key, err, out)
	}
	t.Logf("built %s in %v", filepath.Base(bin), time.Since(start).Round(time.Millisecond))
	builds[key] = bin
	return bin
}

// RemoveBuilds deletes the binaries Build made (call it from TestMain).
func RemoveBuilds() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Cluster is a database, its proxy, a key file and a mail server that
// instances share.
type Cluster struct {
	T testing.TB
	// DB is a direct connection (not through the proxy) for the test's own
	// reads and writes.
	DB    *db.DB
	Proxy *Proxy
	Mail  *smtptest.Server
	// DatabaseURL goes through the proxy; it is what instances use.
	DatabaseURL string
	KeyFile     string
	// Vars are given to every instance (after the cluster's own).
	Vars map[string]string

	mu        sync.Mutex
	instances []*Instance
}

// New creates a PostgreSQL database for the test (a schema of the test
// server, dropped when the test ends), a proxy in front of it, a key file
// and an SMTP server. Without a reachable PostgreSQL the test is skipped,
// unless TWOFOLD_REQUIRE_POSTGRES=1, which makes it fail.
func New(t testing.TB, vars map[string]string) *Cluster {
	t.Helper()
	// A schema of the development server, dropped when the test ends
	// (testdb skips or fails the test when PostgreSQL is unreachable).
	direct := testdb.Postgres(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{T: t, Vars: vars}
	c.Proxy = StartProxy(t, u.Host)
	u.Host = c.Proxy.Addr()
	c.DatabaseURL = u.String()
	if c.DB, err = db.Open(context.Background(), direct); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DB.Close() })
	c.Mail = smtptest.Start(t)
	dir := t.TempDir()
	c.KeyFile = filepath.Join(dir, "secret.key")
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.WriteFile(c.KeyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// Instance is one server process.
type Instance struct {
	Name string
	// URL is where the instance listens (http://127.0.0.1:port).
	URL string
	// MetricsURL is its /metrics address, when TWOFOLD_METRICS_ADDR is set.
	MetricsURL string
	Logs       *servertest.SafeBuffer

	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// Start runs the binary bin as an instance named name (in the logs) and
// waits until it listens. vars are added to the cluster's.
func (c *Cluster) Start(name, bin string, vars map[string]string) *Instance {
	t := c.T
	t.Helper()
	env := map[string]string{
		config.EnvAddr:           "127.0.0.1:0",
		config.EnvDatabaseURL:    c.DatabaseURL,
		config.EnvPublicURL:      "http://" + PublicHost,
		config.EnvSecretKeyFile:  c.KeyFile,
		config.EnvSMTPURL:        c.Mail.URL(),
		config.EnvAdminPassword:  servertest.AdminPassword,
		config.EnvLogFormat:      "json",
		config.EnvLogLevel:       "debug",
		config.EnvTrustedProxies: "127.0.0.1/32",
	}
	for k, v := range c.Vars {
		env[k] = v
	}
	for k, v := range vars {
		env[k] = v
	}
	in := &Instance{Name: name, Logs: &servertest.SafeBuffer{}, t: t, done: make(chan struct{})}
	in.cmd = exec.Command(bin, "serve")
	in.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		in.cmd.Env = append(in.cmd.Env, k+"="+v)
	}
	stdout, err := in.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in.cmd.Stderr = in.Logs
	if err := in.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(in.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var once sync.Once
		for sc.Scan() {
			line := sc.Text()
			in.Logs.Write([]byte(line + "\n"))
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			switch rec["msg"] {
			case "listening":
				in.URL = "http://" + rec["addr"].(string)
				once.Do(func() { close(ready) })
			case "metrics listening":
				in.MetricsURL = "http://" + rec["addr"].(string) + "/metrics"
			}
		}
		in.cmd.Wait()
	}()
	select {
	case <-ready:
	case <-in.done:
		t.Fatalf("%s exited before listening:\n%s", name, in.Logs.String())
	case <-time.After(30 * time.Second):
		in.Stop()
		t.Fatalf("%s did not listen within 30 s:\n%s", name, in.Logs.String())
	}
	c.mu.Lock()
	c.instances = append(c.instances, in)
	c.mu.Unlock()
	t.Cleanup(func() {
		in.Stop()
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, in.Logs.String())
		}
	})
	return in
}

// Stop ends the process with SIGTERM (SIGKILL after 20 s) and waits.
func (in *Instance) Stop() {
	in.once.Do(func() {
		in.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(20 * time.Second):
			in.t.Errorf("%s did not stop within 20 s of SIGTERM", in.Name)
			in.cmd.Process.Kill()
			<-in.done
		}
	})
}

// LogRecords returns the instance's JSON log records whose msg is msg.
func (in *Instance) LogRecords(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(in.Logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// Client is a browser-like client whose cookie jar is shared by every
// instance (they are all 127.0.0.1, as behind one load balancer's name).
type Client struct {
	t   testing.TB
	jar http.CookieJar
}

// NewClient returns a client with an empty cookie jar.
func (c *Cluster) NewClient() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: c.T, jar: jar}
}

// On returns the client's view of instance in: requests go there, with
// the shared cookie jar.
func (cl *Client) On(in *Instance) *servertest.Client {
	return &servertest.Client{T: cl.t, Base: in.URL, Host: PublicHost, Headers: map[string]string{},
		HTTP: &http.Client{Jar: cl.jar, Timeout: 30 * time.Second}}
}

// Get sends a plain GET to url and returns the status and body (tests of
// health, readiness, metrics).
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Proxy forwards TCP connections to a target (PostgreSQL) until cut.
type Proxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

// StartProxy listens on loopback and forwards to target.
func StartProxy(t testing.TB, target string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every connection and refuses new ones (they are closed at
// once), as a stopped PostgreSQL would.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore forwards new connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// String names the cluster in messages.
func (c *Cluster) String() string {
	return fmt.Sprintf("cluster on %s", config.RedactURL(c.DatabaseURL))
}
