package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/secrets"
	"twofold/server/internal/server"
	"twofold/server/internal/session"
)

// userReset2FA removes a user's TOTP secret, backup codes and second-factor
// failure counters, and ends the user's sessions and tokens. Email
// verification stays. The change is recorded with actor "cli".
func userReset2FA(ctx context.Context, env Env, args []string) error {
	d, _, u, err := openUser(ctx, env, "user reset-2fa", args)
	if err != nil {
		return err
	}
	defer d.Close()
	c := clock.System{}
	limiter, sessions := ratelimit.New(d, c), session.NewManager(d, c, session.Config{})
	err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := d.LockUser(ctx, tx, u.ID); err != nil {
			return err
		}
		for _, m := range []any{(*db.TOTPSecret)(nil), (*db.BackupCode)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("user_id = ?", u.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if err := sessions.DeleteOthers(ctx, tx, u.ID, 0); err != nil {
			return err
		}
		if err := limiter.Reset(ctx, tx, ratelimit.SecondFactorResets(u.ID)...); err != nil {
			return err
		}
		return audit.New(d, c).Record(ctx, tx, u.ID, audit.TFAReset, audit.Origin{Actor: audit.ActorCLI}, "")
	})
	if err != nil {
		return fmt.Errorf("user reset-2fa: %w", err)
	}
	fmt.Fprintf(env.Stdout, "2FA removed for %s; their sessions ended\n", u.Username)
	return nil
}

// rotateKey re-seals every secret with a new key in one transaction and
// records the new key's fingerprint, then replaces the key file.
func rotateKey(ctx context.Context, env Env) error {
	cfg, _, err := loadConfig(env)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	c := clock.System{}
	old, err := server.LoadKey(ctx, d, cfg.SecretKeyFile, c)
	if err != nil {
		return err
	}
	codeKey, err := server.LoadCodeKey(ctx, d, old, c)
	if err != nil {
		return err
	}
	next, err := secrets.GenerateKey()
	if err != nil {
		return err
	}
	tmp := cfg.SecretKeyFile + ".new"
	os.Remove(tmp)
	if err := secrets.Write(tmp, next); err != nil {
		return err
	}
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
		return nil
	})
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rotate-key: nothing changed: %w", err)
	}
	if err := os.Rename(tmp, cfg.SecretKeyFile); err != nil {
		return fmt.Errorf("rotate-key: the database now uses the key in %s but it could not replace %s (%v): move it there by hand before starting the server", tmp, cfg.SecretKeyFile, err)
	}
	fmt.Fprintf(env.Stdout, "rotated the secret key: %d TOTP secrets re-sealed, new fingerprint %s\nrestart every instance (they share %s)\n", n, next.Fingerprint(), cfg.SecretKeyFile)
	return nil
}
