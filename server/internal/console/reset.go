package console

import (
	"errors"
	"net/http"

	"twofold/server/internal/account"
	"twofold/server/internal/httpx"
	"twofold/server/internal/reset"
	"twofold/shared/api"
)

func errInvalidResetToken() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeInvalidCode,
		"This link is wrong, expired or already used. Ask for a new one.")
}

// PasswordReset is POST /api/auth/password-reset: 202 and the same body
// whatever the login names; only an existing, enabled account with an
// email gets a mail (in the background).
func (h *Handlers) PasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req api.PasswordResetRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	send, err := h.Reset.Request(r.Context(), req.Login, origin(r))
	if err != nil {
		return err
	}
	// The answer leaves, in every case, before the mail (if any) starts,
	// so the mail's work does not show in the answer's timing.
	defer send()
	httpx.JSON(w, http.StatusAccepted, api.PasswordResetSent{Status: api.StatusSent})
	if err := http.NewResponseController(w).Flush(); err != nil {
		httpx.LogFrom(r).Warn("reset answer not flushed", "err", err)
	}
	return nil
}

// PasswordResetConfirm is POST /api/auth/password-reset/confirm: the
// mailed token sets a new password and ends every session of the user.
// Nobody is signed in: the next sign-in asks for the second factor as
// before.
func (h *Handlers) PasswordResetConfirm(w http.ResponseWriter, r *http.Request) error {
	var req api.PasswordResetConfirm
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	err := h.Reset.Confirm(r.Context(), req.Token, req.NewPassword, origin(r))
	var pe *account.PolicyError
	switch {
	case errors.Is(err, reset.ErrInvalidToken):
		return errInvalidResetToken()
	case errors.As(err, &pe):
		return httpx.InvalidField("new_password", pe.Rule)
	case err != nil:
		return err
	}
	httpx.NoContent(w)
	return nil
}
