package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is one run of the server binary.
type server struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:port
	startup time.Duration
	done    chan error
	log     string
}

// serverEnv is the configuration of one run.
type serverEnv struct {
	bin, dir, dbURL, argon2 string
	weak                    bool
	extra                   []string // more variables (-server-env)
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs the server and waits until /api/ready answers 200; startup
// is the time from exec to that answer.
func start(ctx context.Context, e serverEnv) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TWOFOLD_ADDR=127.0.0.1:" + strconv.Itoa(port),
		"TWOFOLD_PUBLIC_URL=" + base,
		"TWOFOLD_DATABASE_URL=" + e.dbURL,
		"TWOFOLD_SECRET_KEY_FILE=" + filepath.Join(e.dir, "secret.key"),
		"TWOFOLD_ADMIN_PASSWORD=" + adminPassword,
	}
	if e.argon2 != "" {
		env = append(env, "TWOFOLD_ARGON2="+e.argon2)
	}
	if e.weak {
		env = append(env, "TWOFOLD_BENCH_WEAK_ARGON2=1")
	}
	env = append(env, e.extra...)
	logPath := filepath.Join(e.dir, fmt.Sprintf("server-%d.log", port))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(e.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr, cmd.Dir = env, logf, logf, e.dir
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, base: base, done: make(chan error, 1), log: logPath}
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("server exited during start-up (%v); log: %s\n%s", err, logPath, tail(logPath))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		resp, err := c.Get(base + "/api/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.startup = time.Since(t0)
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server not ready after 90 s; log: %s\n%s", logPath, tail(logPath))
		}
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop ends the server gracefully (SIGTERM), killing it after 15 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// clkTck is USER_HZ, 100 on every Linux architecture Go supports.
const clkTck = 100

// cpu is the server's CPU time so far (user + system), from /proc.
func (s *server) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid()))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields count after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// status reads a "kB" field of /proc/<pid>/status in bytes.
func (s *server) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// rssWatch follows the server's peak resident memory during a phase: it
// resets the kernel's high-water mark (clear_refs 5), or samples VmRSS
// every 10 ms when the reset is not allowed.
type rssWatch struct {
	s    *server
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak int64
	// reset: the high-water mark was reset, so it is this phase's.
	reset bool
}

func watchRSS(s *server) *rssWatch {
	err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid()), []byte("5"), 0)
	w := &rssWatch{s: s, stop: make(chan struct{}), reset: err == nil}
	if w.reset {
		// VmHWM is this phase's peak: no need to sample (which costs the
		// load generator's CPU, taken from the server on this machine).
		return w
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if r := s.status("VmRSS"); r > 0 {
				w.mu.Lock()
				w.peak = max(w.peak, r)
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// done returns the peak in bytes: the larger of the sampled VmRSS and
// VmHWM (when it was reset).
func (w *rssWatch) done() int64 {
	close(w.stop)
	w.wg.Wait()
	if !w.reset {
		return w.peak
	}
	return max(w.peak, w.s.status("VmHWM"))
}
