package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/admin"
	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/mfa/backupcode"
	"twofold/server/internal/mfa/emailcode"
	"twofold/server/internal/mfa/passkey"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/reminder"
	"twofold/server/internal/reset"
	"twofold/server/internal/secrets"
	"twofold/server/internal/session"
	"twofold/server/internal/signin"
	"twofold/shared/api"
)

// Handlers serves the console API.
type Handlers struct {
	DB       *db.DB
	Clock    clock.Clock
	Users    *account.Service
	Sessions *session.Manager
	Limiter  *ratelimit.Limiter
	Audit    *audit.Recorder
	TOTP     *totp.Service
	Backup   *backupcode.Service
	Email    *emailcode.Service
	Notify   *notify.Notifier
	SignIn   *signin.Service
	// CodeKey signs device cookies.
	CodeKey *secrets.CodeKey
	// Admin runs the administrators' operations (admin_*.go).
	Admin *admin.Service
	// Reset runs the forgotten-password flow.
	Reset *reset.Service
	// Passkeys keeps security keys and passkeys (passkey.go).
	Passkeys *passkey.Service
}

type ctxKey struct{}

// Auth is the session and user of a request.
type Auth struct {
	Session *session.Session
	User    *db.User
}

// AuthFrom returns the request's session, set by Require.
func AuthFrom(ctx context.Context) *Auth {
	a, _ := ctx.Value(ctxKey{}).(*Auth)
	return a
}

// Require wraps next so it runs only with a session of one of levels;
// otherwise 401 unauthorized (and the cookie is dropped). An enrolment
// session reaching anything else gets 403 enrollment_required.
func (h *Handlers) Require(next httpx.HandlerFunc, levels ...string) httpx.HandlerFunc {
	return h.require(next, nil, false, levels...)
}

// RequireWithTFA is Require that also reads the user's second-factor state
// with the session, in the same statement (GET /api/account): the other
// endpoints do not pay for its four subqueries.
func (h *Handlers) RequireWithTFA(next httpx.HandlerFunc, levels ...string) httpx.HandlerFunc {
	return h.require(next, nil, true, levels...)
}

// require is Require with allow, which refuses a user of a session of the
// right level before anything is written (the administrators' check).
func (h *Handlers) require(next httpx.HandlerFunc, allow func(*db.User) error, tfa bool, levels ...string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := h.load(r, tfa)
		if errors.Is(err, session.ErrExpired) || errors.Is(err, session.ErrNoSession) {
			h.Sessions.ClearCookie(w)
			return httpx.ErrUnauthorized()
		}
		if err != nil {
			return err
		}
		ok := slices.Contains(levels, a.Session.Level)
		if ok && allow != nil {
			if err := allow(a.User); err != nil {
				return err
			}
		}
		if err := h.rememberLanguage(r, a.User); err != nil {
			return err
		}
		if ok {
			return next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, a)))
		}
		if a.Session.Level == db.LevelEnroll {
			return errEnrollmentRequired()
		}
		return httpx.ErrUnauthorized()
	}
}

// errEnrollmentRequired is the answer to an enrolment session outside
// what it may call (API.md: 403 enrollment_required).
func errEnrollmentRequired() *api.Error {
	return httpx.Fail(http.StatusForbidden, api.CodeEnrollmentRequired, "Set up two-factor authentication first.")
}

// Full wraps next for full sessions only.
func (h *Handlers) Full(next httpx.HandlerFunc) httpx.HandlerFunc {
	return h.Require(next, db.LevelFull)
}

// load finds the request's console session and its user in one query,
// and the user's second-factor state in the same query when tfa is set
// (db.Session's scan-only fields). A bearer token carried in the cookie
// is no console session.
func (h *Handlers) load(r *http.Request, tfa bool) (*Auth, error) {
	var with []func(*bun.SelectQuery) *bun.SelectQuery
	if tfa {
		with = append(with, withTFA)
	}
	s, err := h.Sessions.Lookup(r.Context(), h.Sessions.Token(r), with...)
	if err != nil {
		return nil, err
	}
	if s.Kind != db.KindConsole {
		return nil, session.ErrNoSession
	}
	return &Auth{Session: s, User: s.User}, nil
}

func origin(r *http.Request) audit.Origin {
	return audit.Origin{IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}
}

// client describes the request's browser to the sign-in service.
func (h *Handlers) client(r *http.Request) signin.Client {
	return signin.Client{
		Origin:   origin(r),
		Lang:     httpx.Lang(r),
		Kind:     db.KindConsole,
		Replace:  h.Sessions.Token(r),
		DeviceID: h.deviceIDs(r),
	}
}

// tfaStatus returns the 2FA state of u in one statement: the TOTP secret's
// state and the number of unused backup codes.
func (h *Handlers) tfaStatus(ctx context.Context, idb bun.IDB, u *db.User) (api.TFA, error) {
	var row struct {
		EnabledAt *time.Time `bun:"enabled_at"`
		HasSecret bool       `bun:"has_secret"`
		Remaining int        `bun:"remaining"`
		Passkeys  int        `bun:"passkeys"`
	}
	err := idb.NewRaw(`SELECT t.enabled_at, t.secret IS NOT NULL AS has_secret,
		(SELECT count(*) FROM backup_codes b WHERE b.user_id = ? AND b.used_at IS NULL) AS remaining,
		(SELECT count(*) FROM passkeys p WHERE p.user_id = ?) AS passkeys
		FROM (SELECT 1 AS one) AS one LEFT JOIN totp_secrets t ON t.user_id = ?`, u.ID, u.ID, u.ID).Scan(ctx, &row)
	if err != nil {
		return api.TFA{}, db.NotFound(err, "read 2fa state of user %d", u.ID)
	}
	return h.tfaOf(u, row.EnabledAt, row.HasSecret, row.Remaining, row.Passkeys), nil
}

// withTFA adds the user's second-factor state to a session lookup (the
// scan-only fields of db.Session), as tfaStatus reads it. It names the
// session's columns rather than *: a column a newer instance's migration
// adds must not break this one.
func withTFA(q *bun.SelectQuery) *bun.SelectQuery {
	return signin.FactorColumns(q.ColumnExpr("?TableColumns"), "?TableAlias.user_id").
		ColumnExpr("(SELECT count(*) FROM backup_codes b WHERE b.user_id = ?TableAlias.user_id AND b.used_at IS NULL) AS tfa_backup_codes_unused")
}

// tfaOf is the Account's tfa object of u from its stored state.
func (h *Handlers) tfaOf(u *db.User, enabledAt *time.Time, hasSecret bool, remaining, passkeys int) api.TFA {
	var st totp.Status
	if hasSecret {
		st = h.TOTP.StatusSince(enabledAt)
	}
	return signin.TFAState(st, remaining, passkeys, h.SignIn.Enforced(u))
}

// totpOn reports whether 2FA is on (TOTP or security keys): step-ups then
// ask for a code or a key, not the password. (The name predates keys.)
func totpOn(st api.TFA) bool { return st.State == api.TFAEnabled || st.State == api.TFAExpired }

// account builds the Account answer, reading the second-factor state
// again (after a change).
func (h *Handlers) account(ctx context.Context, a *Auth) (*api.Account, error) {
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return nil, err
	}
	return h.accountWith(a, st), nil
}

// accountWith builds the Account answer with the second-factor state st.
func (h *Handlers) accountWith(a *Auth, st api.TFA) *api.Account {
	acc := &api.Account{
		User:              userOf(a.User),
		Email:             a.User.Email,
		EmailVerification: a.User.EmailVerification,
		TFA:               st,
		Session:           a.Session.Level,
		ServerTime:        h.Clock.Now(),
		Notices:           reminder.Notices(st, h.Clock.Now()),
		Passwordless:      !a.User.PasswordlessOff,
		PasskeysAvailable: h.Passkeys.Available(),
	}
	if h.Sessions.Elevated(a.Session) {
		t := a.Session.ElevatedUntil.UTC()
		acc.ElevatedUntil = &t
	}
	return acc
}

func userOf(u *db.User) api.User {
	return api.User{ID: u.ID, Username: u.Username, Email: u.Email, IsAdmin: u.IsAdmin}
}

// utc returns t in UTC for JSON answers (SQLite reads times back in Local).
func utc(t time.Time) time.Time { return t.UTC() }

// notify mails a security notice about u, from the request's origin.
func (h *Handlers) notify(r *http.Request, u *db.User, kind notify.Kind, to string, e notify.Event) {
	if h.Notify == nil {
		return
	}
	o := origin(r)
	e.Kind, e.To, e.Username, e.Time, e.IP, e.UserAgent, e.Lang = kind, to, u.Username, h.Clock.Now(), o.IP, o.UserAgent, u.Language
	h.Notify.Notify(e)
}

// rememberLanguage stores the language the request asks for (the console
// sends the one the user chose) as the user's, so mails go out in it. It
// writes only when it changes.
func (h *Handlers) rememberLanguage(r *http.Request, u *db.User) error {
	lang := httpx.Lang(r)
	if lang == "" || lang == u.Language {
		return nil
	}
	return h.Users.SetLanguage(r.Context(), h.DB, u, lang)
}
