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
	"twofold/server/internal/signin"
	"twofold/shared/api"
)

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

// TOTPSetup is POST /api/account/tfa/setup (step-up, also for the first
// enrolment: a stolen session must not put its own authenticator on the
// account): a new pending secret.
func (h *Handlers) TOTPSetup(w http.ResponseWriter, r *http.Request) error {
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	raw, err := totp.NewSecret()
	if err != nil {
		return err
	}
	err = h.guarded(r, guard{a: a, st: st, creds: req, enroll: true}, func(ctx context.Context, tx bun.Tx) error {
		return h.TOTP.Begin(ctx, tx, a.User.ID, raw)
	})
	if err != nil {
		return err
	}
	setup, err := h.TOTP.SetupOf(a.User.Username, raw)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, api.TOTPSetup{Secret: setup.Secret, OTPAuthURL: setup.OTPAuthURL, QRPNG: setup.QRPNG})
	return nil
}

// TOTPEnable is POST /api/account/tfa/enable: a code of the pending secret
// makes it the secret. Old secret and backup codes die, six new codes are
// returned once, the user's other sessions end and any elevation ends. An
// enrolment session becomes a full session (with a new token). The code is
// checked under the second-factor limits, in the transaction that enables.
func (h *Handlers) TOTPEnable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.CodeRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	var codes []string
	var conf *totp.Confirmed
	var out signin.Outcome
	var newToken string
	var newSession *session.Session
	err := h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if out, conf, err = h.SignIn.Confirm(ctx, tx, a.User, origin(r), req.Code); err != nil || !out.OK {
			return err // a wrong code is committed as a counted failure
		}
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
			newToken, newSession, err = h.Sessions.Create(ctx, tx, session.Spec{
				UserID: a.User.ID, Level: db.LevelFull, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(),
			})
			if err != nil {
				return err
			}
			if err := h.Audit.Record(ctx, tx, a.User.ID, audit.Login, origin(r), ""); err != nil {
				return err
			}
			if err := h.Users.SetLastLogin(ctx, tx, a.User, nil); err != nil {
				return err
			}
		} else if err := h.Sessions.EndElevation(ctx, tx, a.Session); err != nil {
			return err
		}
		ev := audit.TFAEnabled
		if conf.Renewed {
			ev = audit.TFARenewed
		}
		return h.Audit.Record(ctx, tx, a.User.ID, ev, origin(r), "")
	})
	if errors.Is(err, totp.ErrNoPending) {
		return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest,
			"No 2FA setup is waiting for a code (it lasts 15 minutes): start the setup again.")
	}
	if err != nil {
		return err
	}
	h.SignIn.Notices(origin(r), a.User, out)
	if !out.OK {
		return codeRefused(out.ClockSkew)
	}
	kind := notify.TFAEnabled
	if conf.Renewed {
		kind = notify.TFARenewed
	}
	h.notify(r, a.User, kind, a.User.Email, notify.Event{})
	if newSession != nil {
		newSession.User = a.User
		a = &Auth{Session: newSession, User: a.User}
		h.Sessions.SetCookie(w, newToken, newSession)
		h.rememberDevice(w, r, a.User.ID)
	}
	acc, err := h.account(ctx, a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, api.TOTPEnabled{BackupCodes: codes, Account: *acc})
	return nil
}

// TOTPDisable is POST /api/account/tfa/disable (step-up): secret, backup
// codes, replay record and security keys go; the user's other sessions end. Refused while
// 2FA is enforced for the user.
func (h *Handlers) TOTPDisable(w http.ResponseWriter, r *http.Request) error {
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if st.Enforced {
		return httpx.Fail(http.StatusForbidden, api.CodeForbidden,
			"Two-factor authentication is required for this account by an administrator.")
	}
	err = h.guarded(r, guard{a: a, st: st, creds: req}, func(ctx context.Context, tx bun.Tx) error {
		if err := h.TOTP.Disable(ctx, tx, a.User.ID); err != nil {
			return err
		}
		if err := h.Backup.Delete(ctx, tx, a.User.ID); err != nil {
			return err
		}
		// Security keys are second factors too: turning 2FA off removes
		// them (issue 15).
		if _, err := h.Passkeys.DeleteAll(ctx, tx, a.User.ID); err != nil {
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
	acc, err := h.account(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, acc)
	return nil
}

// BackupCodes is POST /api/account/tfa/backup-codes (step-up): six new
// codes replace the old ones. Parallel requests run one after the other
// (the user's row lock), so exactly one set of six stays valid.
func (h *Handlers) BackupCodes(w http.ResponseWriter, r *http.Request) error {
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if !totpOn(st) {
		return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest, "Backup codes come with 2FA: enable 2FA first.")
	}
	var codes []string
	err = h.guarded(r, guard{a: a, st: st, creds: req}, func(ctx context.Context, tx bun.Tx) error {
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
