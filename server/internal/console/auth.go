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
	"twofold/server/internal/mfa/emailcode"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/shared/api"
	"twofold/shared/validate"
)

func errInvalidCredentials() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeInvalidCredentials, "Wrong username or password.")
}

func errLoginExpired() *api.Error {
	return httpx.Fail(http.StatusUnauthorized, api.CodeLoginExpired, "This sign-in has expired. Sign in again.")
}

// passwordKeys are the password counters of API.md "Limits": per
// (username, client IP) and per username. They are keyed by the
// normalised username whether or not the user exists, so a 429 never tells
// whether it does.
func passwordKeys(username, ip string) []ratelimit.Key {
	name := account.NormalizeUsername(username)
	return []ratelimit.Key{
		{Name: "pw:ui:" + name + "|" + ip, Policy: ratelimit.Backoff},
		{Name: "pw:u:" + name, Policy: ratelimit.PerUsername},
	}
}

// checkPassword checks a password under the password limits. u may be nil
// (unknown user): the same work is done and the answer is false.
func (h *Handlers) checkPassword(ctx context.Context, r *http.Request, username string, u *db.User, password string) (bool, error) {
	attempt, err := h.Limiter.Begin(ctx, passwordKeys(username, httpx.ClientIP(r))...)
	if err != nil {
		return false, err
	}
	ok, err := h.Users.CheckPassword(ctx, u, password)
	if err != nil || !ok {
		return false, err
	}
	return true, attempt.Succeeded(ctx)
}

// Login is POST /api/auth/login.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req api.LoginRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	u, err := h.Users.ByUsername(ctx, h.DB, req.Username)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	ok, err := h.checkPassword(ctx, r, req.Username, u, req.Password)
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidCredentials()
	}
	if err := h.rememberLanguage(r, u); err != nil {
		return err
	}
	st, err := h.tfaStatus(ctx, h.DB, u)
	if err != nil {
		return err
	}
	n := session.New{UserID: u.ID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}
	resp := api.LoginResponse{}
	var after func(ctx context.Context, tx bun.Tx, s *session.Session) error
	switch {
	case totpOn(st):
		// TOTP supersedes email verification: no code is mailed.
		n.Level, n.Method = db.LevelPending, api.MethodTOTP
		resp.Status, resp.Method = api.StatusVerify, api.MethodTOTP
	case u.EmailVerification && u.Email != "":
		n.Level, n.Method = db.LevelPending, api.MethodEmail
		resp.Status, resp.Method, resp.EmailHint = api.StatusVerify, api.MethodEmail, MaskEmail(u.Email)
		after = func(ctx context.Context, tx bun.Tx, s *session.Session) error {
			return h.Email.Start(ctx, tx, s.ID, u.ID)
		}
	case u.TFAEnforced:
		n.Level = db.LevelEnroll
		resp.Status = api.StatusEnroll
	default:
		// A sign-in with the password counts as a step-up while TOTP is
		// off (API.md).
		n.Level, n.Elevate = db.LevelFull, true
		resp.Status = api.StatusOK
		user := userOf(u)
		resp.User = &user
	}
	token, s, err := h.startSession(ctx, r, n, audit.Login, after)
	if err != nil {
		return err
	}
	h.Sessions.SetCookie(w, token, s)
	if n.Method == api.MethodEmail {
		if err := h.Email.Send(ctx, s.ID, u.Email, u.Language, false); err != nil {
			// The pending session stays, so the verification page can
			// offer a resend once the mail server is back.
			return h.mailFailed(r, err, u.Email)
		}
		resp.ResendAfter = int(emailcode.Cooldown.Seconds())
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
		p.EmailHint = MaskEmail(a.User.Email)
		wait, err := h.Email.ResendAfter(r.Context(), a.Session.ID)
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
	ae.EmailHint = MaskEmail(email)
	return ae
}

// startSession replaces the request's session, if any, with a new one (a
// new token at every step), and records ev for full sessions.
func (h *Handlers) startSession(ctx context.Context, r *http.Request, n session.New, ev string,
	after func(ctx context.Context, tx bun.Tx, s *session.Session) error) (string, *session.Session, error) {
	var token string
	var s *session.Session
	err := h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if old := h.Sessions.Token(r); old != "" {
			if _, err := tx.NewDelete().Model((*session.Session)(nil)).
				Where("token_hash = ?", session.HashToken(old)).Exec(ctx); err != nil {
				return err
			}
		}
		var err error
		token, s, err = h.Sessions.Create(ctx, tx, n)
		if err != nil {
			return err
		}
		if after != nil {
			if err := after(ctx, tx, s); err != nil {
				return err
			}
		}
		if n.Level == db.LevelFull && ev != "" {
			return h.Audit.Record(ctx, tx, n.UserID, ev, origin(r), "")
		}
		return nil
	})
	return token, s, err
}

// pending loads the request's pending sign-in; no session, a timed-out
// one or one that is not pending is login_expired (API.md).
func (h *Handlers) pending(r *http.Request) (*Auth, error) {
	a, err := h.load(r)
	switch {
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrExpired):
		return nil, errLoginExpired()
	case err != nil:
		return nil, err
	case a.Session.Level != db.LevelPending:
		return nil, errLoginExpired()
	}
	return a, nil
}

// Verify is POST /api/auth/verify: the second step of a sign-in.
func (h *Handlers) Verify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req api.CodeRequest
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	a, err := h.pending(r)
	if err != nil {
		return err
	}
	var ok bool
	switch a.Session.Method {
	case api.MethodTOTP:
		ok, err = h.checkTFACode(ctx, r, a.User, req.Code)
	case api.MethodEmail:
		ok, err = h.checkEmailCode(ctx, r, a, req.Code)
	default:
		err = errLoginExpired()
	}
	if err != nil {
		return err
	}
	if !ok {
		return errInvalidCode()
	}
	n := session.New{UserID: a.User.ID, Level: db.LevelFull, IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}
	if a.User.TFAEnforced {
		st, err := h.tfaStatus(ctx, h.DB, a.User)
		if err != nil {
			return err
		}
		if !totpOn(st) {
			n.Level = db.LevelEnroll
		}
	}
	token, s, err := h.startSession(ctx, r, n, audit.Login, nil)
	if err != nil {
		return err
	}
	h.Sessions.SetCookie(w, token, s)
	if n.Level == db.LevelEnroll {
		httpx.JSON(w, http.StatusOK, api.LoginResponse{Status: api.StatusEnroll})
		return nil
	}
	user := userOf(a.User)
	httpx.JSON(w, http.StatusOK, api.LoginResponse{Status: api.StatusOK, User: &user})
	return nil
}

// Logout is POST /api/auth/logout: the session is deleted on the server.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) error {
	var body struct{}
	if err := httpx.Decode(w, r, &body, true); err != nil {
		return err
	}
	if token := h.Sessions.Token(r); token != "" {
		ctx := r.Context()
		err := h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			s := new(session.Session)
			err := tx.NewDelete().Model(s).Where("token_hash = ?", session.HashToken(token)).
				Returning("user_id, level").Scan(ctx)
			if err != nil {
				if err = db.NotFound(err, "delete session"); errors.Is(err, db.ErrNotFound) {
					return nil
				}
				return err
			}
			if s.Level == db.LevelFull {
				return h.Audit.Record(ctx, tx, s.UserID, audit.Logout, origin(r), "")
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	h.Sessions.ClearCookie(w)
	httpx.NoContent(w)
	return nil
}

// checkEmailCode checks the email code of a pending sign-in under the
// second-factor limits of the account. The 5th wrong code ends the
// sign-in.
func (h *Handlers) checkEmailCode(ctx context.Context, r *http.Request, a *Auth, code string) (bool, error) {
	attempt, err := h.Limiter.Begin(ctx, codeKeys(a.User.ID, httpx.ClientIP(r))...)
	if err != nil {
		return false, err
	}
	ok, err := h.Email.Verify(ctx, a.Session.ID, validate.NormalizeCode(code))
	if errors.Is(err, emailcode.ErrEnded) || errors.Is(err, emailcode.ErrNoChallenge) {
		if derr := h.Sessions.Delete(ctx, h.DB, a.Session.ID); derr != nil {
			return false, derr
		}
		return false, errLoginExpired()
	}
	if err != nil {
		return false, err
	}
	if !ok {
		if err := h.codeFailed(ctx, r, a.User, attempt, "email"); err != nil {
			return false, err
		}
		if ended, err := h.Email.Ended(ctx, a.Session.ID); err == nil && ended {
			if err := h.Sessions.Delete(ctx, h.DB, a.Session.ID); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	return true, attempt.Succeeded(ctx)
}

// Resend is POST /api/auth/resend: a new email code for the pending sign-in.
func (h *Handlers) Resend(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
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
	err = h.Email.Send(ctx, a.Session.ID, a.User.Email, a.User.Language, true)
	var soon *emailcode.TooSoonError
	switch {
	case err == nil:
		httpx.NoContent(w)
	case errors.As(err, &soon):
		return &ratelimit.LimitedError{RetryAfter: soon.RetryAfter}
	case errors.Is(err, emailcode.ErrEnded), errors.Is(err, emailcode.ErrNoChallenge):
		return errLoginExpired()
	default:
		return h.mailFailed(r, err, a.User.Email)
	}
	return nil
}
