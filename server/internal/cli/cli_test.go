package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/testdb"
)

type run struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, vars map[string]string, stdin string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), Env{
		Args:   args,
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
	})
	return run{code, out.String(), errb.String()}
}

func vars(t *testing.T, dbURL string) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"TWOFOLD_DATABASE_URL":    dbURL,
		"TWOFOLD_SECRET_KEY_FILE": filepath.Join(dir, "secret.key"),
		"TWOFOLD_ADDR":            "127.0.0.1:0",
	}
}

// serveUntilReady runs `twofold serve` until it answers /api/ready, then stops it
// with a cancelled context (as SIGTERM does) and returns what it printed.
func serveUntilReady(t *testing.T, v map[string]string) run {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, Env{Args: []string{"serve"}, Getenv: func(k string) string { return v[k] },
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Ready: func(addr string) { ready <- addr }})
	}()
	select {
	case addr := <-ready:
		res, err := http.Get("http://" + addr + "/api/ready")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("ready: %d", res.StatusCode)
		}
	case code := <-done:
		t.Fatalf("serve exited with %d: %s %s", code, out.String(), errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	cancel()
	select {
	case code := <-done:
		return run{code, out.String(), errb.String()}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	return run{}
}

func TestFirstAdminPasswordPrintedOnce(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		v := vars(t, url)
		first := serveUntilReady(t, v)
		if first.code != 0 {
			t.Fatalf("serve: %d %s", first.code, first.stderr)
		}
		if strings.Count(first.stderr, "password:") != 1 || !strings.Contains(first.stderr, "username: admin") {
			t.Fatalf("stderr of the first start:\n%s", first.stderr)
		}
		var password string
		for _, line := range strings.Split(first.stderr, "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "password:" {
				password = f[1]
			}
		}
		if len(password) < 16 {
			t.Fatalf("generated password %q", password)
		}
		// Never in the structured log.
		if strings.Contains(first.stdout, password) {
			t.Fatal("the admin password is in the structured log")
		}
		second := serveUntilReady(t, v)
		if strings.Contains(second.stderr, "password") || second.code != 0 {
			t.Fatalf("second start printed a password or failed (%d):\n%s", second.code, second.stderr)
		}
		// `user create` then checks the key and the password policy.
		r := runCLI(t, v, "a really good one\n", "user", "create", "--username", "carol", "--email", "carol@example.com")
		if r.code != 0 || !strings.Contains(r.stdout, "created user carol") {
			t.Fatalf("user create: %+v", r)
		}
		r = runCLI(t, v, "a really good one\n", "user", "create", "--username", "CAROL")
		if r.code == 0 || !strings.Contains(r.stderr, "taken") {
			t.Fatalf("duplicate user create: %+v", r)
		}
		r = runCLI(t, v, "password\n", "user", "create", "--username", "dave")
		if r.code == 0 || !strings.Contains(r.stderr, "not_common") {
			t.Fatalf("common password accepted: %+v", r)
		}
		r = runCLI(t, v, "", "user", "reset-email-verification", "nobody")
		if r.code == 0 || !strings.Contains(r.stderr, `no user "nobody"`) {
			t.Fatalf("unknown user: %+v", r)
		}
		r = runCLI(t, v, "", "user", "reset-email-verification", "Carol")
		if r.code != 0 {
			t.Fatalf("reset-email-verification: %+v", r)
		}
	})
}

func TestAdminPasswordFromEnvironment(t *testing.T) {
	v := vars(t, testdb.SQLite(t))
	v["TWOFOLD_ADMIN_PASSWORD"] = "an admin secret"
	r := serveUntilReady(t, v)
	if r.code != 0 || strings.Contains(r.stderr, "password:") || strings.Contains(r.stdout, "an admin secret") {
		t.Fatalf("%+v", r)
	}
	v2 := vars(t, testdb.SQLite(t))
	v2["TWOFOLD_ADMIN_PASSWORD"] = "password"
	r = runCLI(t, v2, "", "serve")
	if r.code == 0 || !strings.Contains(r.stderr, "TWOFOLD_ADMIN_PASSWORD is refused") {
		t.Fatalf("common admin password: %+v", r)
	}
}

func TestBadConfigurationAndCommands(t *testing.T) {
	r := runCLI(t, map[string]string{"TWOFOLD_TFA_EXPIRY": "soon"}, "", "serve")
	if r.code == 0 || !strings.Contains(r.stderr, "TWOFOLD_TFA_EXPIRY") {
		t.Fatalf("bad config: %+v", r)
	}
	if r := runCLI(t, nil, "", "frobnicate"); r.code == 0 || !strings.Contains(r.stderr, "unknown command") {
		t.Fatalf("unknown command: %+v", r)
	}
	v := vars(t, testdb.SQLite(t))
	if r := runCLI(t, v, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "applied") {
		t.Fatalf("migrate: %+v", r)
	}
	if r := runCLI(t, v, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Fatalf("migrate again: %+v", r)
	}
}

func TestProductionNeverPrintsTheAdminPassword(t *testing.T) {
	v := vars(t, testdb.SQLite(t))
	v["TWOFOLD_PUBLIC_URL"] = "https://console.example.com"
	r := runCLI(t, v, "", "serve")
	if r.code == 0 || strings.Contains(r.stderr, "password:") || !strings.Contains(r.stderr, "TWOFOLD_ADMIN_PASSWORD") {
		t.Fatalf("production start without an admin password: %+v", r)
	}
	// An admin made with `user create` is enough.
	if r := runCLI(t, v, "a strong admin secret\n", "user", "create", "--username", "root", "--admin"); r.code != 0 {
		t.Fatalf("user create: %+v", r)
	}
	if r := serveUntilReady(t, v); r.code != 0 || strings.Contains(r.stderr, "password:") {
		t.Fatalf("production start with an admin: %+v", r)
	}
}
