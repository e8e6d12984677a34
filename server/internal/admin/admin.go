// Package admin holds the administrators' operations on users: create,
// change (disabled, administrator, 2FA enforcement, email verification),
// reset 2FA, sign out everywhere, unlock, set a password, list and
// describe users, read every user's events. The console's admin API and
// the command line call the same functions, so a rule (the last enabled
// administrator stays, disabling ends every session) holds in both.
//
// Every change runs inside the caller's transaction, after Lock, and is
// recorded as an event of the target user with the actor and the reason
// (audit.Origin).
package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/backupcode"
	"twofold/server/internal/mfa/passkey"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/server/internal/signin"
)

// Errors of this package.
var (
	// ErrLastAdmin: the change would leave no enabled administrator.
	ErrLastAdmin = errors.New("this change would leave no enabled administrator")
	// ErrNoEmail: email verification cannot be turned on for a user
	// without an email address.
	ErrNoEmail = errors.New("email verification needs an email address")
	// ErrNotAdmin: the acting user is no enabled administrator (any more).
	ErrNotAdmin = errors.New("not an enabled administrator")
)

// Service runs the administrators' operations.
type Service struct {
	DB       *db.DB
	Clock    clock.Clock
	Users    *account.Service
	Sessions *session.Manager
	Limiter  *ratelimit.Limiter
	Audit    *audit.Recorder
	TOTP     *totp.Service
	Backup   *backupcode.Service
	Passkeys *passkey.Service
	// Enforce is TWOFOLD_ENFORCE_2FA, for the tfa.enforced of users.
	Enforce signin.Enforcement
}

// Lock takes within tx the row locks of the users ids and, with admins,
// of every enabled administrator, in id order, and returns the users ids as
// they are now (db.ErrNotFound when one is gone). Call it first in the
// transaction, before any other lock: transactions that lock several users
// lock them in id order, so they cannot deadlock, and a transaction that
// locks one user (db.LockUser) takes that row before throttle rows. With
// admins, two administrators removing each other at once run one after
// the other on PostgreSQL, so the second sees the first's change and the
// last enabled administrator stays. SQLite's immediate transactions are
// serial already.
func (s *Service) Lock(ctx context.Context, tx bun.Tx, admins bool, ids ...int64) ([]*db.User, error) {
	if s.DB.Kind == db.Postgres {
		q := tx.NewSelect().Table("users").Column("id").Where("id IN (?)", bun.List(ids))
		if admins {
			q = q.WhereOr("is_admin AND NOT disabled")
		}
		var locked []int64
		if err := q.OrderExpr("id").For("UPDATE").Scan(ctx, &locked); err != nil {
			return nil, fmt.Errorf("lock users: %w", err)
		}
	}
	var rows []db.User
	if err := tx.NewSelect().Model(&rows).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	out := make([]*db.User, len(ids))
	for i, id := range ids {
		j := slices.IndexFunc(rows, func(u db.User) bool { return u.ID == id })
		if j < 0 {
			return nil, db.ErrNotFound
		}
		out[i] = &rows[j]
	}
	return out, nil
}

// Acting checks that u, as just locked, is still an enabled administrator:
// rights taken away by another administrator a moment ago count.
func Acting(u *db.User) error {
	if !u.IsAdmin || u.Disabled {
		return ErrNotAdmin
	}
	return nil
}

// Change lists the settings a PATCH changes; nil fields stay.
type Change struct {
	Disabled          *bool
	IsAdmin           *bool
	TFAEnforced       *bool
	EmailVerification *bool
}

// Done is one change that was applied: its event and the notice the user
// gets.
type Done struct {
	Event  string
	Detail string
	Notice notify.Kind
}

// CheckChange returns ErrNoEmail when c turns email verification on for u
// without an email address.
func CheckChange(u *db.User, c Change) error {
	if c.EmailVerification != nil && *c.EmailVerification && strings.TrimSpace(u.Email) == "" {
		return ErrNoEmail
	}
	return nil
}

// Update applies c to u within tx (u from Lock with admins) and records an
// event per setting that changed; settings sent with their current value
// change nothing. Disabling ends every session and bearer token of u.
// Disabling or demoting the last enabled administrator is ErrLastAdmin.
func (s *Service) Update(ctx context.Context, tx bun.Tx, u *db.User, c Change, o audit.Origin) ([]Done, error) {
	if err := CheckChange(u, c); err != nil {
		return nil, err
	}
	changed := func(p *bool, cur bool) bool { return p != nil && *p != cur }
	removes := u.IsAdmin && !u.Disabled &&
		((changed(c.Disabled, u.Disabled) && *c.Disabled) || (changed(c.IsAdmin, u.IsAdmin) && !*c.IsAdmin))
	if removes {
		n, err := tx.NewSelect().Model((*db.User)(nil)).Where("is_admin").Where("NOT disabled").Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count administrators: %w", err)
		}
		if n <= 1 {
			return nil, ErrLastAdmin
		}
	}
	q := tx.NewUpdate().Model((*db.User)(nil)).Where("id = ?", u.ID)
	var done []Done
	if changed(c.Disabled, u.Disabled) {
		q = q.Set("disabled = ?", *c.Disabled)
		d := Done{Event: audit.UserEnabled, Notice: notify.AccountEnabled}
		if *c.Disabled {
			d = Done{Event: audit.UserDisabled, Notice: notify.AccountDisabled}
		}
		done = append(done, d)
	}
	if changed(c.IsAdmin, u.IsAdmin) {
		q = q.Set("is_admin = ?", *c.IsAdmin)
		d := Done{Event: audit.AdminRevoked, Notice: notify.AdminRevoked}
		if *c.IsAdmin {
			d = Done{Event: audit.AdminGranted, Notice: notify.AdminGranted}
		}
		done = append(done, d)
	}
	if changed(c.TFAEnforced, u.TFAEnforced) {
		q = q.Set("tfa_enforced = ?", *c.TFAEnforced)
		d := Done{Event: audit.TFAEnforcementOff, Notice: notify.TFANotEnforced}
		if *c.TFAEnforced {
			d = Done{Event: audit.TFAEnforcementOn, Notice: notify.TFAEnforced}
		}
		done = append(done, d)
	}
	if changed(c.EmailVerification, u.EmailVerification) {
		q = q.Set("email_verification = ?", *c.EmailVerification)
		d := Done{Event: audit.SettingsChanged, Detail: "email_verification_off", Notice: notify.EmailVerificationOff}
		if *c.EmailVerification {
			d = Done{Event: audit.SettingsChanged, Detail: "email_verification_on", Notice: notify.EmailVerificationOn}
		}
		done = append(done, d)
	}
	if len(done) == 0 {
		return nil, nil
	}
	if _, err := q.Set("updated_at = ?", s.Clock.Now()).Exec(ctx); err != nil {
		return nil, fmt.Errorf("update user %d: %w", u.ID, err)
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
	}
	if c.IsAdmin != nil {
		u.IsAdmin = *c.IsAdmin
	}
	if c.TFAEnforced != nil {
		u.TFAEnforced = *c.TFAEnforced
	}
	if c.EmailVerification != nil {
		u.EmailVerification = *c.EmailVerification
	}
	if u.Disabled {
		if err := s.Sessions.DeleteOthers(ctx, tx, u.ID, 0); err != nil {
			return nil, err
		}
	}
	for _, d := range done {
		if err := s.Audit.Record(ctx, tx, u.ID, d.Event, o, d.Detail); err != nil {
			return nil, err
		}
	}
	return done, nil
}

// ResetTFA removes u's TOTP secret (a pending one too), backup codes,
// security keys and the account's failure counters within tx, and ends
// every session and
// bearer token of u but keep (0: all; an administrator resetting their own
// 2FA keeps the current session). Email verification stays as it was.
func (s *Service) ResetTFA(ctx context.Context, tx bun.Tx, u *db.User, keep int64, o audit.Origin) error {
	if err := s.TOTP.Disable(ctx, tx, u.ID); err != nil {
		return err
	}
	if err := s.Backup.Delete(ctx, tx, u.ID); err != nil {
		return err
	}
	if _, err := s.Passkeys.DeleteAll(ctx, tx, u.ID); err != nil {
		return err
	}
	if err := s.Sessions.DeleteOthers(ctx, tx, u.ID, keep); err != nil {
		return err
	}
	if err := s.Limiter.Reset(ctx, tx, ratelimit.AccountResets(u.ID, u.UsernameKey)...); err != nil {
		return err
	}
	return s.Audit.Record(ctx, tx, u.ID, audit.TFAReset, o, "")
}

// SignOut ends every session and bearer token of u but keep (0: all) within
// tx.
func (s *Service) SignOut(ctx context.Context, tx bun.Tx, u *db.User, keep int64, o audit.Origin) error {
	if err := s.Sessions.DeleteOthers(ctx, tx, u.ID, keep); err != nil {
		return err
	}
	return s.Audit.Record(ctx, tx, u.ID, audit.SessionsEnded, o, "")
}

// Unlock clears the account's password and second-factor failure counters
// within tx: the right password and codes work at once.
func (s *Service) Unlock(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin) error {
	if err := s.Limiter.Reset(ctx, tx, ratelimit.AccountResets(u.ID, u.UsernameKey)...); err != nil {
		return err
	}
	return s.Audit.Record(ctx, tx, u.ID, audit.Unlocked, o, "")
}

// Create adds the user nu with the password hash (account.HashPassword,
// made before the transaction) within tx. A taken username or email is
// account.ErrUsernameTaken or account.ErrEmailTaken.
func (s *Service) Create(ctx context.Context, tx bun.Tx, nu account.NewUser, hash string, o audit.Origin) (*db.User, error) {
	u, err := s.Users.CreateHashed(ctx, tx, nu, hash)
	if err != nil {
		return nil, err
	}
	detail := ""
	if u.IsAdmin {
		detail = "admin"
	}
	if err := s.Audit.Record(ctx, tx, u.ID, audit.UserCreated, o, detail); err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword replaces u's password with hash (account.HashPassword, made
// before the transaction) within tx and ends every session and bearer
// token of u.
func (s *Service) SetPassword(ctx context.Context, tx bun.Tx, u *db.User, hash string, o audit.Origin) error {
	if err := s.Users.StorePassword(ctx, tx, u, hash); err != nil {
		return err
	}
	if err := s.Sessions.DeleteOthers(ctx, tx, u.ID, 0); err != nil {
		return err
	}
	return s.Audit.Record(ctx, tx, u.ID, audit.PasswordChanged, o, "")
}
