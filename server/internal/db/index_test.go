package db_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
	"twofold/server/internal/testdb"
)

// TestLookupsUseIndexes: the lookups of the server (the statements as the
// packages write them) read through an index, on both engines: no query
// plan reads a whole table (SQLite "SCAN t" without an index; PostgreSQL
// "Seq Scan" with sequential scans discouraged, so that the plan shows
// what could be used on a large table rather than what a small one
// prefers). The one deliberate exception is ratelimit's prefix reset (an
// administrator's unlock), which is not listed.
func TestLookupsUseIndexes(t *testing.T) {
	now := time.Now()
	lookups := []struct {
		name string
		sql  string
		args []any
	}{
		{"session by token", `SELECT * FROM sessions WHERE token_hash = ?`, []any{[]byte("x")}},
		{"sessions of a user", `SELECT * FROM sessions WHERE user_id = ? AND level = 'full' AND expires_at > ? ORDER BY created_at DESC`, []any{1, now}},
		{"other sessions ended", `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, []any{1, 2}},
		{"expired and idle sessions purged", `DELETE FROM sessions WHERE expires_at <= ?
			OR (level = 'full' AND kind <> 'rustdesk' AND last_seen_at <= ?)
			OR (level = 'full' AND kind = 'rustdesk' AND last_seen_at <= ?)`, []any{now, now, now}},
		{"user by username", `SELECT * FROM users WHERE username_key = ?`, []any{"a"}},
		{"user by username or email", `SELECT * FROM users WHERE username_key = ? OR email_key = ?`, []any{"a", "a"}},
		{"enabled admins", `SELECT count(*) FROM users WHERE (is_admin) AND (NOT disabled)`, nil},
		{"totp secret", `SELECT * FROM totp_secrets WHERE user_id = ?`, []any{1}},
		{"unused backup codes", `SELECT count(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL`, []any{1}},
		{"email challenge", `SELECT * FROM email_challenges WHERE session_id = ?`, []any{1}},
		{"email challenges of a user", `SELECT * FROM email_challenges WHERE user_id = ?`, []any{1}},
		{"throttles", `SELECT * FROM throttles WHERE key IN (?, ?)`, []any{"a", "b"}},
		{"stale throttles purged", `DELETE FROM throttles WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?)`, []any{now, now}},
		{"events of a user", `SELECT * FROM events WHERE user_id = ? ORDER BY id DESC LIMIT 50`, []any{1}},
		{"events by type", `SELECT * FROM events WHERE type = ? AND id < ? ORDER BY id DESC LIMIT 50`, []any{"login", 100}},
		{"known client", `SELECT count(*) FROM known_clients WHERE user_id = ? AND client_hash = ? AND last_login_at > ?`, []any{1, []byte("x"), now}},
		{"reset link", `SELECT * FROM password_resets WHERE token_hash = ? AND user_id IS NOT NULL AND used_at IS NULL AND expires_at > ?`, []any{[]byte("x"), now}},
		{"reset links of a user", `DELETE FROM password_resets WHERE user_id = ?`, []any{1}},
		{"old reset links purged", `DELETE FROM password_resets WHERE expires_at < ?`, []any{now}},
		{"unsent reminders", `SELECT * FROM reminders WHERE sent_at IS NULL AND claimed_at IS NULL AND attempts < 5 ORDER BY id LIMIT 100`, nil},
		{"lease", `SELECT * FROM leases WHERE name = ?`, []any{"a"}},
	}
	sqliteScan := regexp.MustCompile(`\bSCAN (\w+)$`)
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := open(t, url)
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, l := range lookups {
			t.Run(l.name, func(t *testing.T) {
				var plan []string
				err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					explain := "EXPLAIN QUERY PLAN "
					if d.Kind == db.Postgres {
						explain = "EXPLAIN "
						if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
							return err
						}
					}
					rows, err := tx.QueryContext(ctx, explain+l.sql, l.args...)
					if err != nil {
						return err
					}
					defer rows.Close()
					cols, _ := rows.Columns()
					for rows.Next() {
						vals := make([]any, len(cols))
						ptrs := make([]any, len(cols))
						for i := range vals {
							ptrs[i] = &vals[i]
						}
						if err := rows.Scan(ptrs...); err != nil {
							return err
						}
						// SQLite: id, parent, notused, detail; PostgreSQL: one line.
						if s, ok := vals[len(vals)-1].(string); ok {
							plan = append(plan, s)
						} else if b, ok := vals[len(vals)-1].([]byte); ok {
							plan = append(plan, string(b))
						}
					}
					return rows.Err()
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range plan {
					if strings.Contains(line, "Seq Scan") || sqliteScan.MatchString(strings.TrimSpace(line)) {
						t.Fatalf("%s reads a whole table:\n%s", l.sql, strings.Join(plan, "\n"))
					}
				}
			})
		}
	})
}
