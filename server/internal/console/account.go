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

// GetAccount is GET /api/account.
func (h *Handlers) GetAccount(w http.ResponseWriter, r *http.Request) error {
	acc, err := h.account(r.Context(), AuthFrom(r.Context()))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, acc)
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
	if err := h.stepUp(ctx, r, a, st, req.StepUp, false); err != nil {
		return err
	}
	oldEmail := a.User.Email
	emailChanged := oldEmail != email
	flagChanged := a.User.EmailVerification != *req.EmailVerification
	err = h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
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
// sessions end.
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
	ok, err := h.checkPassword(ctx, r, a.User.Username, a.User, req.CurrentPassword)
	if err != nil {
		return err
	}
	if !ok {
		h.Audit.Record(ctx, h.DB, a.User.ID, audit.StepUpFailed, origin(r), "password")
		return errWrongPassword()
	}
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	if err := h.stepUp(ctx, r, a, st, req.StepUp, true); err != nil {
		return err
	}
	err = h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := h.Users.SetPassword(ctx, tx, a.User, req.NewPassword); err != nil {
			return err
		}
		if err := h.Sessions.DeleteOthers(ctx, tx, a.User.ID, a.Session.ID); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.PasswordChanged, origin(r), "")
	})
	var pe *account.PolicyError
	if errors.As(err, &pe) {
		return httpx.InvalidField("new_password", pe.Rule)
	}
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
	case totpOn(st) && req.Code == "":
		return httpx.InvalidField("code", "required")
	case !totpOn(st) && req.Password == "":
		return httpx.InvalidField("password", "required")
	}
	if err := h.stepUp(ctx, r, a, st, req, false); err != nil {
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
