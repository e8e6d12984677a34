package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/session"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// errWrongCode rolls back a transaction whose code did not match.
var errWrongCode = errors.New("wrong code")

// TOTPSetup is POST /api/account/tfa/setup: a new pending secret. Renewing
// (TOTP already on) needs a step-up.
func (h *Handlers) TOTPSetup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if totpOn(st) {
		if err := h.stepUp(ctx, r, a, st, req, false); err != nil {
			return err
		}
	}
	setup, err := h.TOTP.Begin(ctx, a.User.ID, a.User.Username)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, api.TOTPSetup{Secret: setup.Secret, OTPAuthURL: setup.OTPAuthURL, QRPNG: setup.QRPNG})
	return nil
}

// TOTPEnable is POST /api/account/tfa/enable: a code of the pending secret
// makes it the secret. Old secret and backup codes die, six new codes are
// returned once, the user's other sessions end and any elevation ends. An
// enrolment session becomes a full session (with a new token).
func (h *Handlers) TOTPEnable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.CodeRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	// Wrong confirming codes count toward the second-factor limit.
	attempt, err := h.Limiter.Begin(ctx, codeKeys(a.User.ID, httpx.ClientIP(r))...)
	if err != nil {
		return err
	}
	var codes []string
	var renewed bool
	var newToken string
	var newSession *session.Session
	err = h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		conf, ok, err := h.TOTP.Enable(ctx, tx, a.User.ID, validate.NormalizeCode(req.Code))
		if err != nil {
			return err
		}
		if !ok {
			return errWrongCode
		}
		renewed = conf.Renewed
		if codes, err = h.Backup.Replace(ctx, tx, a.User.ID); err != nil {
			return err
		}
		if err := h.Sessions.DeleteOthers(ctx, tx, a.User.ID, a.Session.ID); err != nil {
			return err
		}
		if a.Session.Level == db.LevelEnroll {
			if err := h.Sessions.Delete(ctx, tx, a.Session.ID); err != nil {
				return err
			}
			newToken, newSession, err = h.Sessions.Create(ctx, tx, session.New{
				UserID: a.User.ID, Level: db.LevelFull, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(),
			})
			if err != nil {
				return err
			}
		} else if err := h.Sessions.EndElevation(ctx, tx, a.Session); err != nil {
			return err
		}
		ev := audit.TFAEnabled
		if renewed {
			ev = audit.TFARenewed
		}
		return h.Audit.Record(ctx, tx, a.User.ID, ev, origin(r), "")
	})
	switch {
	case errors.Is(err, errWrongCode):
		if err := h.codeFailed(ctx, r, a.User, attempt, "enable"); err != nil {
			return err
		}
		return errInvalidCode()
	case errors.Is(err, totp.ErrNoPending):
		return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest,
			"No 2FA setup is waiting for a code (it lasts 15 minutes): start the setup again.")
	case err != nil:
		return err
	}
	if err := attempt.Succeeded(ctx); err != nil {
		return err
	}
	kind := notify.TFAEnabled
	if renewed {
		kind = notify.TFARenewed
	}
	h.notify(r, a.User, kind, a.User.Email, notify.Event{})
	if newSession != nil {
		a = &Auth{Session: newSession, User: a.User}
		h.Sessions.SetCookie(w, newToken, newSession)
	}
	acc, err := h.account(ctx, a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, api.TOTPEnabled{BackupCodes: codes, Account: *acc})
	return nil
}

// TOTPDisable is POST /api/account/tfa/disable (step-up): secret, backup
// codes and replay record go; the user's other sessions end. Refused while
// 2FA is enforced for the user.
func (h *Handlers) TOTPDisable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if a.User.TFAEnforced {
		return httpx.Fail(http.StatusForbidden, api.CodeForbidden,
			"Two-factor authentication is required for this account by an administrator.")
	}
	if err := h.stepUp(ctx, r, a, st, req, false); err != nil {
		return err
	}
	err = h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := h.TOTP.Disable(ctx, tx, a.User.ID); err != nil {
			return err
		}
		if err := h.Backup.Delete(ctx, tx, a.User.ID); err != nil {
			return err
		}
		if !totpOn(st) {
			return nil
		}
		if err := h.Sessions.DeleteOthers(ctx, tx, a.User.ID, a.Session.ID); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.TFADisabled, origin(r), "")
	})
	if err != nil {
		return err
	}
	if totpOn(st) {
		h.notify(r, a.User, notify.TFADisabled, a.User.Email, notify.Event{})
	}
	acc, err := h.account(ctx, a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, acc)
	return nil
}

// BackupCodes is POST /api/account/tfa/backup-codes (step-up): six new
// codes replace the old ones.
func (h *Handlers) BackupCodes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if !totpOn(st) {
		return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest, "Backup codes come with 2FA: enable 2FA first.")
	}
	if err := h.stepUp(ctx, r, a, st, req, false); err != nil {
		return err
	}
	var codes []string
	err = h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if codes, err = h.Backup.Replace(ctx, tx, a.User.ID); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.BackupCodesRegenerated, origin(r), "")
	})
	if err != nil {
		return err
	}
	h.notify(r, a.User, notify.BackupCodesRegenerated, a.User.Email, notify.Event{})
	httpx.JSON(w, http.StatusOK, api.BackupCodes{BackupCodes: codes})
	return nil
}
