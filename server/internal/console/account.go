package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/httpx"
	"twofold/server/internal/notify"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// GetAccount is GET /api/account: everything it tells was read with the
// session (load), so it runs one statement, two when the session's
// last-seen time is refreshed.
func (h *Handlers) GetAccount(w http.ResponseWriter, r *http.Request) error {
	a := AuthFrom(r.Context())
	s := a.Session
	httpx.JSON(w, http.StatusOK, h.accountWith(a, h.tfaOf(a.User, s.TOTPEnabledAt, s.TOTPSecretSet, s.BackupCodesUnused, s.Passkeys)))
	return nil
}

// PutAccount is PUT /api/account (step-up): email and email verification,
// replaced together.
func (h *Handlers) PutAccount(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.AccountUpdate
	if err := httpx.Decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Email != nil {
		trimmed := strings.TrimSpace(*req.Email)
		req.Email = &trimmed
	}
	if p := validate.Struct(&req); !p.Empty() {
		return httpx.Invalid(p)
	}
	email := *req.Email
	if *req.EmailVerification && email == "" {
		return httpx.InvalidField("email", "required")
	}
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	oldEmail := a.User.Email
	emailChanged := oldEmail != email
	flagChanged := a.User.EmailVerification != *req.EmailVerification
	err = h.guarded(r, guard{a: a, st: st, creds: req.StepUp}, func(ctx context.Context, tx bun.Tx) error {
		if err := h.Users.SetEmail(ctx, tx, a.User, email, *req.EmailVerification); err != nil {
			return err
		}
		if emailChanged {
			if err := h.Audit.Record(ctx, tx, a.User.ID, audit.EmailChanged, origin(r), ""); err != nil {
				return err
			}
		}
		if flagChanged {
			detail := "email_verification_off"
			if *req.EmailVerification {
				detail = "email_verification_on"
			}
			return h.Audit.Record(ctx, tx, a.User.ID, audit.SettingsChanged, origin(r), detail)
		}
		return nil
	})
	if errors.Is(err, account.ErrEmailTaken) {
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This email is already used by another account.")
	}
	if err != nil {
		return err
	}
	if emailChanged && oldEmail != "" {
		// To the old address: if the change was not the user's, the
		// rightful owner still hears of it.
		h.notify(r, a.User, notify.EmailChanged, oldEmail, notify.Event{})
	}
	acc, err := h.account(ctx, a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, acc)
	return nil
}

// ChangePassword is POST /api/account/password (step-up); the user's other
// sessions end. The current password counts as the step-up while TOTP is
// off; a "password" field that is sent too is checked as well.
func (h *Handlers) ChangePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.PasswordChange
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	if rule := account.CheckNewPassword(a.User.Username, req.NewPassword); rule != "" {
		return httpx.InvalidField("new_password", rule)
	}
	attempt, err := h.checkPassword(r, a, req.CurrentPassword)
	if err != nil {
		return err
	}
	creds := req.StepUp
	if creds.Password != "" && creds.Password != req.CurrentPassword {
		// A credential that is sent is always checked.
		if _, err := h.checkPassword(r, a, creds.Password); err != nil {
			h.SignIn.CancelAttempt(ctx, attempt)
			return err
		}
	}
	creds.Password = ""
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		h.SignIn.CancelAttempt(ctx, attempt)
		return err
	}
	// Hash outside the transaction: it is slow on purpose.
	hash, err := h.Users.HashPassword(ctx, a.User.Username, req.NewPassword)
	if err != nil {
		h.SignIn.CancelAttempt(ctx, attempt)
		var pe *account.PolicyError
		if errors.As(err, &pe) {
			return httpx.InvalidField("new_password", pe.Rule)
		}
		return err
	}
	err = h.guarded(r, guard{a: a, st: st, creds: creds, checked: attempt}, func(ctx context.Context, tx bun.Tx) error {
		if err := h.Users.StorePassword(ctx, tx, a.User, hash); err != nil {
			return err
		}
		if err := h.Sessions.DeleteOthers(ctx, tx, a.User.ID, a.Session.ID); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.PasswordChanged, origin(r), "")
	})
	if err != nil {
		return err
	}
	h.notify(r, a.User, notify.PasswordChanged, a.User.Email, notify.Event{})
	httpx.NoContent(w)
	return nil
}

// VerifyAccount is POST /api/account/verify: a step-up that lasts 5
// minutes, with a code while TOTP is on, with the password while it is off.
func (h *Handlers) VerifyAccount(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.StepUp
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	switch {
	case totpOn(st) && req.Code == "" && req.Passkey == nil:
		return httpx.InvalidField("code", "required")
	case !totpOn(st) && req.Password == "":
		return httpx.InvalidField("password", "required")
	}
	if err := h.guarded(r, guard{a: a, st: st, creds: req}, nil); err != nil {
		return err
	}
	if !h.Sessions.Elevated(a.Session) {
		// Only reached if the elevation expired between the check and now.
		return errStepUpRequired(totpOn(st))
	}
	httpx.JSON(w, http.StatusOK, api.Elevation{ElevatedUntil: a.Session.ElevatedUntil.UTC()})
	return nil
}

// Events is GET /api/account/events: the newest 100 events.
func (h *Handlers) Events(w http.ResponseWriter, r *http.Request) error {
	a := AuthFrom(r.Context())
	events, err := h.Audit.List(r.Context(), a.User.ID, 100)
	if err != nil {
		return err
	}
	out := api.Events{Events: make([]api.Event, 0, len(events))}
	for _, e := range events {
		out.Events = append(out.Events, api.Event{Time: utc(e.Time), Type: e.Type, IP: e.IP, UserAgent: e.UserAgent})
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}
