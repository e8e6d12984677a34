package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migration is one versioned schema change, written once for both engines:
// {{id}}, {{bytes}} and {{time}} become each engine's types.
type migration struct {
	name    string // sortable version, never changed once released
	comment string
	up      []string
}

// migrations lists every schema change in order. Append; never edit a
// released one.
var migrations = []migration{
	{
		name:    "0001",
		comment: "skeleton",
		up: []string{
			`CREATE TABLE meta (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL,
				updated_at {{time}} NOT NULL
			)`,
			`CREATE TABLE users (
				id {{id}},
				username TEXT NOT NULL,
				username_key TEXT NOT NULL UNIQUE,
				email TEXT NOT NULL DEFAULT '',
				email_key TEXT UNIQUE,
				email_verification BOOLEAN NOT NULL DEFAULT FALSE,
				password_hash TEXT NOT NULL,
				is_admin BOOLEAN NOT NULL DEFAULT FALSE,
				tfa_enforced BOOLEAN NOT NULL DEFAULT FALSE,
				language TEXT NOT NULL DEFAULT '',
				created_at {{time}} NOT NULL,
				updated_at {{time}} NOT NULL,
				password_changed_at {{time}} NOT NULL
			)`,
			`CREATE TABLE sessions (
				id {{id}},
				token_hash {{bytes}} NOT NULL UNIQUE,
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				level TEXT NOT NULL,
				method TEXT NOT NULL DEFAULT '',
				created_at {{time}} NOT NULL,
				last_seen_at {{time}} NOT NULL,
				expires_at {{time}} NOT NULL,
				elevated_until {{time}},
				ip TEXT NOT NULL DEFAULT '',
				user_agent TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX sessions_user_id ON sessions (user_id)`,
			`CREATE INDEX sessions_expires_at ON sessions (expires_at)`,
			`CREATE TABLE throttles (
				key TEXT PRIMARY KEY,
				failures INTEGER NOT NULL DEFAULT 0,
				window_start {{time}} NOT NULL,
				locked_until {{time}},
				updated_at {{time}} NOT NULL
			)`,
			`CREATE INDEX throttles_updated_at ON throttles (updated_at)`,
			`CREATE TABLE events (
				id {{id}},
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				time {{time}} NOT NULL,
				type TEXT NOT NULL,
				ip TEXT NOT NULL DEFAULT '',
				user_agent TEXT NOT NULL DEFAULT '',
				detail TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX events_user_id ON events (user_id, id)`,
		},
	},
	{
		name:    "0002",
		comment: "totp",
		up: []string{
			`CREATE TABLE totp_secrets (
				user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
				secret {{bytes}},
				enabled_at {{time}},
				last_step BIGINT,
				pending_secret {{bytes}},
				pending_created_at {{time}},
				updated_at {{time}} NOT NULL
			)`,
			`CREATE TABLE backup_codes (
				id {{id}},
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				salt {{bytes}} NOT NULL,
				mac {{bytes}} NOT NULL,
				created_at {{time}} NOT NULL,
				used_at {{time}}
			)`,
			`CREATE INDEX backup_codes_user_id ON backup_codes (user_id)`,
		},
	},
	{
		name:    "0003",
		comment: "email codes",
		up: []string{
			`CREATE TABLE email_challenges (
				session_id BIGINT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				salt {{bytes}},
				mac {{bytes}},
				code_expires_at {{time}},
				used_at {{time}},
				failures INTEGER NOT NULL DEFAULT 0,
				sends INTEGER NOT NULL DEFAULT 0,
				first_sent_at {{time}},
				last_sent_at {{time}},
				created_at {{time}} NOT NULL
			)`,
		},
	},
	{
		name:    "0004",
		comment: "sessions kinds, disabled users, event actors, sliding windows",
		up: []string{
			`ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE`,
			`ALTER TABLE users ADD COLUMN last_login_at {{time}}`,
			`ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'console'`,
			`ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE events ADD COLUMN reason TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE throttles ADD COLUMN prev_failures INTEGER NOT NULL DEFAULT 0`,
			`CREATE INDEX events_type_id ON events (type, id)`,
			`CREATE INDEX email_challenges_user_id ON email_challenges (user_id)`,
		},
	},
	{
		name:    "0005",
		comment: "rustdesk clients",
		up: []string{
			`ALTER TABLE sessions ADD COLUMN client_id TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE sessions ADD COLUMN client_uuid TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE known_clients (
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				client_hash {{bytes}} NOT NULL,
				last_login_at {{time}} NOT NULL,
				PRIMARY KEY (user_id, client_hash)
			)`,
		},
	},
	{
		name:    "0006",
		comment: "password resets, reminders, job leases",
		up: []string{
			// user_id is NULL for a request that matched no account that
			// may get a mail: such a row can never be redeemed, and it makes
			// every request do the same writes (reset package).
			`CREATE TABLE password_resets (
				id {{id}},
				token_hash {{bytes}} NOT NULL UNIQUE,
				user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
				created_at {{time}} NOT NULL,
				expires_at {{time}} NOT NULL,
				used_at {{time}}
			)`,
			`CREATE INDEX password_resets_user_id ON password_resets (user_id)`,
			`CREATE INDEX password_resets_expires_at ON password_resets (expires_at)`,
			// One row per reminder cause: the unique key is what makes a
			// reminder go out once, whatever the restarts and instances.
			`CREATE TABLE reminders (
				id {{id}},
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				kind TEXT NOT NULL,
				ref TEXT NOT NULL,
				created_at {{time}} NOT NULL,
				claimed_at {{time}},
				sent_at {{time}},
				attempts INTEGER NOT NULL DEFAULT 0,
				UNIQUE (user_id, kind, ref)
			)`,
			`CREATE INDEX reminders_unsent ON reminders (sent_at, claimed_at)`,
			`CREATE TABLE leases (
				name TEXT PRIMARY KEY,
				owner TEXT NOT NULL,
				acquired_at {{time}} NOT NULL,
				expires_at {{time}} NOT NULL
			)`,
		},
	},
	{
		name:    "0007",
		comment: "indexes for the idle-session purge and the admin count",
		up: []string{
			// The purge of full sessions unused for too long (DeleteExpired):
			// without it, every purge reads the whole table.
			`CREATE INDEX sessions_level_last_seen_at ON sessions (level, last_seen_at)`,
			// "Is another enabled admin left?" (admin changes): only admins.
			`CREATE INDEX users_admins ON users (id) WHERE is_admin`,
		},
	},
	{
		name:    "0008",
		comment: "webauthn security keys and passkeys",
		up: []string{
			// passkey_handle is the random WebAuthn user handle of the user
			// (NULL until the first key); passwordless_off is the user's
			// switch that turns signing in with a passkey alone off.
			`ALTER TABLE users ADD COLUMN passkey_handle {{bytes}}`,
			`ALTER TABLE users ADD COLUMN passwordless_off BOOLEAN NOT NULL DEFAULT FALSE`,
			`CREATE UNIQUE INDEX users_passkey_handle ON users (passkey_handle)`,
			// Public keys need no sealing; they are bound to their user.
			`CREATE TABLE passkeys (
				id {{id}},
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				credential_id {{bytes}} NOT NULL UNIQUE,
				public_key {{bytes}} NOT NULL,
				attestation_type TEXT NOT NULL DEFAULT '',
				aaguid {{bytes}},
				transports TEXT NOT NULL DEFAULT '',
				sign_count BIGINT NOT NULL DEFAULT 0,
				user_verified BOOLEAN NOT NULL DEFAULT FALSE,
				backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
				backup_state BOOLEAN NOT NULL DEFAULT FALSE,
				discoverable BOOLEAN NOT NULL DEFAULT FALSE,
				name TEXT NOT NULL,
				created_at {{time}} NOT NULL,
				last_used_at {{time}}
			)`,
			`CREATE INDEX passkeys_user_id ON passkeys (user_id)`,
			// A challenge is bound to a session (registration, sign-in's
			// second factor, step-up) or, for a sign-in with a passkey
			// alone, to a browser's short-lived cookie (binding: its hash).
			`CREATE TABLE passkey_challenges (
				id {{id}},
				session_id BIGINT REFERENCES sessions(id) ON DELETE CASCADE,
				binding {{bytes}},
				user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
				purpose TEXT NOT NULL,
				data TEXT NOT NULL,
				created_at {{time}} NOT NULL,
				expires_at {{time}} NOT NULL,
				used_at {{time}}
			)`,
			`CREATE INDEX passkey_challenges_session_id ON passkey_challenges (session_id)`,
			`CREATE INDEX passkey_challenges_binding ON passkey_challenges (binding)`,
			`CREATE INDEX passkey_challenges_expires_at ON passkey_challenges (expires_at)`,
		},
	},
}

func (db *DB) render(stmt string) string {
	var r *strings.Replacer
	switch db.Kind {
	case Postgres:
		r = strings.NewReplacer(
			"{{id}}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
			"{{bytes}}", "BYTEA",
			"{{time}}", "TIMESTAMPTZ",
		)
	default:
		// AUTOINCREMENT: ids of deleted rows are never reused, so nothing
		// sealed for an old user id can ever open for a new user.
		r = strings.NewReplacer(
			"{{id}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
			"{{bytes}}", "BLOB",
			"{{time}}", "TIMESTAMP",
		)
	}
	return r.Replace(stmt)
}

func (db *DB) migrations() *migrate.Migrations {
	ms := migrate.NewMigrations()
	for _, m := range migrations {
		ms.Add(migrate.Migration{
			Name:    m.name,
			Comment: m.comment,
			Up: func(ctx context.Context, _ *migrate.Migrator, _ *migrate.Migration) error {
				return db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
					for _, stmt := range m.up {
						if _, err := tx.ExecContext(ctx, db.render(stmt)); err != nil {
							return fmt.Errorf("migration %s: %w", m.name, err)
						}
					}
					return nil
				})
			},
		})
	}
	return ms
}

// Migrate applies the migrations that are not applied yet and returns their
// names. Several instances may start at once: on PostgreSQL an advisory
// lock makes them take turns.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if db.Kind == Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		// The key is arbitrary but fixed: "twofold" in ASCII.
		const lockKey = 0x74776f666f6c64
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lockKey); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockKey)
	}
	m := migrate.NewMigrator(db.DB, db.migrations(), migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrate: init: %w", err)
	}
	group, err := m.Migrate(ctx)
	// SQLite has no advisory lock: when two processes (the server and a
	// command) migrate one file at once, the loser's transaction fails and
	// rolls back; once the winner has recorded its work there is nothing
	// left to do.
	for try := 1; err != nil && db.Kind == SQLite && try <= 5; try++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(try*100) * time.Millisecond):
		}
		group, err = m.Migrate(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, mg := range group.Migrations {
		names = append(names, mg.Name+"_"+mg.Comment)
	}
	return names, nil
}
