// Package reset runs the forgotten-password flow of API.md ("Password
// reset"): a request mails a one-time link to the account's address, and
// the link's token sets a new password. It never signs anyone in and
// never touches the second factor: the next sign-in asks for TOTP or the
// email code as before.
//
// A request does the same work whatever the login names (an account that
// gets a mail, one without email, a disabled one, none): the same
// statements, the token made and hashed, one row written, so neither the
// answer nor its timing tells whether an account exists. The mail goes out
// in the background once the answer is decided.
package reset

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mail"
	"twofold/server/internal/notify"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/shared/api"
)

// Rules of API.md.
const (
	// TTL is how long a link works.
	TTL = api.PasswordResetTTL
	// tokenBytes: 256 random bits (API.md asks for at least 128).
	tokenBytes = 32
)

// Errors of this package. Limits come as *ratelimit.LimitedError and
// password policy failures as *account.PolicyError.
var (
	// ErrInvalidToken: the token is unknown, used, expired, or belongs to
	// a disabled account.
	ErrInvalidToken = errors.New("unknown, used or expired reset token")
	// ErrNoEmail: the user has no address to mail the link to.
	ErrNoEmail = errors.New("the user has no email address")
	// ErrDisabled: the account is disabled; a link would not work.
	ErrDisabled = errors.New("the account is disabled")
)

// MailError is returned by Send when the link could not be mailed; the
// link was withdrawn.
type MailError struct{ Err error }

func (e *MailError) Error() string { return "reset mail not sent: " + e.Err.Error() }
func (e *MailError) Unwrap() error { return e.Err }

// Service issues and redeems reset links.
type Service struct {
	DB       *db.DB
	Clock    clock.Clock
	Logger   *slog.Logger
	Users    *account.Service
	Sessions *session.Manager
	Limiter  *ratelimit.Limiter
	Audit    *audit.Recorder
	Mail     mail.Sender
	// Notify composes the mails and sends the notice of a reset.
	Notify *notify.Notifier

	wg sync.WaitGroup
	// mu orders wg.Add against Close's wg.Wait; closed is set by Close.
	mu     sync.Mutex
	closed bool
}

// HashToken returns what is stored of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newToken returns a new random token and its hash.
func newToken() (string, []byte, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	return token, HashToken(token), nil
}

// Request is a forgotten-password request for login (a username or an
// email address) from o. Only an existing, enabled account with an email
// gets a mail, at most 3 per hour; any other request does the same work
// and mails nobody, and the caller answers the same. It returns a
// *ratelimit.LimitedError past 20 requests per hour from o.IP. Otherwise
// it returns send, which starts the mail (if any) in the background: call
// it, always, once the answer is out. (Wait and Close count the mail from
// the moment Request returns.)
func (s *Service) Request(ctx context.Context, login string, o audit.Origin) (send func(), err error) {
	err = s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := s.Limiter.Take(ctx, tx, ratelimit.ResetIPKey(o.IP))
		return err
	})
	if err != nil {
		return nil, err
	}
	u, err := s.lookup(ctx, login)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	eligible := u != nil && !u.Disabled && u.Email != ""
	key := ratelimit.ResetLoginKey(account.NormalizeUsername(login))
	if u != nil {
		key = ratelimit.ResetMailKey(u.ID)
	}
	now := s.Clock.Now()
	mailIt := false
	err = s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Counted the same way below and past the limit (Count, not
		// Take): the timing does not tell an account past its 3 mails
		// an hour, and so neither which logins share an account.
		err := s.Limiter.Count(ctx, tx, key)
		var le *ratelimit.LimitedError
		limited := errors.As(err, &le)
		if err != nil && !limited {
			return err
		}
		mailIt = eligible && !limited // past the limit: silently not sent
		var userID any                // NULL: a row that opens nothing
		if mailIt {
			userID = u.ID
		}
		// One statement whatever the account, values aside.
		if _, err := tx.NewRaw(`INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash, userID, now, now.Add(TTL)).Exec(ctx); err != nil {
			return fmt.Errorf("store reset token: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !mailIt {
		return func() {}, nil
	}
	return s.later(func() { s.mailLink(u, token, o) }), nil
}

// mailLink mails a self-service reset link and records the request.
func (s *Service) mailLink(u *db.User, token string, o audit.Origin) {
	mctx, cancel := context.WithTimeout(context.Background(), mail.Timeout)
	defer cancel()
	detail := ""
	if err := s.Mail.Send(mctx, s.Notify.ResetMail(u.Email, u.Username, u.Language, token, "")); err != nil {
		s.Logger.Warn("password reset mail not sent", "user_id", u.ID, "err", err)
		detail = "mail_failed"
	}
	// Recorded after the answer, so that it costs the request nothing.
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	if err := s.Audit.Record(rctx, s.DB, u.ID, audit.PasswordResetRequested, o, detail); err != nil {
		s.Logger.Warn("password reset request not recorded", "user_id", u.ID, "err", err)
	}
}

// lookup finds the account of a login: the user with that username, or
// else the one with that email address.
func (s *Service) lookup(ctx context.Context, login string) (*db.User, error) {
	name, email := account.NormalizeUsername(login), account.NormalizeEmail(login)
	u := new(db.User)
	err := s.DB.NewSelect().Model(u).
		Where("username_key = ? OR email_key = ?", name, email).
		OrderExpr("CASE WHEN username_key = ? THEN 0 ELSE 1 END", name).
		Limit(1).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, "look up login")
	}
	return u, nil
}

// Link is a reset link issued by Issue, to be mailed by Deliver.
type Link struct {
	token  string
	id     int64
	userID int64
	at     time.Time
}

// Send mails u a reset link now: an administrator's action (o.Actor),
// recorded as an event of u with o's actor and reason. It counts toward
// u's 3 mails an hour (*ratelimit.LimitedError past them), returns
// ErrNoEmail or ErrDisabled when a link could not serve, and a *MailError
// (the link withdrawn) when the mail server fails.
func (s *Service) Send(ctx context.Context, u *db.User, o audit.Origin) error {
	var l *Link
	err := s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		l, err = s.Issue(ctx, tx, u, o)
		return err
	})
	if err != nil {
		return err
	}
	return s.Deliver(ctx, u, l, o.Actor)
}

// Issue is the database part of Send, within tx (so that a step-up code is
// consumed together with it): the link is stored, counted and recorded.
// Mail it with Deliver once tx is committed.
func (s *Service) Issue(ctx context.Context, tx bun.Tx, u *db.User, o audit.Origin) (*Link, error) {
	switch {
	case u.Email == "":
		return nil, ErrNoEmail
	case u.Disabled:
		return nil, ErrDisabled
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	row := &db.PasswordReset{TokenHash: hash, UserID: &u.ID, CreatedAt: now, ExpiresAt: now.Add(TTL)}
	if _, err := s.Limiter.Take(ctx, tx, ratelimit.ResetMailKey(u.ID)); err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("store reset token: %w", err)
	}
	if err := s.Audit.Record(ctx, tx, u.ID, audit.PasswordResetRequested, o, ""); err != nil {
		return nil, err
	}
	return &Link{token: token, id: row.ID, userID: u.ID, at: now}, nil
}

// Deliver mails the link l to u (admin names who sent it, "" for the user
// themselves). When the mail server fails, the link is withdrawn and
// taken back from the count, and a *MailError returned.
func (s *Service) Deliver(ctx context.Context, u *db.User, l *Link, admin string) error {
	err := s.Mail.Send(ctx, s.Notify.ResetMail(u.Email, u.Username, u.Language, l.token, admin))
	if err == nil {
		return nil
	}
	uerr := s.DB.Tx(context.WithoutCancel(ctx), func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*db.PasswordReset)(nil)).Where("id = ?", l.id).Exec(ctx); err != nil {
			return err
		}
		return s.Limiter.Return(ctx, tx, l.at, ratelimit.ResetMailKey(l.userID))
	})
	if uerr != nil {
		s.Logger.Warn("unsent reset link not withdrawn", "user_id", u.ID, "err", uerr)
	}
	return &MailError{Err: err}
}

// Confirm sets newPassword for the account of token and ends all its
// sessions and bearer tokens, in one transaction that consumes the token
// (of parallel confirmations, one wins). It returns ErrInvalidToken for an
// unknown, used or expired token, and *account.PolicyError for a password
// the policy refuses (the token then stays usable). The new password is
// hashed before the transaction. The user gets a notice.
func (s *Service) Confirm(ctx context.Context, token, newPassword string, o audit.Origin) error {
	now := s.Clock.Now()
	row := new(db.PasswordReset)
	err := s.DB.NewSelect().Model(row).
		Where("token_hash = ?", HashToken(token)).
		Where("user_id IS NOT NULL").Where("used_at IS NULL").Where("expires_at > ?", now).
		Scan(ctx)
	if err != nil {
		if err = db.NotFound(err, "load reset token"); errors.Is(err, db.ErrNotFound) {
			return ErrInvalidToken
		}
		return err
	}
	u, err := s.Users.ByID(ctx, s.DB, *row.UserID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrInvalidToken
	} else if err != nil {
		return err
	}
	if u.Disabled {
		return ErrInvalidToken
	}
	// Slow on purpose: before the transaction.
	hash, err := s.Users.HashPassword(ctx, u.Username, newPassword)
	if err != nil {
		return err
	}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.DB.LockUser(ctx, tx, u.ID); err != nil {
			return err
		}
		now := s.Clock.Now()
		res, err := tx.NewUpdate().Model((*db.PasswordReset)(nil)).Set("used_at = ?", now).
			Where("id = ?", row.ID).Where("used_at IS NULL").Where("expires_at > ?", now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("consume reset token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrInvalidToken // used by a parallel request, or ended by a password change
		}
		fresh, err := s.Users.ByID(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if fresh.Disabled {
			return ErrInvalidToken
		}
		// Ends every link of the user, this one included.
		if err := s.Users.StorePassword(ctx, tx, u, hash); err != nil {
			return err
		}
		if err := s.Sessions.DeleteOthers(ctx, tx, u.ID, 0); err != nil {
			return err
		}
		if err := s.Limiter.Reset(ctx, tx, ratelimit.PasswordCounterResets(u.ID, u.UsernameKey)...); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, u.ID, audit.PasswordReset, o, "")
	})
	if err != nil {
		return err
	}
	if s.Notify != nil {
		s.Notify.Notify(notify.Event{Kind: notify.PasswordReset, To: u.Email, Username: u.Username,
			Time: now, IP: o.IP, UserAgent: o.UserAgent, Lang: u.Language})
	}
	return nil
}

// Prune removes at most limit links expired for a day (the purge job).
func (s *Service) Prune(ctx context.Context, limit int) (int64, error) {
	ids := s.DB.NewSelect().Model((*db.PasswordReset)(nil)).Column("id").
		Where("expires_at < ?", s.Clock.Now().Add(-24*time.Hour)).Limit(int64(limit))
	res, err := s.DB.NewDelete().Model((*db.PasswordReset)(nil)).Where("id IN (?)", ids).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune reset links: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// later counts fn as work under way now (Wait and Close wait for it) and
// returns what starts it in the background. After Close (a request that
// outlived the server's shutdown), what it returns runs fn at once.
func (s *Service) later(fn func()) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fn
	}
	s.wg.Add(1)
	return func() {
		go func() {
			defer s.wg.Done()
			fn()
		}()
	}
}

// Wait blocks until the mails under way are sent or failed.
func (s *Service) Wait() { s.wg.Wait() }

// Close waits for the mails under way; later ones are sent in the
// caller's goroutine. Call it before closing the database.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
}
