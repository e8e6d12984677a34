package signin

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/emailcode"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/shared/validate"
)

// CodeKind says which codes a Check accepts.
type CodeKind int

// Kinds of code.
const (
	// TFA is a current TOTP code or an unused backup code of the user's
	// enabled secret (sign-in and step-up).
	TFA CodeKind = iota
	// EmailCode is the emailed code of a pending sign-in.
	EmailCode
)

// Outcome is what a second-factor check found. The transaction it ran in
// must be committed in every case (a failure is counted and recorded in
// it); act on the code only when OK.
type Outcome struct {
	OK bool
	// Backup: a backup code was used; BackupLeft are the unused ones left.
	Backup     bool
	BackupLeft int
	// Failures is the account's streak of wrong codes, this one included.
	Failures int
	// Ended: this wrong email code used the sign-in's last try.
	Ended bool
	// Expired: the email sign-in had no try left (or no challenge).
	Expired bool
	// Passkey is the security key whose assertion was accepted.
	Passkey *db.Passkey
	// ClockSkew: the TOTP code was wrong, but right 2 to 10 minutes ago:
	// the user's device clock is behind (API.md's clock hint). Checks of
	// the second factor only run after the password, so the hint never
	// reaches anyone before it.
	ClockSkew bool
	// Cause says why the code was refused; it goes to the log, never to
	// the client (API.md: one message for every wrong code).
	Cause string
}

// notifyAfterFailures is the streak of wrong codes that mails the account
// a warning (once per streak).
const notifyAfterFailures = 5

// Check checks a second-factor code of u within tx under the limits of
// API.md: the account's counter (read under the user's row lock, so
// parallel guesses are capped exactly) and the client IP's failures. A
// locked account or IP gives a *ratelimit.LimitedError, even for a right
// code. A right code is consumed within tx and resets the account's
// streak; a wrong one is counted on both keys and recorded as an event.
// sessionID is the pending session of an email code.
func (s *Service) Check(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin, kind CodeKind, sessionID int64, code string) (Outcome, error) {
	var out Outcome
	// A TOTP code: the user's lock and the secret in one statement.
	var locked *totp.Locked
	var lock func() error
	if kind == TFA && validate.IsDigits(validate.NormalizeCode(code), totp.Digits) {
		lock = func() (err error) {
			locked, err = s.TOTP.LoadLocked(ctx, tx, u.ID)
			return err
		}
	}
	return out, s.check(ctx, tx, u, o, &out, code, lock, func(c string) (bool, string, error) {
		switch kind {
		case EmailCode:
			ok, err := s.Email.Verify(ctx, tx, sessionID, c)
			if errors.Is(err, emailcode.ErrEnded) || errors.Is(err, emailcode.ErrNoChallenge) {
				out.Expired, out.Cause = true, "no email code left to try"
				return false, "email", nil
			}
			if err == nil && !ok {
				out.Cause = "wrong or replaced email code"
				out.Ended, err = s.Email.Ended(ctx, tx, sessionID)
			}
			return ok, "email", err
		default:
			if validate.IsDigits(c, totp.Digits) {
				res, err := s.TOTP.VerifyLocked(ctx, tx, u.ID, locked, c)
				out.ClockSkew, out.Cause = res.ClockBehind, res.Cause
				return res.OK, "", err
			}
			out.Backup = true
			ok, err := s.Backup.Verify(ctx, tx, u.ID, c)
			if !ok {
				out.Cause = "no unused backup code matches"
			}
			return ok, "", err
		}
	})
}

// Confirm checks the code that confirms u's pending TOTP secret within tx,
// under the same limits as Check (wrong confirming codes count too), and
// enables the secret when it matches. It returns totp.ErrNoPending when no
// setup waits.
func (s *Service) Confirm(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin, code string) (Outcome, *totp.Confirmed, error) {
	var out Outcome
	var conf *totp.Confirmed
	err := s.check(ctx, tx, u, o, &out, code, nil, func(c string) (bool, string, error) {
		var res totp.Result
		var err error
		conf, res, err = s.TOTP.Enable(ctx, tx, u.ID, c)
		out.ClockSkew, out.Cause = res.ClockBehind, cmp.Or(res.Cause, "wrong code for the new secret")
		return res.OK, "enable", err
	})
	return out, conf, err
}

// check runs verify (which gets the normalised code) under the limits and
// settles them within tx; lock is checkWith's.
func (s *Service) check(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin, out *Outcome, code string, lock func() error, verify func(code string) (bool, string, error)) error {
	return s.checkWith(ctx, tx, u, o, out, lock, func() (bool, string, error) { return verify(validate.NormalizeCode(code)) })
}

// checkWith runs verify under the second-factor limits and settles them
// within tx. lock takes the user's row lock (nil: db.LockUser), before
// the counters are read.
func (s *Service) checkWith(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin, out *Outcome, lock func() error, verify func() (bool, string, error)) (err error) {
	method := "unknown" // refused before the code was looked at
	if s.Metrics != nil {
		defer func() {
			var le *ratelimit.LimitedError
			result := "error"
			switch {
			case errors.As(err, &le):
				result = "rate_limited"
			case err != nil:
			case out.Expired:
				result = "expired"
			case out.OK:
				result = "ok"
			default:
				result = "invalid"
			}
			s.Metrics.CodeCheck(method, result)
		}()
	}
	if lock == nil {
		lock = func() error { return s.DB.LockUser(ctx, tx, u.ID) }
	}
	if err := lock(); err != nil {
		return err
	}
	account, ip := ratelimit.AccountCodeKey(u.ID), ratelimit.IPCodeKey(o.IP)
	counts, err := s.Limiter.CheckCounts(ctx, tx, account, ip)
	if err != nil {
		return err
	}
	ok, detail, err := verify()
	switch {
	case detail == "email":
		method = "email"
	case detail == "enable":
		method = "totp_enable"
	case detail == "passkey" || out.Passkey != nil:
		method = "passkey"
	case out.Backup:
		method = "backup"
	default:
		method = "totp"
	}
	if err != nil || out.Expired {
		return err
	}
	if !ok {
		counts, err := s.Limiter.Fail(ctx, tx, account, ip)
		if err != nil {
			return err
		}
		out.Failures = counts[account.Name]
		// The cause is logged, not told (API.md); never the code.
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "second-factor code refused", slog.Int64("user_id", u.ID),
			slog.String("method", method), slog.String("cause", cmp.Or(out.Cause, "refused")),
			slog.Int("failures", out.Failures), slog.String("ip", o.IP))
		return s.Audit.Record(ctx, tx, u.ID, audit.CodeFailed, o, detail)
	}
	out.OK = true
	// The streak was read under the user's lock: when there is none, the
	// reset would change nothing.
	if counts[account.Name] > 0 {
		if err := s.Limiter.Clear(ctx, tx, account); err != nil {
			return err
		}
	}
	if !out.Backup {
		return nil
	}
	if out.BackupLeft, err = s.Backup.Remaining(ctx, tx, u.ID); err != nil {
		return err
	}
	return s.Audit.Record(ctx, tx, u.ID, audit.BackupCodeUsed, o, strconv.Itoa(out.BackupLeft)+" left")
}

// Notices mails what a committed check calls for: the use of a backup code
// (with the number left), or a streak of wrong codes.
func (s *Service) Notices(o audit.Origin, u *db.User, out Outcome) {
	switch {
	case out.OK && out.Backup:
		s.notify(o, u, notify.BackupCodeUsed, u.Email, notify.Event{Left: out.BackupLeft})
	case !out.OK && out.Failures == notifyAfterFailures:
		s.notify(o, u, notify.FailedCodes, u.Email, notify.Event{Failures: out.Failures})
	}
}

// notify mails a security notice about u, from o.
func (s *Service) notify(o audit.Origin, u *db.User, kind notify.Kind, to string, e notify.Event) {
	if s.Notify == nil {
		return
	}
	e.Kind, e.To, e.Username, e.Time, e.IP, e.UserAgent, e.Lang = kind, to, u.Username, s.Clock.Now(), o.IP, o.UserAgent, u.Language
	s.Notify.Notify(e)
}
