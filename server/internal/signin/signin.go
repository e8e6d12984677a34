// Package signin runs sign-ins with one set of rules for every front end:
// the console (cookies) and the RustDesk client (bearer tokens) call the
// same password step, the same second-factor check under the same limits
// and the same session start, so a rule changed here changes everywhere.
//
// A full sign-in writes at most three transactions: the password attempt
// counted in advance, the password step's outcome (counters, session,
// email code), and the second step's (code consumed, counters, session,
// event). Every one-time thing is consumed in the transaction that
// creates the session or applies the change, so a fault leaves nothing
// half-done, and a 5xx never counts as a failed attempt.
package signin

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/backupcode"
	"twofold/server/internal/mfa/emailcode"
	"twofold/server/internal/mfa/passkey"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/shared/api"
)

// Errors of this package. Rate limits come as *ratelimit.LimitedError.
var (
	// ErrInvalidCredentials is returned for an unknown user or a wrong
	// password alike.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrDisabled is returned for the right password of a disabled user.
	ErrDisabled = errors.New("account disabled")
	// ErrInvalidCode is returned for a wrong, expired or used code.
	ErrInvalidCode = errors.New("invalid code")
	// ErrLoginExpired is returned when the pending sign-in is gone: timed
	// out, out of tries, or already completed.
	ErrLoginExpired = errors.New("sign-in expired")
	// ErrEnrollmentRequired is returned to a client that cannot enrol
	// (RustDesk) for a user who must set up TOTP first, in the console.
	ErrEnrollmentRequired = errors.New("2FA must be set up in the console first")
)

// CodeError is the ErrInvalidCode of a wrong code that was right 2 to
// 10 minutes ago (the device's clock is behind): errors.Is(err,
// ErrInvalidCode) holds, so front ends with exact error strings (the
// RustDesk client) answer as for any wrong code, and the console adds its
// hint.
type CodeError struct {
	ClockSkew bool
}

func (e *CodeError) Error() string        { return ErrInvalidCode.Error() + " (device clock behind)" }
func (e *CodeError) Is(target error) bool { return target == ErrInvalidCode }

// MailError is returned by Password when the email code could not be
// delivered: the pending session exists (Result), so a resend can follow.
type MailError struct {
	Result *Result
	Err    error
}

func (e *MailError) Error() string { return "email code not sent: " + e.Err.Error() }
func (e *MailError) Unwrap() error { return e.Err }

// Enforcement is TWOFOLD_ENFORCE_2FA: which users must use TOTP.
type Enforcement string

// Values of TWOFOLD_ENFORCE_2FA.
const (
	EnforceNone   Enforcement = "none"
	EnforceAdmins Enforcement = "admins"
	EnforceAll    Enforcement = "all"
)

// Service signs users in.
type Service struct {
	DB       *db.DB
	Clock    clock.Clock
	Logger   *slog.Logger
	Users    *account.Service
	Sessions *session.Manager
	Limiter  *ratelimit.Limiter
	Audit    *audit.Recorder
	TOTP     *totp.Service
	Backup   *backupcode.Service
	Email    *emailcode.Service
	Passkeys *passkey.Service
	Notify   *notify.Notifier
	Enforce  Enforcement
	// Metrics counts sign-ins and code checks; nil: nothing is counted.
	Metrics Observer
}

// Applies reports whether u must use TOTP under e: by an administrator's
// choice for u (tfa_enforced), or by role.
func (e Enforcement) Applies(u *db.User) bool {
	return u.TFAEnforced || e == EnforceAll || (e == EnforceAdmins && u.IsAdmin)
}

// Enforced reports whether u must use TOTP: by an administrator's choice
// for u, or by role (TWOFOLD_ENFORCE_2FA).
func (s *Service) Enforced(u *db.User) bool { return s.Enforce.Applies(u) }

// Client is who signs in, and from where.
type Client struct {
	audit.Origin
	// Lang is the language the client asks for ("" when none): remembered
	// as the user's, for mails.
	Lang string
	// Kind is db.KindConsole or db.KindRustDesk; Device names a client,
	// ClientID and ClientUUID identify it (RustDesk).
	Kind       string
	Device     string
	ClientID   string
	ClientUUID string
	// Replace is the token of the client's current session, ended by the
	// new one ("" when none).
	Replace string
	// DeviceID returns the identity of a device that signed in as userID
	// recently ("" when none); its password attempts are counted on their
	// own (API.md "Limits").
	DeviceID func(userID int64) string
}

// Result is where a sign-in step left the client.
type Result struct {
	// Status is api.StatusOK, api.StatusVerify or api.StatusEnroll.
	Status string
	// Method is the awaited second factor (api.MethodTOTP or MethodEmail).
	Method string
	User   *db.User
	// Token and Session are the client's new session.
	Token   string
	Session *session.Session
	// ResendAfter is the wait before a new email code may be asked for.
	ResendAfter time.Duration
	// Methods are the second factors the pending sign-in accepts, the
	// preferred first.
	Methods []string
}

// Methods lists the second factors a user with TOTP on (totpOn) and keys
// security keys can use, the preferred first: a key (it cannot be
// phished), the authenticator app, a backup code.
func (s *Service) Methods(totpOn bool, keys int) []string {
	var m []string
	if keys > 0 && s.Passkeys.Available() {
		m = append(m, api.MethodPasskey)
	}
	if totpOn {
		m = append(m, api.MethodTOTP)
	}
	if totpOn || keys > 0 {
		m = append(m, api.MethodBackupCode)
	}
	return m
}

// passwordKeys are the counters a password attempt of c on username (u:
// the user, nil when unknown) counts on.
func passwordKeys(c Client, username string, u *db.User) []ratelimit.Key {
	if u != nil && c.DeviceID != nil {
		if id := c.DeviceID(u.ID); id != "" {
			return []ratelimit.Key{ratelimit.DeviceKey(u.ID, id)}
		}
	}
	return ratelimit.PasswordKeys(account.NormalizeUsername(username), c.IP)
}

// CheckPassword checks the password of a known or unknown (nil) user
// under the password limits, counting the attempt in advance. On a right
// password it returns the attempt, to be settled (Succeeded) in the
// transaction that acts on it, or Cancelled if that fails. The same work is
// done for an unknown user.
func (s *Service) CheckPassword(ctx context.Context, c Client, username string, u *db.User, password string) (*ratelimit.Attempt, error) {
	attempt, err := s.Limiter.Begin(ctx, passwordKeys(c, username, u)...)
	if err != nil {
		return nil, err
	}
	ok, err := s.Users.CheckPassword(ctx, u, password)
	if err != nil {
		s.CancelAttempt(ctx, attempt)
		return nil, err
	}
	if !ok {
		return nil, ErrInvalidCredentials
	}
	return attempt, nil
}

// CancelAttempt takes back an attempt after a failure of the server's own (a
// 5xx never counts as a failed attempt).
func (s *Service) CancelAttempt(ctx context.Context, a *ratelimit.Attempt) {
	if a == nil {
		return
	}
	if err := a.Cancel(context.WithoutCancel(ctx)); err != nil {
		s.Logger.Warn("attempt not taken back", "err", err)
	}
}

// Observer counts sign-in steps and code checks (metrics.Metrics).
type Observer interface {
	SignIn(method, result string)
	CodeCheck(method, result string)
}

// observe counts a sign-in step of method that ended with res or err.
func (s *Service) observe(method string, res *Result, err error) {
	if s.Metrics == nil {
		return
	}
	var le *ratelimit.LimitedError
	var ce *CodeError
	var me *MailError
	result := "error"
	switch {
	case err == nil && res != nil:
		result = res.Status // ok, verify, enroll
	case errors.Is(err, ErrInvalidCredentials):
		result = "invalid_credentials"
	case errors.Is(err, ErrInvalidCode), errors.As(err, &ce):
		result = "invalid_code"
	case errors.Is(err, ErrLoginExpired):
		result = "login_expired"
	case errors.As(err, &le):
		result = "rate_limited"
	case errors.Is(err, ErrDisabled), errors.Is(err, ErrEnrollmentRequired):
		result = "forbidden"
	case errors.As(err, &me):
		result = "unavailable"
	}
	s.Metrics.SignIn(method, result)
}

// Password is the first step of a sign-in.
func (s *Service) Password(ctx context.Context, c Client, username, password string) (res *Result, err error) {
	defer func() { s.observe("password", res, err) }()
	return s.password(ctx, c, username, password)
}

// withFactors is a user with the state of its second factors that the
// password step acts on, read in one statement with the user.
type withFactors struct {
	db.User `bun:",extend"`

	TOTPEnabledAt *time.Time `bun:"tfa_enabled_at,scanonly"`
	TOTPSecretSet bool       `bun:"tfa_secret_set,scanonly"`
	Passkeys      int        `bun:"tfa_passkeys,scanonly"`
}

// lookup finds the user named username with its TOTP state and number of
// security keys (nil and db.ErrNotFound when there is none). It names the
// model's columns rather than *, so that a column added by a newer
// instance's migration does not break this one (TestRollingUpgrade).
func (s *Service) lookup(ctx context.Context, username string) (*withFactors, error) {
	u := new(withFactors)
	q := s.DB.NewSelect().Model(u).ColumnExpr("?TableColumns")
	err := FactorColumns(q, "?TableAlias.id").Where("?TableAlias.username_key = ?", db.Arg(1)).
		Conn(db.Prepared(s.DB, account.NormalizeUsername(username))).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, "load user %q", username)
	}
	return u, nil
}

// FactorColumns adds to q the second-factor state of the user whose id is
// the column userID of q (written in our code, e.g. "?TableAlias.id"):
// the TOTP secret's enabled_at, whether a secret is set and the number of
// security keys, as the scan-only columns tfa_enabled_at, tfa_secret_set
// and tfa_passkeys. The sign-in's user lookup and the console's session
// lookup share it.
func FactorColumns(q *bun.SelectQuery, userID string) *bun.SelectQuery {
	return q.ColumnExpr("(SELECT t.enabled_at FROM totp_secrets t WHERE t.user_id = " + userID + ") AS tfa_enabled_at").
		ColumnExpr("EXISTS (SELECT 1 FROM totp_secrets t WHERE t.user_id = " + userID + " AND t.secret IS NOT NULL) AS tfa_secret_set").
		ColumnExpr("(SELECT count(*) FROM passkeys p WHERE p.user_id = " + userID + ") AS tfa_passkeys")
}

func (s *Service) password(ctx context.Context, c Client, username, password string) (*Result, error) {
	// The user and its second factors in one statement, before the
	// password is checked: an unknown user costs the same statement.
	f, err := s.lookup(ctx, username)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	var u *db.User
	if f != nil {
		u = &f.User
	}
	attempt, err := s.CheckPassword(ctx, c, username, u, password)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		// The password was right: it does not count as a failure.
		if err := attempt.Succeeded(ctx, s.DB); err != nil {
			return nil, err
		}
		return nil, ErrDisabled
	}
	var st totp.Status
	if f.TOTPSecretSet {
		st = s.TOTP.StatusSince(f.TOTPEnabledAt)
	}
	keys := f.Passkeys
	// A hash made with other parameters is replaced now that the password
	// is known (TWOFOLD_ARGON2): imported hashes converge.
	rehash, err := s.Users.Rehash(ctx, u, password)
	if err != nil {
		s.CancelAttempt(ctx, attempt)
		return nil, err
	}
	res := &Result{User: u}
	spec := session.Spec{UserID: u.ID, Kind: c.Kind, Device: c.Device, ClientID: c.ClientID, ClientUUID: c.ClientUUID,
		IP: c.IP, UserAgent: c.UserAgent}
	switch {
	case st.Enabled:
		// TOTP supersedes email verification: no code is mailed.
		spec.Level, spec.Method = db.LevelPending, api.MethodTOTP
		res.Status, res.Method = api.StatusVerify, api.MethodTOTP
		res.Methods = s.Methods(true, keys)
	case keys > 0:
		// So do security keys.
		spec.Level, spec.Method = db.LevelPending, api.MethodPasskey
		res.Status, res.Method = api.StatusVerify, api.MethodPasskey
		res.Methods = s.Methods(false, keys)
	case u.EmailVerification && u.Email != "":
		spec.Level, spec.Method = db.LevelPending, api.MethodEmail
		res.Status, res.Method = api.StatusVerify, api.MethodEmail
		res.Methods = []string{api.MethodEmail}
	case s.Enforced(u):
		spec.Level, res.Status = db.LevelEnroll, api.StatusEnroll
	default:
		// A sign-in with the password counts as a step-up while TOTP is
		// off (API.md).
		spec.Level, spec.Elevate, res.Status = db.LevelFull, true, api.StatusOK
	}
	var mailed *emailcode.Reservation
	var capped error
	takenAt := s.Clock.Now()
	// Only the console can enrol: another client is told to, and gets
	// nothing.
	enrollOnly := spec.Level == db.LevelEnroll && c.Kind != "" && c.Kind != db.KindConsole
	inTx := func(ctx context.Context, tx bun.Tx) error {
		if err := s.DB.LockUser(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := attempt.Succeeded(ctx, tx); err != nil {
			return err
		}
		if rehash != "" {
			if err := s.Users.UpgradeHash(ctx, tx, u, rehash); err != nil {
				return err
			}
		}
		if enrollOnly {
			return nil
		}
		if spec.Method == api.MethodEmail {
			if _, err := s.Limiter.Take(ctx, tx, ratelimit.CodeMailKey(u.ID)); err != nil {
				var le *ratelimit.LimitedError
				if errors.As(err, &le) {
					// Past the code-mail cap: no session, no mail; the
					// right password still resets its counters.
					capped = le
					return nil
				}
				return err
			}
		}
		if err := s.start(ctx, tx, c, u, spec, 0, res); err != nil {
			return err
		}
		if spec.Method == api.MethodEmail {
			if err := s.Email.Start(ctx, tx, res.Session.ID, u.ID); err != nil {
				return err
			}
			var err error
			mailed, err = s.Email.Reserve(ctx, tx, res.Session.ID, false)
			return err
		}
		return nil
	}
	done := false
	if s.atOnce(c, u, spec, rehash) {
		done, err = s.startAtOnce(ctx, spec, attempt, res)
	}
	if !done && err == nil {
		err = s.DB.Tx(ctx, inTx)
	}
	if err != nil {
		s.CancelAttempt(ctx, attempt)
		return nil, err
	}
	if capped != nil {
		return nil, capped
	}
	if enrollOnly {
		return nil, ErrEnrollmentRequired
	}
	if mailed != nil {
		res.ResendAfter = emailcode.Cooldown
		if err := s.Email.Deliver(ctx, mailed, u.Email, u.Language); err != nil {
			res.ResendAfter = 0
			s.undoMail(ctx, u.ID, mailed, takenAt)
			return nil, &MailError{Result: res, Err: err}
		}
	}
	return res, nil
}

// atOnce reports whether the writes of a right password can take one
// statement (startAtOnce): on PostgreSQL, when the sign-in goes on to a
// second step and nothing else changes (no hash to replace, no session to
// end, no language to record, no code to mail).
func (s *Service) atOnce(c Client, u *db.User, spec session.Spec, rehash string) bool {
	return s.DB.Kind == db.Postgres && spec.Level == db.LevelPending && spec.Method != api.MethodEmail &&
		rehash == "" && c.Replace == "" && (c.Lang == "" || c.Lang == u.Language)
}

// startAtOnce does what the transaction of a right password does (the
// user's lock, the attempt's success, the pending session) in one
// statement, its own transaction: one round trip instead of five
// (BEGIN, three statements, COMMIT), which were a large part of
// PostgreSQL's cost of a sign-in. done is false, with nothing written,
// when the attempt needs more than one statement to succeed.
func (s *Service) startAtOnce(ctx context.Context, spec session.Spec, attempt *ratelimit.Attempt, res *Result) (done bool, err error) {
	cleared, ok := attempt.SucceededClause(s.DB, db.LockedUser)
	if !ok {
		return false, nil
	}
	res.Token, res.Session, err = s.Sessions.Create(ctx, s.DB, spec, db.LockUserClause(s.DB, spec.UserID), cleared)
	return err == nil, err
}

// undoMail takes back a code mail that could not be delivered: no
// cooldown starts and it does not count toward the code-mail cap.
func (s *Service) undoMail(ctx context.Context, userID int64, r *emailcode.Reservation, at time.Time) {
	err := s.DB.Tx(context.WithoutCancel(ctx), func(ctx context.Context, tx bun.Tx) error {
		if err := s.DB.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.Email.Undo(ctx, tx, r); err != nil {
			return err
		}
		return s.Limiter.Return(ctx, tx, at, ratelimit.CodeMailKey(userID))
	})
	if err != nil {
		s.Logger.Warn("undelivered email code not taken back", "err", err)
	}
}

// start replaces the client's session, if any, with a new one described
// by spec within tx (a new token at every step), and completes a full
// sign-in. pending is the pending session the new one ends (0: none); it
// returns db.ErrNotFound when that is gone.
func (s *Service) start(ctx context.Context, tx bun.Tx, c Client, u *db.User, spec session.Spec, pending int64, res *Result) error {
	if _, err := s.Sessions.DeleteToken(ctx, tx, c.Replace); err != nil {
		return err
	}
	if c.Lang != "" && c.Lang != u.Language {
		if err := s.Users.SetLanguage(ctx, tx, u, c.Lang); err != nil {
			return err
		}
	}
	if pending != 0 {
		if done, err := s.promoteAtOnce(ctx, tx, c, u, spec, pending, res); done || err != nil {
			return err
		}
	}
	var token string
	var sess *session.Session
	var err error
	if pending != 0 {
		token, sess, err = s.Sessions.Promote(ctx, tx, pending, spec)
	} else {
		token, sess, err = s.Sessions.Create(ctx, tx, spec)
	}
	if err != nil {
		return err
	}
	res.Token, res.Session = token, sess
	if spec.Level != db.LevelFull {
		return nil
	}
	login := s.Audit.Event(u.ID, audit.Login, c.Origin, spec.Device)
	if knownClient(spec) {
		k := &db.KnownClient{UserID: u.ID, ClientHash: ClientHash(spec.ClientID, spec.ClientUUID), LastLoginAt: s.Clock.Now()}
		q, args := db.InsertValues(tx.NewInsert().Model(k), 1, db.Column{Name: "user_id", Value: k.UserID},
			db.Column{Name: "client_hash", Value: k.ClientHash}, db.Column{Name: "last_login_at", Value: k.LastLoginAt})
		if _, err := q.Returning("NULL").On("CONFLICT (user_id, client_hash) DO UPDATE").Set("last_login_at = EXCLUDED.last_login_at").
			Conn(db.Prepared(tx, args...)).Exec(ctx); err != nil {
			return fmt.Errorf("remember client of user %d: %w", u.ID, err)
		}
	}
	return s.Users.SetLastLogin(ctx, tx, u, login)
}

// knownClient reports whether a full sign-in of spec records a RustDesk
// client as known.
func knownClient(spec session.Spec) bool {
	return spec.Kind == db.KindRustDesk && (spec.ClientID != "" || spec.ClientUUID != "")
}

// promoteAtOnce completes a full sign-in from the pending session in one
// statement on PostgreSQL: the session promoted in place, the sign-in
// event and the last sign-in time, where start takes two (and the round
// trip between them). done is false, with nothing written, when it does
// not apply or when the pending session cannot be promoted in place
// (start then goes the usual way).
func (s *Service) promoteAtOnce(ctx context.Context, tx bun.Tx, c Client, u *db.User, spec session.Spec, pending int64, res *Result) (done bool, err error) {
	if s.DB.Kind != db.Postgres || spec.Level != db.LevelFull || knownClient(spec) {
		return false, nil
	}
	token, sess, promote, err := s.Sessions.PromoteClause(tx, pending, spec)
	if err != nil {
		return false, err
	}
	ok, err := s.Users.SetLastLoginAfter(ctx, tx, u, s.Audit.Event(u.ID, audit.Login, c.Origin, spec.Device), promote)
	if !ok || err != nil {
		return false, err
	}
	res.Token, res.Session = token, sess
	return true, nil
}

// KnownDevice is how long a browser or client that signed in as a user
// keeps its own password counter (API.md "Limits": 90 days).
const KnownDevice = 90 * 24 * time.Hour

// ClientHash identifies a RustDesk client by its id and uuid.
func ClientHash(id, uuid string) []byte {
	h := sha256.Sum256([]byte(id + "\x00" + uuid))
	return h[:]
}

// PruneKnownClients removes at most limit records of RustDesk clients
// whose last sign-in is older than KnownDevice: they count for nothing.
func (s *Service) PruneKnownClients(ctx context.Context, limit int) (int64, error) {
	old := s.DB.NewSelect().Model((*db.KnownClient)(nil)).Column("user_id", "client_hash").
		Where("last_login_at <= ?", s.Clock.Now().Add(-KnownDevice)).Limit(int64(limit))
	res, err := s.DB.NewDelete().Model((*db.KnownClient)(nil)).Where("(user_id, client_hash) IN (?)", old).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune known clients: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// KnownClient returns the device identity of a RustDesk client (id,
// uuid) that completed a sign-in as userID in the last 90 days, or "".
func (s *Service) KnownClient(ctx context.Context, userID int64, id, uuid string) string {
	if id == "" && uuid == "" {
		return ""
	}
	hash := ClientHash(id, uuid)
	n, err := s.DB.NewSelect().Model((*db.KnownClient)(nil)).Where("user_id = ?", db.Arg(1)).Where("client_hash = ?", db.Arg(2)).
		Where("last_login_at > ?", db.Arg(3)).Conn(db.Prepared(s.DB, userID, hash, s.Clock.Now().Add(-KnownDevice))).Count(ctx)
	if err != nil || n == 0 {
		// Unknown, or not readable now: counted like any other client.
		return ""
	}
	return hex.EncodeToString(hash[:12])
}

// Verify is the second step of a sign-in: code for the pending session.
// A wrong code is counted and recorded (ErrInvalidCode); the code is
// consumed only together with the new session.
func (s *Service) Verify(ctx context.Context, c Client, pending *session.Session, code string) (res *Result, err error) {
	method := cmp.Or(pending.Method, "none")
	defer func() { s.observe(method, res, err) }()
	kind := TFA
	if pending.Method == api.MethodEmail {
		kind = EmailCode
	}
	return s.verify(ctx, c, pending, kind, func(ctx context.Context, tx bun.Tx) (Outcome, error) {
		out, err := s.Check(ctx, tx, pending.User, c.Origin, kind, pending.ID, code)
		if out.Backup {
			method = "backup"
		}
		return out, err
	})
}

// verify completes the pending sign-in when check accepts its second
// factor.
func (s *Service) verify(ctx context.Context, c Client, pending *session.Session, kind CodeKind, check func(ctx context.Context, tx bun.Tx) (Outcome, error)) (*Result, error) {
	u := pending.User
	if pending.Level != db.LevelPending || u == nil {
		return nil, ErrLoginExpired
	}
	c.Replace = ""
	res := &Result{User: u, Status: api.StatusOK}
	var out Outcome
	enrollOnly := false
	err := s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		enrollOnly = false
		var err error
		if out, err = check(ctx, tx); err != nil {
			return err
		}
		if out.Expired || out.Ended {
			return s.Sessions.Delete(ctx, tx, pending.ID)
		}
		if !out.OK {
			return nil // commit the counted failure
		}
		spec := session.Spec{UserID: u.ID, Level: db.LevelFull, Kind: pending.Kind, Device: pending.Device,
			ClientID: pending.ClientID, ClientUUID: pending.ClientUUID, IP: c.IP, UserAgent: c.UserAgent}
		if out.Passkey != nil {
			spec.Method = api.MethodPasskey
		}
		if kind == EmailCode {
			// TOTP is off: the password was given less than a minute
			// ago, and it counts as a step-up (API.md).
			spec.Elevate = true
			if s.Enforced(u) {
				if pending.Kind != "" && pending.Kind != db.KindConsole {
					// Only the console can enrol: another client (the
					// RustDesk client) is told to, and its challenge
					// ends, as at the password step without a code.
					enrollOnly = true
					return s.Sessions.Delete(ctx, tx, pending.ID)
				}
				spec.Level, spec.Elevate, res.Status = db.LevelEnroll, false, api.StatusEnroll
			}
		}
		// The pending session is used once (Promote): of two right codes
		// sent in parallel (a TOTP code and a backup code) only one signs
		// in.
		if err := s.start(ctx, tx, c, u, spec, pending.ID, res); err != nil {
			return err
		}
		if out.Passkey != nil {
			return s.Audit.Record(ctx, tx, u.ID, audit.PasskeyUsed, c.Origin, out.Passkey.Name)
		}
		return nil
	})
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrLoginExpired
	}
	if err != nil {
		return nil, err
	}
	s.Notices(c.Origin, u, out)
	if out.OK && out.Passkey != nil {
		s.notify(c.Origin, u, notify.PasskeyUsed, u.Email, notify.Event{Name: out.Passkey.Name})
	}
	switch {
	case out.Expired:
		return nil, ErrLoginExpired
	case !out.OK && out.ClockSkew:
		return nil, &CodeError{ClockSkew: true}
	case !out.OK:
		return nil, ErrInvalidCode
	case enrollOnly:
		return nil, ErrEnrollmentRequired
	}
	return res, nil
}

// Resend mails a new email code for a pending email sign-in: the previous
// code stops working once it is delivered. A failed delivery starts no
// cooldown and keeps the previous code.
func (s *Service) Resend(ctx context.Context, pending *session.Session) error {
	u := pending.User
	var r *emailcode.Reservation
	takenAt := s.Clock.Now()
	err := s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.DB.LockUser(ctx, tx, u.ID); err != nil {
			return err
		}
		var err error
		if r, err = s.Email.Reserve(ctx, tx, pending.ID, true); err != nil {
			return err
		}
		_, err = s.Limiter.Take(ctx, tx, ratelimit.CodeMailKey(u.ID))
		return err
	})
	var soon *emailcode.TooSoonError
	switch {
	case errors.Is(err, emailcode.ErrEnded), errors.Is(err, emailcode.ErrNoChallenge):
		return ErrLoginExpired
	case errors.As(err, &soon):
		return &ratelimit.LimitedError{RetryAfter: soon.RetryAfter}
	case err != nil:
		return err
	}
	if err := s.Email.Deliver(ctx, r, u.Email, u.Language); err != nil {
		s.undoMail(ctx, u.ID, r, takenAt)
		return &MailError{Err: err}
	}
	return nil
}
