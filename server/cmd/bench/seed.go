package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/secrets"
)

const (
	adminPassword = "bench admin password 1"
	userPassword  = "bench user password 1"
)

// user is a seeded account: its TOTP secret, and the last time step a
// sign-in used (a code is never sent twice, so replay protection never
// refuses one).
type user struct {
	name     string
	secret   []byte
	lastStep int64
}

// Rows written by the seeding: only the columns the first schema has, so
// that an older server's database can be seeded too (the comparison with
// the server before issue 13).
type seedUser struct {
	bun.BaseModel `bun:"table:users"`

	ID                int64     `bun:"id,pk,autoincrement"`
	Username          string    `bun:"username"`
	UsernameKey       string    `bun:"username_key"`
	Email             string    `bun:"email"`
	PasswordHash      string    `bun:"password_hash"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
	PasswordChangedAt time.Time `bun:"password_changed_at"`
}

type seedSecret struct {
	bun.BaseModel `bun:"table:totp_secrets"`

	UserID    int64     `bun:"user_id,pk"`
	Secret    []byte    `bun:"secret"`
	EnabledAt time.Time `bun:"enabled_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// hashWith returns a hash of the users' password made by the server's own
// hasher with p (every seeded user shares it: checking it costs the same).
func hashWith(ctx context.Context, p account.Params) (string, error) {
	return account.NewHasher(1, p, 0).Hash(ctx, userPassword)
}

// seed adds n users with TOTP enabled to the database the server made
// (migrated, with its key file in dir), straight into the tables: the
// server's API would spend an argon2 hash and a QR code on each. Secrets
// are sealed with the server's key as the totp package seals them.
func seed(ctx context.Context, dbURL, dir string, n int, hash string) ([]*user, error) {
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	key, _, err := secrets.LoadOrCreate(filepath.Join(dir, "secret.key"))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	users := make([]*user, n)
	const batch = 500
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		rows := make([]seedUser, 0, hi-lo)
		for i := lo; i < hi; i++ {
			name := fmt.Sprintf("bench%06d", i)
			secret := make([]byte, 20)
			if _, err := rand.Read(secret); err != nil {
				return nil, err
			}
			users[i] = &user{name: name, secret: secret}
			rows = append(rows, seedUser{Username: name, UsernameKey: account.NormalizeUsername(name),
				PasswordHash: hash, CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now})
		}
		err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(&rows).ExcludeColumn("id").Exec(ctx); err != nil {
				return fmt.Errorf("insert users: %w", err)
			}
			var ids []struct {
				ID          int64  `bun:"id"`
				UsernameKey string `bun:"username_key"`
			}
			keys := make([]string, len(rows))
			for i, r := range rows {
				keys[i] = r.UsernameKey
			}
			if err := tx.NewSelect().Table("users").Column("id", "username_key").
				Where("username_key IN (?)", bun.List(keys)).Scan(ctx, &ids); err != nil {
				return fmt.Errorf("read user ids: %w", err)
			}
			byKey := make(map[string]int64, len(ids))
			for _, r := range ids {
				byKey[r.UsernameKey] = r.ID
			}
			secs := make([]seedSecret, 0, len(rows))
			for i := lo; i < hi; i++ {
				id := byKey[users[i].name]
				if id == 0 {
					return fmt.Errorf("user %s not inserted", users[i].name)
				}
				sealed, err := key.Seal(users[i].secret, secrets.Location{Table: "totp_secrets", Column: "secret", UserID: id})
				if err != nil {
					return err
				}
				secs = append(secs, seedSecret{UserID: id, Secret: sealed, EnabledAt: now, UpdatedAt: now})
			}
			if _, err := tx.NewInsert().Model(&secs).Exec(ctx); err != nil {
				return fmt.Errorf("insert totp secrets: %w", err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return users, nil
}

// rehash gives every seeded user the password hash h (between runs with
// other argon2 parameters, so that no sign-in replaces its hash).
func rehash(ctx context.Context, dbURL, h string) error {
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = d.NewUpdate().Table("users").Set("password_hash = ?", h).Where("username_key LIKE 'bench%'").Exec(ctx)
	return err
}

// code returns u's TOTP code for now and marks its step used; ok is
// false when u already signed in during this step (the caller picks
// another user).
func (u *user) code(now time.Time) (string, bool) {
	step := totp.Step(now)
	if u.lastStep >= step {
		return "", false
	}
	c, err := totp.Code(u.secret, step, totp.Options{})
	if err != nil {
		return "", false
	}
	u.lastStep = step
	return c, true
}
