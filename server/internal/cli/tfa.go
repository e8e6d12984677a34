package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/keys"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/secrets"
)

// crashPoint marks the steps of rotate-key. The F3 tests replace it to
// kill the process at each step and check that the next serve or
// rotate-key recovers.
var crashPoint = func(step string) {}

// rotateKey re-seals every secret with a new key in one transaction and
// records the new key's fingerprint, then replaces the key file. The new
// key is written (and synced) to keys.PendingPath before the transaction,
// so that a crash at any point leaves either the old key in use with a
// stray pending file, or the database on the new key with the new key in
// the pending file, which keys.Load then moves into place.
func rotateKey(ctx context.Context, env Env) error {
	st, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.db.Close()
	d, c, old, path := st.db, clock.System{}, st.key, st.cfg.SecretKeyFile
	codeKey, err := keys.LoadCodeKey(ctx, d, old, c)
	if err != nil {
		return err
	}
	next, err := secrets.GenerateKey()
	if err != nil {
		return err
	}
	// openStore left a pending file in place only if the database does
	// not use it (a rotation stopped before its commit): replace it.
	tmp := keys.PendingPath(path)
	if err := os.Remove(tmp); err == nil {
		st.logger.Info("removed the new key of an earlier rotate-key that did not reach the database", "file", tmp)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate-key: nothing changed: remove %s: %w", tmp, err)
	}
	crashPoint("before-write")
	if err := secrets.Write(tmp, next); err != nil {
		return fmt.Errorf("rotate-key: nothing changed: %w", err)
	}
	crashPoint("written")
	var n int
	err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if n, err = totp.Rekey(ctx, tx, old, next); err != nil {
			return err
		}
		sealed, err := next.SealCodeKey(codeKey)
		if err != nil {
			return err
		}
		now := c.Now()
		for key, value := range map[string]string{
			db.MetaKeyCodeKey:     base64.StdEncoding.EncodeToString(sealed),
			db.MetaKeyFingerprint: next.Fingerprint(),
		} {
			res, err := tx.NewUpdate().Model((*db.Meta)(nil)).Set("value = ?", value).Set("updated_at = ?", now).
				Where("key = ?", key).Exec(ctx)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return fmt.Errorf("meta %s missing", key)
			}
		}
		crashPoint("in-transaction")
		return nil
	})
	if err != nil {
		// A commit can fail after the database applied it (a connection
		// lost at that moment): remove the new key only once the database
		// says it does not use it.
		var m db.Meta
		ferr := d.NewSelect().Model(&m).Where("key = ?", db.MetaKeyFingerprint).Scan(context.WithoutCancel(ctx))
		switch {
		case ferr != nil:
			return fmt.Errorf("rotate-key: the transaction failed (%w) and the database could not be asked whether it applied it (%v): keep %s; the next `twofold serve` or `twofold rotate-key` uses it if the database does",
				err, ferr, tmp)
		case m.Value != next.Fingerprint():
			os.Remove(tmp)
			return fmt.Errorf("rotate-key: nothing changed: %w", err)
		}
		st.logger.Warn("the commit reported an error but the database uses the new key", "err", err)
	}
	crashPoint("committed")
	if err := secrets.Replace(tmp, path); err != nil && !finishedElsewhere(path, next) {
		return fmt.Errorf("rotate-key: the database now uses the new key (fingerprint %s), which is in %s, but it could not replace %s (%v): run `mv %s %s`, or start the server, which finishes the rotation itself",
			next.Fingerprint(), tmp, path, err, tmp, path)
	}
	crashPoint("renamed")
	fmt.Fprintf(env.Stdout, "rotated the secret key: %d TOTP secrets re-sealed, new fingerprint %s\nrestart every instance (they share %s)\n", n, next.Fingerprint(), path)
	return nil
}

// finishedElsewhere reports whether path already holds key: an instance
// that started in the meantime finished the rotation.
func finishedElsewhere(path string, key *secrets.Key) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	k, err := secrets.Parse(b)
	return err == nil && k.Fingerprint() == key.Fingerprint()
}
