package console

import (
	"context"
	"errors"
	"math"
	"net/http"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/session"
	"twofold/server/internal/signin"
	"twofold/shared/api"
)

func errInvalidCredentials() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeInvalidCredentials, "Wrong username or password.")
}

func errLoginExpired() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeLoginExpired, "This sign-in has expired. Sign in again.")
}

func errDisabled() *api.Error {
	return httpx.Fail(http.StatusForbidden, api.CodeForbidden, "This account is disabled. Ask an administrator.")
}

// signInError turns an error of the sign-in service into the console's
// answer.
func signInError(err error) error {
	switch {
	case errors.Is(err, signin.ErrInvalidCredentials):
		return errInvalidCredentials()
	case errors.Is(err, signin.ErrDisabled):
		return errDisabled()
	case errors.Is(err, signin.ErrInvalidCode):
		var ce *signin.CodeError
		return codeRefused(errors.As(err, &ce) && ce.ClockSkew)
	case errors.Is(err, signin.ErrLoginExpired):
		return errLoginExpired()
	}
	return err
}

// Login is POST /api/auth/login.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) error {
	var req api.LoginRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	res, err := h.SignIn.Password(r.Context(), h.client(r), req.Username, req.Password)
	var mailErr *signin.MailError
	if errors.As(err, &mailErr) {
		// The pending session stays, so the verification page can offer a
		// resend once the mail server is back.
		h.Sessions.SetCookie(w, mailErr.Result.Token, mailErr.Result.Session)
		return h.mailFailed(r, mailErr, mailErr.Result.User.Email)
	}
	if err != nil {
		return signInError(err)
	}
	h.Sessions.SetCookie(w, res.Token, res.Session)
	resp := api.LoginResponse{Status: res.Status, Method: res.Method, Methods: res.Methods}
	switch res.Status {
	case api.StatusOK:
		h.rememberDevice(w, r, res.User.ID)
		user := userOf(res.User)
		resp.User = &user
	case api.StatusVerify:
		if res.Method == api.MethodEmail {
			resp.EmailHint = account.MaskEmail(res.User.Email)
			resp.ResendAfter = int(res.ResendAfter.Seconds())
		}
	}
	httpx.JSON(w, http.StatusOK, resp)
	return nil
}

// Pending is GET /api/auth/pending: what the pending sign-in waits for,
// so the verification page can show it again after a reload.
func (h *Handlers) Pending(w http.ResponseWriter, r *http.Request) error {
	a, err := h.pending(r)
	if err != nil {
		return err
	}
	p := api.Pending{Method: a.Session.Method, ExpiresAt: a.Session.ExpiresAt.UTC()}
	if p.Method == api.MethodEmail {
		p.Methods = []string{api.MethodEmail}
	} else {
		st, err := h.tfaStatus(r.Context(), h.DB, a.User)
		if err != nil {
			return err
		}
		p.Methods = h.SignIn.Methods(st.TOTP, st.Passkeys)
	}
	if p.Method == api.MethodEmail {
		p.EmailHint = account.MaskEmail(a.User.Email)
		wait, err := h.Email.ResendAfter(r.Context(), h.DB, a.Session.ID)
		if err != nil {
			return err
		}
		p.ResendAfter = int(math.Ceil(wait.Seconds()))
	}
	httpx.JSON(w, http.StatusOK, p)
	return nil
}

// mailFailed is the answer to a failed code delivery: 503 unavailable with
// the email hint; the cause goes to the log only.
func (h *Handlers) mailFailed(r *http.Request, err error, email string) *api.Error {
	httpx.LogFrom(r).Warn("email code not sent", "err", err)
	ae := httpx.Fail(http.StatusServiceUnavailable, api.CodeUnavailable,
		"The email with your code could not be sent. Try again in a moment.")
	ae.EmailHint = account.MaskEmail(email)
	return ae
}

// pending loads the request's pending sign-in; no session, a timed-out
// one or one that is not pending is login_expired (API.md), except an
// enrolment session: it may call only what API.md lists for it, and hears
// enrollment_required anywhere else.
func (h *Handlers) pending(r *http.Request) (*Auth, error) {
	a, err := h.load(r, false)
	switch {
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrExpired):
		return nil, errLoginExpired()
	case err != nil:
		return nil, err
	case a.Session.Level == db.LevelEnroll:
		return nil, errEnrollmentRequired()
	case a.Session.Level != db.LevelPending:
		return nil, errLoginExpired()
	}
	return a, nil
}

// Verify is POST /api/auth/verify: the second step of a sign-in.
func (h *Handlers) Verify(w http.ResponseWriter, r *http.Request) error {
	var req api.CodeRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	a, err := h.pending(r)
	if err != nil {
		return err
	}
	res, err := h.SignIn.Verify(r.Context(), h.client(r), a.Session, req.Code)
	if errors.Is(err, signin.ErrLoginExpired) {
		h.Sessions.ClearCookie(w)
	}
	if err != nil {
		return signInError(err)
	}
	h.Sessions.SetCookie(w, res.Token, res.Session)
	if res.Status == api.StatusEnroll {
		httpx.JSON(w, http.StatusOK, api.LoginResponse{Status: api.StatusEnroll})
		return nil
	}
	h.rememberDevice(w, r, res.User.ID)
	user := userOf(res.User)
	httpx.JSON(w, http.StatusOK, api.LoginResponse{Status: api.StatusOK, User: &user})
	return nil
}

// Logout is POST /api/auth/logout: the session is deleted on the server,
// and the browser is told to drop what it cached (Clear-Site-Data).
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) error {
	var body struct{}
	if err := httpx.Decode(w, r, &body, true); err != nil {
		return err
	}
	if err := h.endSession(r, h.Sessions.Token(r)); err != nil {
		return err
	}
	h.signedOut(w)
	httpx.NoContent(w)
	return nil
}

// endSession deletes the session of token, recording a logout for a full
// one.
func (h *Handlers) endSession(r *http.Request, token string) error {
	ctx := r.Context()
	return h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, err := h.Sessions.DeleteToken(ctx, tx, token)
		if err != nil || s == nil || s.Level != db.LevelFull {
			return err
		}
		return h.Audit.Record(ctx, tx, s.UserID, audit.Logout, origin(r), "")
	})
}

// signedOut drops the session cookie and asks the browser to clear its
// HTTP cache of this site. Storage is not cleared by header (it would
// uninstall the offline console); the console clears its own cached
// account data on logout.
func (h *Handlers) signedOut(w http.ResponseWriter) {
	h.Sessions.ClearCookie(w)
	w.Header().Set("Clear-Site-Data", `"cache"`)
}

// Resend is POST /api/auth/resend: a new email code for the pending sign-in.
func (h *Handlers) Resend(w http.ResponseWriter, r *http.Request) error {
	var body struct{}
	if err := httpx.Decode(w, r, &body, true); err != nil {
		return err
	}
	a, err := h.pending(r)
	if err != nil {
		return err
	}
	if a.Session.Method != api.MethodEmail {
		return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest,
			"This sign-in is confirmed with an authenticator app code; there is nothing to resend.")
	}
	err = h.SignIn.Resend(r.Context(), a.Session)
	var mailErr *signin.MailError
	if errors.As(err, &mailErr) {
		return h.mailFailed(r, mailErr, a.User.Email)
	}
	if err != nil {
		return signInError(err)
	}
	httpx.NoContent(w)
	return nil
}
