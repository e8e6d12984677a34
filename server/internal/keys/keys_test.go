package keys

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"twofold/server/internal/db"
	"twofold/server/internal/secrets"
	"twofold/server/internal/testdb"
)

// setup returns a migrated database whose recorded key is the one in
// dir/secret.key, and that key.
func setup(t *testing.T, url string) (*db.DB, string, *secrets.Key) {
	t.Helper()
	d := testdb.Open(t, url)
	path := filepath.Join(t.TempDir(), "secret.key")
	k, err := Load(context.Background(), d, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d, path, k
}

func writeKey(t *testing.T, path string, mode os.FileMode) *secrets.Key {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := secrets.Write(path, k); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return k
}

// record makes the database use k, as a committed rotate-key does.
func record(t *testing.T, d *db.DB, k *secrets.Key) {
	t.Helper()
	if _, err := d.NewUpdate().Model((*db.Meta)(nil)).Set("value = ?", k.Fingerprint()).
		Where("key = ?", db.MetaKeyFingerprint).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func load(d *db.DB, path string, allowShared bool) (*secrets.Key, string, error) {
	var logs bytes.Buffer
	k, err := Load(context.Background(), d, path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), AllowShared: allowShared})
	return k, logs.String(), err
}

func TestLoadFirstUseCreatesAndRecords(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d, path, k := setup(t, url)
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("created key file: %v %v", fi, err)
		}
		again, _, err := load(d, path, false)
		if err != nil || again.Fingerprint() != k.Fingerprint() {
			t.Fatalf("second load: %v", err)
		}
		// Another key file is refused, and not replaced.
		other := writeKey(t, path, 0o600)
		if _, _, err := load(d, path, false); !errors.Is(err, ErrMismatch) ||
			!strings.Contains(err.Error(), k.Fingerprint()) || !strings.Contains(err.Error(), other.Fingerprint()) {
			t.Fatalf("other key: %v", err)
		}
	})
}

// TestF3LoadFinishesAnInterruptedRotation covers keys.Load on its own; the
// crash itself is exercised end to end by the cli's TestF3RotateKeyCrash.
func TestF3LoadFinishesAnInterruptedRotation(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d, path, old := setup(t, url)
		pending := PendingPath(path)

		// Committed, not renamed: the pending key is moved into place.
		next := writeKey(t, pending, 0o600)
		record(t, d, next)
		k, logs, err := load(d, path, false)
		if err != nil || k.Fingerprint() != next.Fingerprint() {
			t.Fatalf("finish the rotation: %v", err)
		}
		if !strings.Contains(logs, "finished an interrupted key rotation") || !strings.Contains(logs, pending) {
			t.Errorf("not logged clearly:\n%s", logs)
		}
		if _, err := os.Stat(pending); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pending file still there: %v", err)
		}
		if got, _, err := load(d, path, false); err != nil || got.Fingerprint() != next.Fingerprint() {
			t.Fatalf("key file after the rename: %v", err)
		}

		// Not committed: the pending key is ignored and the key file used,
		// whether the pending file is whole or half-written.
		stray := writeKey(t, pending, 0o600)
		k, logs, err = load(d, path, false)
		if err != nil || k.Fingerprint() != next.Fingerprint() || !strings.Contains(logs, stray.Fingerprint()) {
			t.Fatalf("stray pending key: %v\n%s", err, logs)
		}
		os.WriteFile(pending, []byte("0123"), 0o600)
		if k, _, err = load(d, path, false); err != nil || k.Fingerprint() != next.Fingerprint() {
			t.Fatalf("half-written pending key: %v", err)
		}

		// The key file missing while the pending file matches.
		writeKey(t, pending, 0o600)
		record(t, d, old) // any key the pending file does not hold
		os.Remove(path)
		pendingKey, _ := os.ReadFile(pending)
		_, _, err = load(d, path, false)
		if !errors.Is(err, ErrMismatch) {
			t.Fatalf("neither file matches: %v", err)
		}
		for _, want := range []string{path + " does not exist", pending + " has fingerprint", old.Fingerprint()} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message lacks %q: %v", want, err)
			}
		}
		if b, _ := os.ReadFile(pending); !bytes.Equal(b, pendingKey) {
			t.Error("a key file was changed although neither matched")
		}
		// With the database on the pending key, the missing key file is
		// no problem.
		p, _ := secrets.Parse(pendingKey)
		record(t, d, p)
		if k, _, err = load(d, path, false); err != nil || k.Fingerprint() != p.Fingerprint() {
			t.Fatalf("pending key without a key file: %v", err)
		}
	})
}

func TestF12LoadRefusesSharedKeyFiles(t *testing.T) {
	d, path, _ := setup(t, testdb.SQLite(t))
	for _, mode := range []os.FileMode{0o644, 0o666, 0o640, 0o604, 0o620, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := load(d, path, false)
		if !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: %v", mode, err)
		}
		k, logs, err := load(d, path, true)
		if err != nil || k == nil || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "TWOFOLD_ALLOW_SHARED_KEY_FILE") {
			t.Errorf("mode %04o allowed: %v\n%s", mode, err, logs)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400, 0o700} {
		os.Chmod(path, mode)
		if _, logs, err := load(d, path, false); err != nil || logs != "" {
			t.Errorf("mode %04o: %v\n%s", mode, err, logs)
		}
	}
	// A pending key that would be used is checked too; one that is not
	// used is only ignored.
	os.Chmod(path, 0o600)
	pending := PendingPath(path)
	writeKey(t, pending, 0o644)
	if _, _, err := load(d, path, false); err != nil {
		t.Errorf("unused shared pending key: %v", err)
	}
	next := writeKey(t, pending, 0o644)
	record(t, d, next)
	if _, _, err := load(d, path, false); !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), pending) {
		t.Errorf("shared pending key in use: %v", err)
	}
	// First use with an existing shared key file.
	d2 := testdb.Open(t, testdb.SQLite(t))
	shared := filepath.Join(t.TempDir(), "secret.key")
	writeKey(t, shared, 0o644)
	if _, _, err := load(d2, shared, false); !errors.Is(err, ErrPermissions) {
		t.Errorf("first use of a shared key file: %v", err)
	}
}

// TestSystemdCredentialKey: a key that systemd passes as a credential
// (docs/deploy.md) shows mode 0440 (the ACL mask of the service's read
// access) in $CREDENTIALS_DIRECTORY; it is accepted there, and only there.
func TestSystemdCredentialKey(t *testing.T) {
	d := testdb.Open(t, testdb.SQLite(t))
	creds := t.TempDir()
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	path := filepath.Join(creds, "secret.key")
	k := writeKey(t, path, 0o440)
	if _, _, err := load(d, path, false); err != nil { // first use records it
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		mode os.FileMode
		ok   bool
	}{
		{"credential, ACL mask", path, 0o440, true},
		{"credential, owner only", path, 0o400, true},
		{"credential readable by others", path, 0o444, false},
		{"credential writable by group", path, 0o460, false},
		{"same mode elsewhere", filepath.Join(t.TempDir(), "secret.key"), 0o440, false},
		{"in a folder below the credentials", filepath.Join(creds, "sub", "secret.key"), 0o440, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.MkdirAll(filepath.Dir(tt.path), 0o700)
			if tt.path != path {
				os.Remove(tt.path)
				if err := secrets.Write(tt.path, k); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(tt.path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := load(d, tt.path, false)
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, ErrPermissions)) {
				t.Fatalf("mode %04o: %v", tt.mode, err)
			}
		})
	}
}
