// Package keys loads the server key of a database: it reads the key file,
// refuses one that group or others may read or write, checks it against the
// fingerprint the database records (recording it on first use), finishes a
// key rotation that was interrupted after its commit, and opens the code
// HMAC key stored in the database.
package keys

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/secrets"
)

// Errors of this package.
var (
	// ErrMismatch is returned when the key file is not the key the
	// database was set up with (or is missing).
	ErrMismatch = errors.New("secret key does not match the database")
	// ErrPermissions is returned when group or others may read or write
	// the key file.
	ErrPermissions = errors.New("secret key file is open to group or others")
)

// Options are what Load needs besides the database and the file.
type Options struct {
	Clock  clock.Clock
	Logger *slog.Logger
	// AllowShared accepts a key file that group or others may read or
	// write (TWOFOLD_ALLOW_SHARED_KEY_FILE=1, for orchestrators that mount
	// secrets 0644), with a warning.
	AllowShared bool
}

// PendingPath is where rotate-key writes the new key before the database
// uses it: the key file's name with ".new" appended.
func PendingPath(path string) string { return path + ".new" }

// Load reads the secret key file at path and checks it against the
// fingerprint recorded in the database, recording it on first use. A
// missing key file is created only while the database has no fingerprint
// yet: a new key would make every sealed TOTP secret unreadable.
//
// When rotate-key was stopped after its transaction committed but before
// it renamed the new key into place, PendingPath(path) holds the key the
// database uses: Load finishes the rotation (an atomic rename, then a sync
// of the directory) and says so in the log. A pending file that does not
// match the database (a rotation stopped before its commit) is left alone
// and the key file is used; the next rotate-key replaces it.
func Load(ctx context.Context, d *db.DB, path string, o Options) (*secrets.Key, error) {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	recorded, err := recordedFingerprint(ctx, d)
	if err != nil {
		return nil, err
	}
	if recorded == "" {
		if err := checkMode(path, o); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		key, created, err := secrets.LoadOrCreate(path)
		if err != nil {
			return nil, err
		}
		if created {
			o.Logger.Info("created a new secret key file", "file", path, "fingerprint", key.Fingerprint())
		}
		m := db.Meta{Key: db.MetaKeyFingerprint, Value: key.Fingerprint(), UpdatedAt: o.Clock.Now()}
		if _, err := d.NewInsert().Model(&m).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
			return nil, fmt.Errorf("record key fingerprint: %w", err)
		}
		// Another instance may have recorded a different key at the same time.
		return Load(ctx, d, path, o)
	}

	pending := PendingPath(path)
	next, nerr := read(pending, o)
	if next != nil && next.Fingerprint() == recorded {
		if nerr != nil {
			return nil, nerr
		}
		// The rotation committed; only its rename is missing.
		if err := secrets.Replace(pending, path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// Another instance finished it first.
				return Load(ctx, d, path, o)
			}
			return nil, fmt.Errorf("an interrupted rotate-key left the database on the key in %s (fingerprint %s), which could not be moved to %s: %w; move it there by hand (mv %s %s) and start again",
				pending, recorded, path, err, pending, path)
		}
		o.Logger.Warn("finished an interrupted key rotation: the database uses the new key, which replaced the old key file",
			"from", pending, "to", path, "fingerprint", recorded)
		return next, nil
	}

	key, err := read(path, o)
	if key != nil && key.Fingerprint() == recorded {
		if err != nil {
			return nil, err
		}
		if !errors.Is(nerr, fs.ErrNotExist) {
			o.Logger.Warn("ignoring the new key of a rotate-key that did not reach the database; the next rotate-key replaces it, or delete it",
				"file", pending, "fingerprint", fingerprintOf(next, nerr), "key_file", path, "database_fingerprint", recorded)
		}
		return key, nil
	}

	// Neither file holds the database's key: say exactly what there is.
	have := describe(path, key, err)
	if !errors.Is(nerr, fs.ErrNotExist) {
		have += "; " + describe(pending, next, nerr)
	}
	return nil, fmt.Errorf("%w: this database was set up with the key of fingerprint %s, but %s. Restore the key file with fingerprint %s at %s (TWOFOLD_SECRET_KEY_FILE) and delete no key file until then: another key would make every TOTP secret unreadable, and `twofold rotate-key` also needs that key",
		ErrMismatch, recorded, have, recorded, path)
}

// describe says what a key file holds, for error messages.
func describe(path string, k *secrets.Key, err error) string {
	switch {
	case k != nil:
		return fmt.Sprintf("%s has fingerprint %s", path, k.Fingerprint())
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s does not exist", path)
	default:
		return fmt.Sprintf("%s cannot be used (%v)", path, err)
	}
}

func fingerprintOf(k *secrets.Key, err error) string {
	if k == nil {
		return "unreadable: " + err.Error()
	}
	return k.Fingerprint()
}

// read loads the key file at path. A key whose file group or others may
// read or write comes back with an error wrapping ErrPermissions (unless
// o.AllowShared), so that the caller refuses it only if it would use it.
func read(path string, o Options) (*secrets.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := secrets.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, checkMode(path, o)
}

// checkMode refuses a key file that group or others may read or write,
// unless o.AllowShared, which logs a warning instead.
func checkMode(path string, o Options) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("secret key file %s is not a regular file", path)
	}
	perm := fi.Mode().Perm()
	if perm&0o066 == 0 || systemdCredential(path, perm) {
		return nil
	}
	if o.AllowShared {
		o.Logger.Warn("the secret key file is readable or writable by group or others (allowed by TWOFOLD_ALLOW_SHARED_KEY_FILE=1)",
			"file", path, "mode", fmt.Sprintf("%04o", perm))
		return nil
	}
	return fmt.Errorf("%w: %s has mode %04o; anyone who can read it can open every TOTP secret. Run `chmod 600 %s` (or set TWOFOLD_ALLOW_SHARED_KEY_FILE=1 if an orchestrator mounts it so on purpose)",
		ErrPermissions, path, perm, path)
}

// systemdCredential reports whether path is a credential systemd passes
// to the service (LoadCredential=, see docs/deploy.md) that only the
// service may read: a file directly in $CREDENTIALS_DIRECTORY, which
// systemd mounts read-only and private to the service. systemd writes the
// file 0400 and gives the service's user read access with an ACL entry,
// whose mask shows in the group bits (mode 0440) although no group may
// read it; group write and any access for others are still refused.
func systemdCredential(path string, perm os.FileMode) bool {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" || perm&0o026 != 0 {
		return false
	}
	abs, err := filepath.Abs(path)
	return err == nil && filepath.Dir(abs) == filepath.Clean(dir)
}

func recordedFingerprint(ctx context.Context, d *db.DB) (string, error) {
	var m db.Meta
	err := d.NewSelect().Model(&m).Where("key = ?", db.MetaKeyFingerprint).Scan(ctx)
	if err == nil {
		return m.Value, nil
	}
	if err = db.NotFound(err, "read key fingerprint"); errors.Is(err, db.ErrNotFound) {
		return "", nil
	}
	return "", err
}

// LoadCodeKey opens the code HMAC key stored in the database, creating it
// on first use.
func LoadCodeKey(ctx context.Context, d *db.DB, key *secrets.Key, c clock.Clock) (*secrets.CodeKey, error) {
	var m db.Meta
	err := d.NewSelect().Model(&m).Where("key = ?", db.MetaKeyCodeKey).Scan(ctx)
	if err == nil {
		sealed, err := base64.StdEncoding.DecodeString(m.Value)
		if err != nil {
			return nil, fmt.Errorf("code key in the database is not base64: %w", err)
		}
		ck, err := key.OpenCodeKey(sealed)
		if err != nil {
			return nil, fmt.Errorf("open the code key: %w", err)
		}
		return ck, nil
	}
	if err = db.NotFound(err, "read code key"); !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	ck, err := secrets.NewCodeKey()
	if err != nil {
		return nil, err
	}
	sealed, err := key.SealCodeKey(ck)
	if err != nil {
		return nil, err
	}
	m = db.Meta{Key: db.MetaKeyCodeKey, Value: base64.StdEncoding.EncodeToString(sealed), UpdatedAt: c.Now()}
	if _, err := d.NewInsert().Model(&m).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("store code key: %w", err)
	}
	// Another instance may have stored its own first: use the stored one.
	return LoadCodeKey(ctx, d, key, c)
}
