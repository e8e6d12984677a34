package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/signin"
	"twofold/shared/api"
)

func errInvalidCode() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeInvalidCode, "The code is wrong, expired or already used.")
}

// codeRefused is the answer to a wrong second-factor code: invalid_code,
// with the clock hint when the code was right 2 to 10 minutes ago.
func codeRefused(clockSkew bool) *api.Error {
	e := errInvalidCode()
	if clockSkew {
		e.Hint = api.HintClockSkew
	}
	return e
}

func errWrongPassword() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeInvalidCredentials, "The password is wrong.")
}

func errStepUpRequired(totp bool) *api.Error {
	msg := "Confirm with your current password to change this."
	if totp {
		msg = "Confirm with a 2FA code to change this."
	}
	return httpx.Fail(http.StatusForbidden, api.CodeStepUpRequired, msg)
}

// guard is a change behind API.md's step-up rule.
type guard struct {
	a *Auth
	// st is the account's 2FA state.
	st api.TFA
	// creds are the optional credentials of the request's body.
	creds api.StepUp
	// checked is the attempt of a current password the handler already
	// checked (a password change); it counts as a password step-up.
	checked *ratelimit.Attempt
	// enroll lets an enrolment session through (TOTP setup and enable).
	enroll bool
	// lock, when set, runs first in the transaction, before the user's
	// own row lock: locks that must be taken in another order (an
	// administrator's change locks several users in id order, admin.Lock).
	lock func(ctx context.Context, tx bun.Tx) error
}

// checkPassword checks a password of the signed-in user under the
// password limits; a wrong one is recorded as a failed step-up and answered
// invalid_credentials.
func (h *Handlers) checkPassword(r *http.Request, a *Auth, password string) (*ratelimit.Attempt, error) {
	ctx := r.Context()
	attempt, err := h.SignIn.CheckPassword(ctx, h.client(r), a.User.Username, a.User, password)
	if errors.Is(err, signin.ErrInvalidCredentials) {
		if err := h.Audit.Record(ctx, h.DB, a.User.ID, audit.StepUpFailed, origin(r), "password"); err != nil {
			return nil, err
		}
		return nil, errWrongPassword()
	}
	return attempt, err
}

// guarded runs change in one transaction behind the step-up rule of
// API.md: while TOTP is on, a code in the body (consumed in the same
// transaction as the change, so a failure consumes nothing) or an elevated
// session; while it is off, the password or an elevated session (a
// sign-in less than 5 minutes old). A credential that is sent is always
// checked; a wrong code is counted and recorded even though nothing
// changes. A successful inline credential elevates the session.
func (h *Handlers) guarded(r *http.Request, g guard, change func(ctx context.Context, tx bun.Tx) error) error {
	ctx := r.Context()
	on := totpOn(g.st)
	var attempts []*ratelimit.Attempt
	if g.checked != nil {
		attempts = append(attempts, g.checked)
	}
	if g.creds.Password != "" && g.checked == nil {
		attempt, err := h.checkPassword(r, g.a, g.creds.Password)
		if err != nil {
			return err
		}
		attempts = append(attempts, attempt)
	}
	passwordOK := len(attempts) > 0
	var codeErr error
	var out signin.Outcome
	err := h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if g.lock != nil {
			if err := g.lock(ctx, tx); err != nil {
				return err
			}
		}
		if err := h.DB.LockUser(ctx, tx, g.a.User.ID); err != nil {
			return err
		}
		for _, at := range attempts {
			if err := at.Succeeded(ctx, tx); err != nil {
				return err
			}
		}
		elevate := false
		switch {
		case (g.creds.Code != "" || g.creds.Passkey != nil) && !on:
			codeErr = errInvalidCode()
			return nil
		case g.creds.Passkey != nil:
			// A key assertion counts as a code (issue 15), under the
			// same limits; its challenge is this session's.
			var err error
			if out, err = h.SignIn.CheckPasskey(ctx, tx, g.a.User, origin(r), g.a.Session.ID, g.creds.Passkey); err != nil {
				return err
			}
			if !out.OK {
				codeErr = errInvalidCode()
				return nil
			}
			elevate = true
		case g.creds.Code != "":
			var err error
			if out, err = h.SignIn.Check(ctx, tx, g.a.User, origin(r), signin.TFA, 0, g.creds.Code); err != nil {
				return err
			}
			if !out.OK {
				codeErr = codeRefused(out.ClockSkew)
				return nil // commit the counted failure, change nothing
			}
			elevate = true
		case passwordOK && !on:
			elevate = true
		case h.Sessions.Elevated(g.a.Session):
		case g.enroll && g.a.Session.Level == db.LevelEnroll:
		default:
			return errStepUpRequired(on)
		}
		if elevate {
			if err := h.Sessions.Elevate(ctx, tx, g.a.Session); err != nil {
				return err
			}
			if err := h.Audit.Record(ctx, tx, g.a.User.ID, audit.StepUp, origin(r), ""); err != nil {
				return err
			}
		}
		if change == nil {
			return nil
		}
		return change(ctx, tx)
	})
	if err != nil {
		// The password was right: whatever stopped the change, it does
		// not count as a failed attempt.
		for _, at := range attempts {
			h.SignIn.CancelAttempt(ctx, at)
		}
		return err
	}
	h.SignIn.Notices(origin(r), g.a.User, out)
	return codeErr
}
