package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/mfa/passkey"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/signin"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// passkeyOf is a key as the console shows it.
func passkeyOf(k *db.Passkey) api.Passkey {
	p := api.Passkey{ID: k.ID, Name: k.Name, CreatedAt: utc(k.CreatedAt), Discoverable: k.Discoverable,
		BackupEligible: k.BackupEligible, BackedUp: k.BackupState}
	if k.LastUsedAt != nil {
		t := k.LastUsedAt.UTC()
		p.LastUsedAt = &t
	}
	return p
}

func errPasskeysUnavailable() *api.Error {
	return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest,
		"Security keys need a host name, not an IP address, in the server's public URL (TWOFOLD_PUBLIC_URL).")
}

// passkeyError turns an error of the passkey service into the console's
// answer.
func passkeyError(err error) error {
	switch {
	case errors.Is(err, passkey.ErrUnavailable):
		return errPasskeysUnavailable()
	case errors.Is(err, passkey.ErrInvalid):
		return errInvalidCode()
	case errors.Is(err, passkey.ErrNoKeys):
		return httpx.Fail(http.StatusBadRequest, api.CodeBadRequest, "This account has no security key.")
	case errors.Is(err, passkey.ErrTooMany):
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This account has as many security keys as it may have; remove one first.")
	case errors.Is(err, passkey.ErrDuplicate):
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This security key is registered already.")
	case errors.Is(err, passkey.ErrNotFound):
		return httpx.ErrNotFound()
	}
	return err
}

// ListPasskeys is GET /api/account/passkeys.
func (h *Handlers) ListPasskeys(w http.ResponseWriter, r *http.Request) error {
	a := AuthFrom(r.Context())
	keys, err := h.Passkeys.List(r.Context(), h.DB, a.User.ID)
	if err != nil {
		return err
	}
	out := api.Passkeys{Passkeys: make([]api.Passkey, 0, len(keys))}
	for i := range keys {
		out.Passkeys = append(out.Passkeys, passkeyOf(&keys[i]))
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

// PasskeyRegisterBegin is POST /api/account/passkeys/register (step-up):
// the options of navigator.credentials.create, with a challenge bound to
// this session for 5 minutes.
func (h *Handlers) PasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if !h.Passkeys.Available() {
		return errPasskeysUnavailable()
	}
	var out api.PasskeyCreation
	err = h.guarded(r, guard{a: a, st: st, creds: req}, func(ctx context.Context, tx bun.Tx) error {
		opts, err := h.Passkeys.BeginRegistration(ctx, tx, a.User, a.Session.ID)
		if err != nil {
			return err
		}
		out.PublicKey = *opts
		return nil
	})
	if err != nil {
		return passkeyError(err)
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

// PasskeyRegister is POST /api/account/passkeys: the new credential for
// the session's registration challenge (which only a step-up could
// start). The account's first second factor comes with six backup codes,
// and ends the user's other sessions, as enabling TOTP does.
func (h *Handlers) PasskeyRegister(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.PasskeyRegister
	if err := httpx.Decode(w, r, &req, false); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	if p := validate.Struct(&req); !p.Empty() {
		return httpx.Invalid(p)
	}
	var key *db.Passkey
	var codes []string
	var refused error
	err := h.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := h.DB.LockUser(ctx, tx, a.User.ID); err != nil {
			return err
		}
		st, err := h.tfaStatus(ctx, tx, a.User)
		if err != nil {
			return err
		}
		if key, err = h.Passkeys.FinishRegistration(ctx, tx, a.User, a.Session.ID, req.Name, &req.Credential); err != nil {
			if errors.Is(err, passkey.ErrInvalid) || errors.Is(err, passkey.ErrDuplicate) {
				// Commit the used challenge: it works once, even for a
				// refused credential.
				httpx.LogFrom(r).Info("security key not registered", "cause", err.Error())
				refused = err
				return nil
			}
			return err
		}
		if !totpOn(st) {
			if codes, err = h.Backup.Replace(ctx, tx, a.User.ID); err != nil {
				return err
			}
			if err := h.Sessions.DeleteOthers(ctx, tx, a.User.ID, a.Session.ID); err != nil {
				return err
			}
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.PasskeyAdded, origin(r), key.Name)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return passkeyError(err)
	}
	h.notify(r, a.User, notify.PasskeyAdded, a.User.Email, notify.Event{Name: key.Name})
	acc, err := h.account(ctx, a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusCreated, api.PasskeyRegistered{Passkey: passkeyOf(key), BackupCodes: codes, Account: *acc})
	return nil
}

// RenamePasskey is PATCH /api/account/passkeys/{id} (step-up).
func (h *Handlers) RenamePasskey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req api.PasskeyRename
	if err := httpx.Decode(w, r, &req, false); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	if p := validate.Struct(&req); !p.Empty() {
		return httpx.Invalid(p)
	}
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	var key *db.Passkey
	err = h.guarded(r, guard{a: a, st: st, creds: req.StepUp}, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if key, err = h.Passkeys.Rename(ctx, tx, a.User.ID, id, req.Name); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.PasskeyRenamed, origin(r), key.Name)
	})
	if err != nil {
		return passkeyError(err)
	}
	httpx.JSON(w, http.StatusOK, passkeyOf(key))
	return nil
}

// DeletePasskey is DELETE /api/account/passkeys/{id} (step-up): the key
// no longer signs in. The last second factor of a user for whom 2FA is
// enforced cannot go.
func (h *Handlers) DeletePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	if st.Enforced && !st.TOTP && st.Passkeys <= 1 {
		return httpx.Fail(http.StatusForbidden, api.CodeForbidden,
			"Two-factor authentication is required for this account: set up another method before removing this key.")
	}
	var key *db.Passkey
	err = h.guarded(r, guard{a: a, st: st, creds: req}, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if key, err = h.Passkeys.Delete(ctx, tx, a.User.ID, id); err != nil {
			return err
		}
		if st.Enforced && !st.TOTP {
			n, err := h.Passkeys.Count(ctx, tx, a.User.ID)
			if err != nil {
				return err
			}
			if n == 0 {
				return httpx.Fail(http.StatusForbidden, api.CodeForbidden,
					"Two-factor authentication is required for this account: set up another method before removing this key.")
			}
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.PasskeyRemoved, origin(r), key.Name)
	})
	if err != nil {
		return passkeyError(err)
	}
	h.notify(r, a.User, notify.PasskeyRemoved, a.User.Email, notify.Event{Name: key.Name})
	acc, err := h.account(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, acc)
	return nil
}

// PasskeyChallenge is POST /api/account/passkeys/challenge: the options of
// an assertion that confirms a step-up or POST /api/account/verify, bound
// to this session for 5 minutes.
func (h *Handlers) PasskeyChallenge(w http.ResponseWriter, r *http.Request) error {
	a := AuthFrom(r.Context())
	return h.assertionOptions(w, r, a)
}

// assertionOptions answers the options of an assertion of a's user's keys,
// bound to a's session.
func (h *Handlers) assertionOptions(w http.ResponseWriter, r *http.Request, a *Auth) error {
	var body struct{}
	if err := httpx.Decode(w, r, &body, true); err != nil {
		return err
	}
	var out api.PasskeyRequest
	err := h.DB.Tx(r.Context(), func(ctx context.Context, tx bun.Tx) error {
		if err := h.DB.LockUser(ctx, tx, a.User.ID); err != nil {
			return err
		}
		opts, err := h.Passkeys.BeginAssertion(ctx, tx, a.User, a.Session.ID)
		if err != nil {
			return err
		}
		out.PublicKey = *opts
		return nil
	})
	if err != nil {
		return passkeyError(err)
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

// SetPasswordless is PUT /api/account/passwordless (step-up): whether a
// passkey alone may sign in to this account.
func (h *Handlers) SetPasswordless(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	var req api.PasswordlessUpdate
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	off := !*req.Enabled
	err = h.guarded(r, guard{a: a, st: st, creds: req.StepUp}, func(ctx context.Context, tx bun.Tx) error {
		if off == a.User.PasswordlessOff {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*db.User)(nil)).Set("passwordless_off = ?", off).Set("updated_at = ?", h.Clock.Now()).
			Where("id = ?", a.User.ID).Exec(ctx); err != nil {
			return err
		}
		a.User.PasswordlessOff = off
		detail := "passwordless_on"
		if off {
			detail = "passwordless_off"
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.PasswordlessChanged, origin(r), detail)
	})
	if err != nil {
		return err
	}
	acc, err := h.account(ctx, a)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, acc)
	return nil
}

// AuthPasskeyChallenge is POST /api/auth/passkey/challenge: the options
// of an assertion for the pending sign-in's second factor.
func (h *Handlers) AuthPasskeyChallenge(w http.ResponseWriter, r *http.Request) error {
	a, err := h.pending(r)
	if err != nil {
		return err
	}
	return h.assertionOptions(w, r, a)
}

// AuthPasskeyVerify is POST /api/auth/passkey/verify: a security key as
// the second step of a sign-in, like POST /api/auth/verify with a code.
func (h *Handlers) AuthPasskeyVerify(w http.ResponseWriter, r *http.Request) error {
	var req api.PasskeyAssertion
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	a, err := h.pending(r)
	if err != nil {
		return err
	}
	res, err := h.SignIn.VerifyPasskey(r.Context(), h.client(r), a.Session, &req.Credential)
	if errors.Is(err, signin.ErrLoginExpired) {
		h.Sessions.ClearCookie(w)
	}
	if err != nil {
		return signInError(err)
	}
	h.Sessions.SetCookie(w, res.Token, res.Session)
	h.rememberDevice(w, r, res.User.ID)
	user := userOf(res.User)
	httpx.JSON(w, http.StatusOK, api.LoginResponse{Status: api.StatusOK, User: &user})
	return nil
}

// passkeyCookie is the cookie that binds a sign-in with a passkey alone to
// the browser that asked for its challenge.
func (h *Handlers) passkeyCookie() string {
	if h.Sessions.Secure() {
		return "__Host-twofold_passkey"
	}
	return "twofold_passkey"
}

// PasskeyLoginBegin is POST /api/auth/passkey/begin: the options of a
// sign-in with a passkey alone (any discoverable credential, user
// verification required); the challenge is bound to this browser by a
// 5-minute cookie. Counted per client IP like a code mail is per account.
func (h *Handlers) PasskeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	var body struct{}
	if err := httpx.Decode(w, r, &body, true); err != nil {
		return err
	}
	if !h.Passkeys.Available() {
		return errPasskeysUnavailable()
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	var out api.PasskeyRequest
	err := h.DB.Tx(r.Context(), func(ctx context.Context, tx bun.Tx) error {
		if _, err := h.Limiter.Take(ctx, tx, ratelimit.PasskeyBeginKey(httpx.ClientIP(r))); err != nil {
			return err
		}
		opts, err := h.Passkeys.BeginLogin(ctx, tx, passkey.Binding(token))
		if err != nil {
			return err
		}
		out.PublicKey = *opts
		return nil
	})
	if err != nil {
		return passkeyError(err)
	}
	http.SetCookie(w, &http.Cookie{Name: h.passkeyCookie(), Value: token, Path: "/", HttpOnly: true,
		Secure: h.Sessions.Secure(), SameSite: http.SameSiteStrictMode, MaxAge: int(passkey.ChallengeTTL / time.Second)})
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

// PasskeyLogin is POST /api/auth/passkey/login: a sign-in with a passkey
// alone. It counts as both factors and gives a full session.
func (h *Handlers) PasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	var req api.PasskeyAssertion
	if err := httpx.DecodeValid(w, r, &req, false); err != nil {
		return err
	}
	ck, err := r.Cookie(h.passkeyCookie())
	if err != nil || ck.Value == "" {
		return errLoginExpired()
	}
	http.SetCookie(w, &http.Cookie{Name: h.passkeyCookie(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.Sessions.Secure(), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	res, err := h.SignIn.PasskeyLogin(r.Context(), h.client(r), passkey.Binding(ck.Value), &req.Credential)
	if errors.Is(err, signin.ErrPasswordlessOff) {
		return httpx.Fail(http.StatusForbidden, api.CodeForbidden,
			"Signing in with a passkey alone is turned off for this account: sign in with your password.")
	}
	if err != nil {
		return signInError(err)
	}
	h.Sessions.SetCookie(w, res.Token, res.Session)
	h.rememberDevice(w, r, res.User.ID)
	user := userOf(res.User)
	httpx.JSON(w, http.StatusOK, api.LoginResponse{Status: api.StatusOK, User: &user})
	return nil
}
