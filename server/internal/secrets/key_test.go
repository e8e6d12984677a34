package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	k1, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v, want 0600", fi.Mode().Perm(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("key dir mode %v, want 0700", di.Mode().Perm())
	}
	k2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("load: %v %v", created, err)
	}
	if k1.Fingerprint() != k2.Fingerprint() || len(k1.Fingerprint()) != 32 {
		t.Fatalf("fingerprints %s %s", k1.Fingerprint(), k2.Fingerprint())
	}
	if bytes.Contains([]byte(k1.Fingerprint()), []byte(k1.Encode()[:16])) {
		t.Fatal("fingerprint reveals the key")
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, _, err := LoadOrCreate(path); !errors.Is(err, ErrKeyFormat) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestSealBindsLocation(t *testing.T) {
	k, _ := GenerateKey()
	other, _ := GenerateKey()
	loc := Location{Table: "totp_secrets", Column: "secret", UserID: 7}
	sealed, err := k.Seal([]byte("JBSWY3DPEHPK3PXP"), loc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("plaintext visible")
	}
	got, err := k.Open(sealed, loc)
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open: %q %v", got, err)
	}
	for name, tt := range map[string]struct {
		k   *Key
		loc Location
	}{
		"other user":   {k, Location{"totp_secrets", "secret", 8}},
		"other column": {k, Location{"totp_secrets", "pending", 7}},
		"other key":    {other, loc},
	} {
		if _, err := tt.k.Open(sealed, tt.loc); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(sealed, loc); !errors.Is(err, ErrOpen) {
		t.Error("tampered value opened")
	}
	// Two seals of one value differ (random nonce).
	a, _ := k.Seal([]byte("x"), loc)
	b, _ := k.Seal([]byte("x"), loc)
	if bytes.Equal(a, b) {
		t.Error("nonce reused")
	}
}

func TestCodeKeySealedAndMACSeparated(t *testing.T) {
	k, _ := GenerateKey()
	c, err := NewCodeKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.SealCodeKey(c)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := k.OpenCodeKey(sealed)
	if err != nil {
		t.Fatal(err)
	}
	base := c.MAC("backup", []byte("salt"), []byte("code"))
	if !Equal(base, c2.MAC("backup", []byte("salt"), []byte("code"))) {
		t.Fatal("reopened code key gives another MAC")
	}
	if Equal(base, c.MAC("email", []byte("salt"), []byte("code"))) || Equal(base, c.MAC("backup", []byte("salt2"), []byte("code"))) {
		t.Fatal("MAC does not separate purpose and salt")
	}
	other, _ := GenerateKey()
	if _, err := other.OpenCodeKey(sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("opened with another key: %v", err)
	}
}

func TestWriteRemovesTheFileWhenSyncFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k, _ := GenerateKey()
	defer func(orig func(*os.File) error) { syncFile = orig }(syncFile)
	failure := errors.New("disk gone")
	syncFile = func(*os.File) error { return failure }
	if err := Write(path, k); !errors.Is(err, failure) {
		t.Fatalf("Write with a failing sync: %v, want %v", err, failure)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("half-written key file left behind: %v", err)
	}
	syncFile = (*os.File).Sync
	if err := Write(path, k); err != nil {
		t.Fatalf("Write after the failure: %v", err)
	}
	if err := Write(path, k); err == nil {
		t.Fatal("Write overwrote an existing key file")
	}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("new"), 0o600)
	os.WriteFile(b, []byte("old"), 0o600)
	if err := Replace(a, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(b); string(got) != "new" {
		t.Fatalf("after Replace: %q, want %q", got, "new")
	}
	if err := Replace(a, b); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Replace of a missing file: %v, want ErrNotExist", err)
	}
}
