package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// client speaks the console API the way a script does (no browser
// headers), over kept-alive loopback connections.
type client struct {
	http *http.Client
	base string
}

func newClient(base string) *client {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &client{http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, base: base}
}

// failure is a request that did not answer what a correct sign-in gets.
type failure struct{ what string }

func (f failure) Error() string { return f.what }

// post sends body as JSON with the session cookie and returns the status,
// the decoded answer's "status" and the new session cookie, if any.
func (c *client) do(ctx context.Context, method, path, cookie string, body any) (int, string, string, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, "", "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	var set string
	for _, ck := range resp.Cookies() {
		if ck.Name == "twofold_session" && ck.Value != "" {
			set = ck.Name + "=" + ck.Value
		}
	}
	return resp.StatusCode, out.Status, set, nil
}

// signIn signs u in with the password and a TOTP code and returns the
// full session's cookie.
func (c *client) signIn(ctx context.Context, u *user, code string) (string, error) {
	st, status, cookie, err := c.do(ctx, "POST", "/api/auth/login", "", map[string]string{"username": u.name, "password": userPassword})
	if err != nil {
		return "", err
	}
	if st != 200 || status != "verify" || cookie == "" {
		return "", failure{fmt.Sprintf("login %d %s", st, status)}
	}
	st, status, full, err := c.do(ctx, "POST", "/api/auth/verify", cookie, map[string]string{"code": code})
	if err != nil {
		return "", err
	}
	if st != 200 || status != "ok" || full == "" {
		return "", failure{fmt.Sprintf("verify %d %s", st, status)}
	}
	return full, nil
}

// pool hands out users round-robin, skipping any that signed in during
// the current time step; stalls counts the waits for the next step when
// every user has (too few users for the rate).
type pool struct {
	mu     sync.Mutex
	users  []*user
	next   int
	stalls atomic.Int64
}

func (p *pool) take(ctx context.Context) (*user, string, error) {
	for {
		p.mu.Lock()
		for range p.users {
			u := p.users[p.next]
			p.next = (p.next + 1) % len(p.users)
			if code, ok := u.code(time.Now()); ok {
				p.mu.Unlock()
				return u, code, nil
			}
		}
		p.mu.Unlock()
		p.stalls.Add(1)
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Phase is the result of one measured phase.
type Phase struct {
	Engine      string         `json:"engine"`
	Argon2      string         `json:"argon2"`
	Name        string         `json:"phase"`
	Concurrency int            `json:"concurrency"`
	Attempted   int            `json:"attempted"`
	OK          int            `json:"ok"`
	Failed      int            `json:"failed"`
	Failures    map[string]int `json:"failures,omitempty"`
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"per_second"`
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
	CPUms       float64        `json:"server_cpu_ms_per_op"`
	CPUShare    float64        `json:"server_cpu_cores"`
	// ClientCPUms is the load generator's own CPU per operation (it
	// shares the machine: what it takes, the server cannot have).
	ClientCPUms float64 `json:"load_generator_cpu_ms_per_op"`
	// OtherCPUms is the CPU per operation of everything else on the
	// machine (/proc/stat): PostgreSQL's backends, the kernel's work
	// outside the two processes; MachineCores the whole machine's busy
	// cores (below the CPU count: idle, waiting on one another).
	OtherCPUms   float64 `json:"other_cpu_ms_per_op"`
	MachineCores float64 `json:"machine_cpu_cores"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	// LimitPerS is the argon2 limit during the phase: the mean of the
	// limits measured right before it and right after it (LimitBefore,
	// LimitAfter); LimitShare is PerSecond over it (sign-ins with the
	// configured hash).
	LimitPerS   float64 `json:"argon2_limit_per_second,omitempty"`
	LimitBefore float64 `json:"argon2_limit_before_per_second,omitempty"`
	LimitAfter  float64 `json:"argon2_limit_after_per_second,omitempty"`
	LimitShare  float64 `json:"argon2_limit_share,omitempty"`
	Stalls      int64   `json:"user_pool_stalls,omitempty"`
}

// run runs op from conc workers until maxOps were started or maxTime has
// passed, and measures the server meanwhile.
func run(ctx context.Context, s *server, name string, conc, maxOps int, maxTime time.Duration, op func(ctx context.Context, worker int) error) Phase {
	ph := Phase{Name: name, Concurrency: conc, Failures: map[string]int{}}
	// The load generator shares the machine with the server: one P is
	// enough for it (under a core at every phase), and its idle threads
	// then do not spin on the other core looking for work.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var (
		mu        sync.Mutex
		latencies []time.Duration
		started   atomic.Int64
		wg        sync.WaitGroup
	)
	cpu0, _ := s.cpu()
	self0 := selfCPU()
	all0 := machineCPU()
	rss := watchRSS(s)
	deadline := time.Now().Add(maxTime)
	t0 := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) && started.Add(1) <= int64(maxOps) {
				t := time.Now()
				err := op(ctx, w)
				d := time.Since(t)
				mu.Lock()
				ph.Attempted++
				if err == nil {
					ph.OK++
					latencies = append(latencies, d)
				} else {
					ph.Failed++
					ph.Failures[err.Error()]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	cpu1, _ := s.cpu()
	self1 := selfCPU()
	all1 := machineCPU()
	ph.PeakRSSMiB = float64(rss.done()) / (1 << 20)
	ph.Seconds = wall.Seconds()
	ph.PerSecond = float64(ph.OK) / wall.Seconds()
	ph.CPUShare = (cpu1 - cpu0).Seconds() / wall.Seconds()
	if ph.OK > 0 {
		ph.CPUms = float64((cpu1 - cpu0).Microseconds()) / 1000 / float64(ph.OK)
		ph.ClientCPUms = float64((self1 - self0).Microseconds()) / 1000 / float64(ph.OK)
		if all1 > all0 {
			other := (all1 - all0) - (cpu1 - cpu0) - (self1 - self0)
			ph.OtherCPUms = max(0, float64(other.Microseconds())/1000/float64(ph.OK))
		}
	}
	if all1 > all0 {
		ph.MachineCores = (all1 - all0).Seconds() / wall.Seconds()
	}
	slices.Sort(latencies)
	ph.P50ms, ph.P99ms = pct(latencies, 0.50), pct(latencies, 0.99)
	if len(ph.Failures) == 0 {
		ph.Failures = nil
	}
	return ph
}

// selfCPU is the CPU time this process (the load generator) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the busy CPU time of the whole machine since boot
// (/proc/stat: user, nice, system, irq, softirq, steal), 0 when unknown.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	// USER_HZ is 100 on Linux.
	return time.Duration(ticks) * 10 * time.Millisecond
}

func pct(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := min(len(d)-1, int(q*float64(len(d))))
	return float64(d[i].Microseconds()) / 1000
}

// errKey shortens an error for the failures map.
func errKey(err error) error {
	if _, ok := err.(failure); ok {
		return err
	}
	s := err.Error()
	if len(s) > 60 {
		s = s[:60]
	}
	return failure{"transport: " + s}
}
