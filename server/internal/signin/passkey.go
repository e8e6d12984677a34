package signin

import (
	"context"
	"errors"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/passkey"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/shared/api"
	sp "twofold/shared/passkey"
)

// ErrPasswordlessOff is returned for a right passkey of a user who turned
// sign-in with a passkey alone off.
var ErrPasswordlessOff = errors.New("sign-in with a passkey alone is off for this account")

// CheckPasskey checks an assertion of one of u's security keys for the
// challenge of the session sessionID within tx, under the same limits as
// codes (Check): a refused assertion is counted and recorded as a failed
// code; the challenge is used once whatever the outcome.
func (s *Service) CheckPasskey(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin, sessionID int64, a *sp.Assertion) (Outcome, error) {
	var out Outcome
	err := s.checkWith(ctx, tx, u, o, &out, nil, func() (bool, string, error) {
		key, err := s.Passkeys.VerifyAssertion(ctx, tx, u, sessionID, a)
		if errors.Is(err, passkey.ErrInvalid) || errors.Is(err, passkey.ErrUnavailable) {
			s.Logger.Info("security key refused", "user_id", u.ID, "cause", err.Error())
			return false, "passkey", nil
		}
		if err != nil {
			return false, "", err
		}
		out.Passkey = key
		return true, "", nil
	})
	return out, err
}

// VerifyPasskey is the second step of a sign-in with a security key: an
// assertion for the pending session's challenge.
func (s *Service) VerifyPasskey(ctx context.Context, c Client, pending *session.Session, a *sp.Assertion) (res *Result, err error) {
	defer func() { s.observe(api.MethodPasskey, res, err) }()
	if pending.Method == api.MethodEmail {
		return nil, ErrInvalidCode
	}
	return s.verify(ctx, c, pending, TFA, func(ctx context.Context, tx bun.Tx) (Outcome, error) {
		return s.CheckPasskey(ctx, tx, pending.User, c.Origin, pending.ID, a)
	})
}

// PasskeyLogin signs in with a passkey alone: an assertion of a
// discoverable credential, user verification required, for the challenge
// of the browser that holds binding. It counts as both factors and gives a
// full session. A refused assertion is counted on the owner's account (when
// the user handle names one) and the client's IP, like a wrong code.
func (s *Service) PasskeyLogin(ctx context.Context, c Client, binding []byte, a *sp.Assertion) (*Result, error) {
	res, err := s.passkeyLogin(ctx, c, binding, a)
	s.observe("passwordless", res, err)
	return res, err
}

func (s *Service) passkeyLogin(ctx context.Context, c Client, binding []byte, a *sp.Assertion) (*Result, error) {
	ip := ratelimit.IPCodeKey(c.IP)
	res := &Result{Status: api.StatusOK}
	var out Outcome
	var u *db.User
	var refused, off bool
	err := s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.Limiter.Check(ctx, tx, ip); err != nil {
			return err
		}
		var err error
		u, err = s.Passkeys.Owner(ctx, tx, s.DB, a)
		if errors.Is(err, passkey.ErrInvalid) {
			// Nobody's: the challenge is spent and the IP's failure counted.
			s.Logger.Info("passkey sign-in refused", "cause", err.Error())
			refused = true
			if err := s.Passkeys.TakeLogin(ctx, tx, binding); err != nil {
				return err
			}
			_, err := s.Limiter.Fail(ctx, tx, ip)
			return err
		}
		if err != nil {
			return err
		}
		err = s.checkWith(ctx, tx, u, c.Origin, &out, nil, func() (bool, string, error) {
			key, err := s.Passkeys.FinishLogin(ctx, tx, u, binding, a)
			if errors.Is(err, passkey.ErrInvalid) || errors.Is(err, passkey.ErrUnavailable) {
				s.Logger.Info("passkey sign-in refused", "user_id", u.ID, "cause", err.Error())
				return false, "passkey", nil
			}
			if err != nil {
				return false, "", err
			}
			out.Passkey = key
			return true, "", nil
		})
		if err != nil || !out.OK {
			return err // a refused assertion is committed as a counted failure
		}
		if u.Disabled {
			return nil
		}
		if u.PasswordlessOff {
			off = true
			return nil
		}
		spec := session.Spec{UserID: u.ID, Level: db.LevelFull, Kind: db.KindConsole, Method: api.MethodPasskey,
			IP: c.IP, UserAgent: c.UserAgent}
		res.User = u
		if err := s.start(ctx, tx, c, u, spec, 0, res); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, u.ID, audit.PasskeyUsed, c.Origin, out.Passkey.Name)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case refused:
		return nil, ErrInvalidCode
	case !out.OK:
		s.Notices(c.Origin, u, out)
		return nil, ErrInvalidCode
	case u.Disabled:
		return nil, ErrDisabled
	case off:
		return nil, ErrPasswordlessOff
	}
	s.notify(c.Origin, u, notify.PasskeyUsed, u.Email, notify.Event{Name: out.Passkey.Name})
	return res, nil
}

// TFAState is Account's tfa object: TOTP (st, the confirmed secret's
// state) and security keys (keys) each make 2FA enabled; the expiry
// applies to TOTP only, so a user with keys alone is never "expired".
func TFAState(st totp.Status, remaining, keys int, enforced bool) api.TFA {
	out := api.TFA{State: api.TFANotEnabled, Enforced: enforced, TOTP: st.Enabled, Passkeys: keys}
	if !st.Enabled && keys == 0 {
		return out
	}
	out.State = api.TFAEnabled
	if st.Enabled {
		if st.Expired {
			out.State = api.TFAExpired
		}
		out.EnabledAt, out.ExpiresAt = &st.EnabledAt, &st.ExpiresAt
	}
	out.BackupCodesRemaining = remaining
	return out
}
