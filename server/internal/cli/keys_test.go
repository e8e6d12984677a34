package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/keys"
	"twofold/server/internal/secrets"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// crashEnv makes the test binary run rotate-key and kill itself
// (SIGKILL: nothing deferred runs) when it reaches the named step.
const crashEnv = "TWOFOLD_TEST_ROTATE_KEY_CRASH_AT"

func TestMain(m *testing.M) {
	if step := os.Getenv(crashEnv); step != "" {
		crashPoint = func(s string) {
			if s == step {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
		os.Exit(Run(context.Background(), Env{Args: []string{"rotate-key"}, Getenv: os.Getenv,
			Stdin: strings.NewReader(""), Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

// crashRotateKey runs rotate-key in a child process killed at step.
func crashRotateKey(t *testing.T, vars map[string]string, step string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TWOFOLD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, crashEnv+"="+step)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("rotate-key was not killed at %s: %v\n%s", step, err, out)
	}
}

// fingerprints returns the fingerprint the database records and those of
// the key file and its pending file ("" when absent).
func fingerprints(t *testing.T, dbURL, keyFile string) (recorded, file, pending string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var m db.Meta
	if err := d.NewSelect().Model(&m).Where("key = ?", db.MetaKeyFingerprint).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	of := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			return ""
		}
		k, err := secrets.Parse(b)
		if err != nil {
			return "unparsable"
		}
		return k.Fingerprint()
	}
	return m.Value, of(keyFile), of(keys.PendingPath(keyFile))
}

// TestF3RotateKeyCrash kills rotate-key at each of its steps (before the
// new key is written, after it is written, inside the transaction, after
// the commit, after the rename), then checks that both `serve` and
// `rotate-key` recover: the TOTP secret and the backup codes keep working
// and no key is lost. Security review F3: after a kill between the commit
// and the rename, the server refused to start and told the operator to
// use the old key file.
func TestF3RotateKeyCrash(t *testing.T) {
	steps := []struct {
		step      string
		committed bool
		// pending: whether the crash leaves a pending key file.
		pending bool
		// log is what serve says about it.
		log string
	}{
		{"before-write", false, false, ""},
		{"written", false, true, "ignoring the new key of a rotate-key that did not reach the database"},
		{"in-transaction", false, true, "ignoring the new key of a rotate-key that did not reach the database"},
		{"committed", true, true, "finished an interrupted key rotation"},
		{"renamed", true, false, ""},
	}
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "secret.key")
		e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
		secret, codes := enableTOTP(t, e)
		e.HTTP.Close()
		e.Server.Close()
		v := cliVars(dbURL, dir)
		v[config.EnvAddr] = "127.0.0.1:0"

		// signIn checks that the TOTP secret (and a backup code, if given)
		// still sign in, on a server started from the key file.
		signIn := func(t *testing.T, backupCode string) {
			t.Helper()
			e.Clock.Advance(30 * time.Second)
			s := servertest.Start(t, dbURL, servertest.Options{Dir: dir, Clock: e.Clock})
			defer func() { s.HTTP.Close(); s.Server.Close() }()
			for _, code := range []string{totpCode(t, secret, e.Clock.Now()), backupCode} {
				if code == "" {
					continue
				}
				c := s.NewClient()
				c.Login("admin", servertest.AdminPassword)
				c.Must(200, "POST", api.PathVerify, map[string]string{"code": code})
			}
		}

		for i, st := range steps {
			t.Run(st.step, func(t *testing.T) {
				for _, recovery := range []string{"serve", "rotate-key"} {
					before, _, _ := fingerprints(t, dbURL, keyFile)
					crashRotateKey(t, v, st.step)
					recorded, file, pending := fingerprints(t, dbURL, keyFile)
					if (recorded != before) != st.committed {
						t.Fatalf("after a crash at %s: database on %s, before %s", st.step, recorded, before)
					}
					if (pending != "") != st.pending {
						t.Fatalf("after a crash at %s: pending key file %q", st.step, pending)
					}
					if st.step == "committed" && (pending != recorded || file != before) {
						t.Fatalf("committed: database %s, key file %s, pending %s", recorded, file, pending)
					}

					switch recovery {
					case "serve":
						r := serveUntilReady(t, v)
						if r.code != 0 || !strings.Contains(r.stdout, st.log) {
							t.Fatalf("serve after a crash at %s: %d\n%s\n%s", st.step, r.code, r.stdout, r.stderr)
						}
						signIn(t, codes[i])
					case "rotate-key":
						r := runCLI(t, v, "", "rotate-key")
						if r.code != 0 || !strings.Contains(r.stdout, "1 TOTP secrets re-sealed") {
							t.Fatalf("rotate-key after a crash at %s: %+v", st.step, r)
						}
						signIn(t, "")
					}
					recorded, file, pending = fingerprints(t, dbURL, keyFile)
					if recorded != file || pending != "" && recovery == "rotate-key" {
						t.Fatalf("after %s: database %s, key file %s, pending %q", recovery, recorded, file, pending)
					}
					if st.committed && pending != "" {
						t.Fatalf("after %s: the pending key file of a committed rotation is still there", recovery)
					}
				}
			})
		}
	})
}

// TestF12KeyFilePermissions: a key file that group or others may read or
// write stops serve and the commands that load the key, with the fix in
// the message, unless TWOFOLD_ALLOW_SHARED_KEY_FILE=1 (then a warning).
// Security review F12: a 0666 key file was accepted without a word.
func TestF12KeyFilePermissions(t *testing.T) {
	v := vars(t, testdb.SQLite(t))
	keyFile := v[config.EnvSecretKeyFile]
	if r := serveUntilReady(t, v); r.code != 0 {
		t.Fatalf("first start: %+v", r)
	}
	for _, mode := range []os.FileMode{0o644, 0o666, 0o640} {
		if err := os.Chmod(keyFile, mode); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"serve"}, {"rotate-key"}, {"user", "reset-email-verification", "admin"}} {
			r := runCLI(t, v, "", args...)
			if r.code == 0 || !strings.Contains(r.stderr, "chmod 600 "+keyFile) || !strings.Contains(r.stderr, "TWOFOLD_ALLOW_SHARED_KEY_FILE=1") {
				t.Errorf("%v with mode %04o: %+v", args, mode, r)
			}
		}
		allowed := map[string]string{config.EnvAllowSharedKeyFile: "1"}
		for k, val := range v {
			allowed[k] = val
		}
		r := serveUntilReady(t, allowed)
		if r.code != 0 || !strings.Contains(r.stdout, "level=WARN") || !strings.Contains(r.stdout, "readable or writable by group or others") {
			t.Errorf("mode %04o with %s=1: %+v", mode, config.EnvAllowSharedKeyFile, r)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		os.Chmod(keyFile, mode)
		if r := serveUntilReady(t, v); r.code != 0 || strings.Contains(r.stdout, "level=WARN msg=\"the secret key") {
			t.Errorf("mode %04o: %+v", mode, r)
		}
	}
}
