package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/signin"
	"twofold/shared/api"
)

// Query selects a page of users.
type Query struct {
	// Q matches a substring of the username or the email,
	// case-insensitively ("" matches everyone).
	Q string
	// Page counts from 1; PerPage > 0.
	Page, PerPage int
}

// List returns one page of the users matching q, by username (code-point
// order of the lower-cased usernames), described,
// and how many users match in all. It reads the normalised keys of
// usernames and emails (lower-cased in Go with Unicode rules: SQLite's
// lower() is ASCII-only), so the match is case-insensitive for every
// script on both databases.
func (s *Service) List(ctx context.Context, idb bun.IDB, q Query) ([]api.AdminUser, int64, error) {
	match := func(sel *bun.SelectQuery) *bun.SelectQuery {
		if q.Q == "" {
			return sel
		}
		return sel.WhereGroup(" AND ", func(w *bun.SelectQuery) *bun.SelectQuery {
			return w.Where(s.contains("username_key"), account.NormalizeUsername(q.Q)).
				WhereOr(s.contains("email_key"), account.NormalizeEmail(q.Q))
		})
	}
	total, err := match(idb.NewSelect().Model((*db.User)(nil))).Count(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	var users []db.User
	err = match(idb.NewSelect().Model(&users)).OrderExpr(s.byUsername()).
		Limit(int64(q.PerPage)).Offset(int64(q.Page-1) * int64(q.PerPage)).Scan(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	out, err := s.Describe(ctx, idb, users)
	return out, total, err
}

// byUsername orders users by their lower-cased username in code-point
// order on both engines (SQLite compares bytes; PostgreSQL would follow the
// database's collation), so pages are the same on both.
func (s *Service) byUsername() string {
	if s.DB.Kind == db.Postgres {
		return `username_key COLLATE "C", id`
	}
	return "username_key, id"
}

// contains is the engine's "column contains ?" test: a plain substring
// search, with no wildcard to escape.
func (s *Service) contains(column string) string {
	if s.DB.Kind == db.Postgres {
		return "strpos(" + column + ", ?) > 0"
	}
	return "instr(" + column + ", ?) > 0"
}

// Get describes user id (db.ErrNotFound when there is none).
func (s *Service) Get(ctx context.Context, idb bun.IDB, id int64) (api.AdminUser, error) {
	u, err := s.Users.ByID(ctx, idb, id)
	if err != nil {
		return api.AdminUser{}, err
	}
	out, err := s.Describe(ctx, idb, []db.User{*u})
	if err != nil {
		return api.AdminUser{}, err
	}
	return out[0], nil
}

// tfaRow is the stored 2FA state of one user.
type tfaRow struct {
	UserID    int64      `bun:"user_id"`
	EnabledAt *time.Time `bun:"enabled_at"`
	HasSecret bool       `bun:"has_secret"`
	Remaining int        `bun:"remaining"`
	Passkeys  int        `bun:"passkeys"`
}

// Describe returns users as administrators see them, in two queries
// whatever their number: the 2FA state of each (as Account's tfa), and the
// locks of their accounts.
func (s *Service) Describe(ctx context.Context, idb bun.IDB, users []db.User) ([]api.AdminUser, error) {
	out := make([]api.AdminUser, len(users))
	if len(users) == 0 {
		return out, nil
	}
	ids := make([]int64, len(users))
	groups := make([][]ratelimit.Key, len(users))
	for i, u := range users {
		ids[i] = u.ID
		groups[i] = ratelimit.AccountLocks(u.ID, u.UsernameKey)
	}
	var rows []tfaRow
	err := idb.NewRaw(`SELECT u.id AS user_id, t.enabled_at, t.secret IS NOT NULL AS has_secret,
		(SELECT count(*) FROM backup_codes b WHERE b.user_id = u.id AND b.used_at IS NULL) AS remaining,
		(SELECT count(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys
		FROM users u LEFT JOIN totp_secrets t ON t.user_id = u.id WHERE u.id IN (?)`, bun.List(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read 2fa states: %w", err)
	}
	byUser := make(map[int64]tfaRow, len(rows))
	for _, r := range rows {
		byUser[r.UserID] = r
	}
	locks, err := s.Limiter.LockedUntilEach(ctx, idb, groups)
	if err != nil {
		return nil, err
	}
	for i := range users {
		u := &users[i]
		out[i] = api.AdminUser{
			User:              api.User{ID: u.ID, Username: u.Username, Email: u.Email, IsAdmin: u.IsAdmin},
			Disabled:          u.Disabled,
			CreatedAt:         u.CreatedAt.UTC(),
			LastLogin:         utc(u.LastLoginAt),
			EmailVerification: u.EmailVerification,
			TFAEnforced:       u.TFAEnforced,
			TFA:               s.tfa(u, byUser[u.ID]),
			LockedUntil:       locks[i],
		}
	}
	return out, nil
}

// tfa is Account's tfa object of u from its stored state.
func (s *Service) tfa(u *db.User, r tfaRow) api.TFA {
	var st totp.Status
	if r.HasSecret {
		st = s.TOTP.StatusSince(r.EnabledAt)
	}
	return signin.TFAState(st, r.Remaining, r.Passkeys, s.Enforce.Applies(u))
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Events returns every user's events matching q, newest first, with the
// "before" of the next page (nil on the last).
func (s *Service) Events(ctx context.Context, idb bun.IDB, q api.AdminEventsQuery) (api.AdminEvents, error) {
	var rows []struct {
		db.Event `bun:",extend"`
		Username string `bun:"username,scanonly"`
	}
	// The model's own columns, not *: a column a newer instance's
	// migration adds must not break this one (README "Upgrades with
	// several instances").
	sel := idb.NewSelect().Model(&rows).ColumnExpr("?TableColumns").ColumnExpr("u.username").
		Join("JOIN users AS u ON u.id = ?TableAlias.user_id")
	if q.UserID > 0 {
		sel = sel.Where("?TableAlias.user_id = ?", q.UserID)
	}
	if q.Type != "" {
		sel = sel.Where("?TableAlias.type = ?", q.Type)
	}
	if q.Before > 0 {
		sel = sel.Where("?TableAlias.id < ?", q.Before)
	}
	if err := sel.OrderExpr("?TableAlias.id DESC").Limit(int64(q.Limit) + 1).Scan(ctx); err != nil {
		return api.AdminEvents{}, fmt.Errorf("list events: %w", err)
	}
	out := api.AdminEvents{Events: make([]api.AdminEvent, 0, min(len(rows), q.Limit))}
	for i, r := range rows {
		if i == q.Limit {
			next := out.Events[i-1].ID
			out.NextBefore = &next
			break
		}
		out.Events = append(out.Events, api.AdminEvent{
			ID: r.ID, Time: r.Time.UTC(), Type: r.Type, UserID: r.UserID, Username: r.Username,
			Actor: r.Actor, Reason: r.Reason, IP: r.IP, UserAgent: r.UserAgent, Detail: r.Detail,
		})
	}
	return out, nil
}
