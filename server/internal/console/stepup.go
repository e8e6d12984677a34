package console

import (
	"context"
	"net/http"
	"strconv"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/shared/api"
	"twofold/shared/validate"
)

func errInvalidCode() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeInvalidCode, "The code is wrong, expired or already used.")
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

// codeKeys are the second-factor counters of API.md "Limits": per account
// (10 consecutive failures, then backoff) and per client IP (100 per 10
// minutes).
func codeKeys(userID int64, ip string) []ratelimit.Key {
	return []ratelimit.Key{
		{Name: "2fa:u:" + itoa(userID), Policy: ratelimit.Backoff},
		{Name: "2fa:ip:" + ip, Policy: ratelimit.PerIP},
	}
}

// checkTFACode checks a TOTP or backup code of u under the second-factor
// limits and consumes it. A failure is recorded as an event; so is the use
// of a backup code, with the number left.
func (h *Handlers) checkTFACode(ctx context.Context, r *http.Request, u *db.User, code string) (bool, error) {
	attempt, err := h.Limiter.Begin(ctx, codeKeys(u.ID, httpx.ClientIP(r))...)
	if err != nil {
		return false, err
	}
	ok, backup := false, false
	if c := validate.NormalizeCode(code); validate.IsDigits(c, totp.Digits) {
		ok, err = h.TOTP.Check(ctx, u.ID, c)
	} else {
		backup = true
		ok, err = h.Backup.Use(ctx, u.ID, code)
	}
	if err != nil {
		return false, err
	}
	if !ok {
		return false, h.codeFailed(ctx, r, u, attempt, "")
	}
	if backup {
		left, err := h.Backup.Remaining(ctx, h.DB, u.ID)
		if err != nil {
			return false, err
		}
		if err := h.Audit.Record(ctx, h.DB, u.ID, audit.BackupCodeUsed, origin(r), strconv.Itoa(left)+" left"); err != nil {
			return false, err
		}
		h.notify(r, u, notify.BackupCodeUsed, u.Email, notify.Event{Left: left})
	}
	return true, attempt.Succeeded(ctx)
}

// notifyAfterFailures is the streak of wrong codes, after a correct
// password, that mails the account a warning (once per streak).
const notifyAfterFailures = 5

// codeFailed records a wrong second-factor code and warns the user by mail
// when the streak of failures reaches notifyAfterFailures.
func (h *Handlers) codeFailed(ctx context.Context, r *http.Request, u *db.User, attempt *ratelimit.Attempt, detail string) error {
	if err := h.Audit.Record(ctx, h.DB, u.ID, audit.CodeFailed, origin(r), detail); err != nil {
		return err
	}
	if n := attempt.Failures(codeKeys(u.ID, "")[0].Name); n == notifyAfterFailures {
		h.notify(r, u, notify.FailedCodes, u.Email, notify.Event{Failures: n})
	}
	return nil
}

// stepUp enforces API.md's step-up rule on a request that changes a
// setting of an account whose 2FA state is st. creds are the optional credentials of the body; passwordOK
// says the current password was already checked by the caller (a password
// change). A credential that is sent is always checked.
func (h *Handlers) stepUp(ctx context.Context, r *http.Request, a *Auth, st api.TFA, creds api.StepUp, passwordOK bool) error {
	totp := totpOn(st)
	if creds.Password != "" && !passwordOK {
		ok, err := h.checkPassword(ctx, r, a.User.Username, a.User, creds.Password)
		if err != nil {
			return err
		}
		if !ok {
			h.Audit.Record(ctx, h.DB, a.User.ID, audit.StepUpFailed, origin(r), "password")
			return errWrongPassword()
		}
		passwordOK = true
	}
	if creds.Code != "" {
		if !totp {
			return errInvalidCode()
		}
		ok, err := h.checkTFACode(ctx, r, a.User, creds.Code)
		if err != nil {
			return err
		}
		if !ok {
			return errInvalidCode()
		}
		return h.elevate(ctx, r, a)
	}
	if !totp && passwordOK {
		return h.elevate(ctx, r, a)
	}
	if h.Sessions.Elevated(a.Session) {
		return nil
	}
	return errStepUpRequired(totp)
}

func (h *Handlers) elevate(ctx context.Context, r *http.Request, a *Auth) error {
	if err := h.Sessions.Elevate(ctx, h.DB, a.Session); err != nil {
		return err
	}
	return h.Audit.Record(ctx, h.DB, a.User.ID, audit.StepUp, origin(r), "")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// tfaAction starts a 2FA action (setup, disable, backup codes): it decodes
// the optional step-up body and reads the account's 2FA state.
func (h *Handlers) tfaAction(w http.ResponseWriter, r *http.Request) (*Auth, api.StepUp, api.TFA, error) {
	a := AuthFrom(r.Context())
	var req api.StepUp
	if err := httpx.DecodeValid(w, r, &req, true); err != nil {
		return nil, req, api.TFA{}, err
	}
	st, err := h.tfaStatus(r.Context(), h.DB, a.User)
	return a, req, st, err
}
