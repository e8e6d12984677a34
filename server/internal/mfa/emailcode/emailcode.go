// Package emailcode implements email login verification: a 6-digit code
// from crypto/rand, mailed at sign-in, valid 10 minutes, stored only as a
// keyed MAC bound to its pending session, single use, at most 5 wrong
// tries, resent no sooner than every 60 s and at most 5 times an hour.
package emailcode

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mail"
	"twofold/server/internal/secrets"
)

// Rules of API.md.
const (
	Digits      = 6
	CodeTTL     = 10 * time.Minute
	MaxFailures = 5
	Cooldown    = 60 * time.Second
	MaxSends    = 5
	SendWindow  = time.Hour
	purpose     = "email code v1"
	saltSize    = 16
)

// Errors of this package.
var (
	// ErrNoChallenge: the session has no email challenge (not an email
	// sign-in, or it ended).
	ErrNoChallenge = errors.New("no email challenge")
	// ErrEnded: the sign-in ended after too many wrong codes.
	ErrEnded = errors.New("email sign-in ended after too many wrong codes")
)

// TooSoonError: a resend inside the cooldown or past the hourly limit.
type TooSoonError struct{ RetryAfter time.Duration }

func (e *TooSoonError) Error() string { return "too soon: retry after " + e.RetryAfter.String() }

// Sender is the one method this package needs of a mailer.
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

// Composer writes the mail that carries a code, in a language.
type Composer func(to, code, lang string) mail.Message

// Service sends and checks email codes.
type Service struct {
	db      *db.DB
	key     *secrets.CodeKey
	clock   clock.Clock
	sender  Sender
	compose Composer
}

// New returns an email-code service.
func New(d *db.DB, key *secrets.CodeKey, c clock.Clock, s Sender, compose Composer) *Service {
	return &Service{db: d, key: key, clock: c, sender: s, compose: compose}
}

// Start creates the challenge of a new pending session within tx. No code
// exists until Send succeeds.
func (s *Service) Start(ctx context.Context, tx bun.IDB, sessionID, userID int64) error {
	ch := &db.EmailChallenge{SessionID: sessionID, UserID: userID, CreatedAt: s.clock.Now()}
	if _, err := tx.NewInsert().Model(ch).Exec(ctx); err != nil {
		return fmt.Errorf("create email challenge: %w", err)
	}
	return nil
}

func (s *Service) load(ctx context.Context, sessionID int64) (*db.EmailChallenge, error) {
	ch := new(db.EmailChallenge)
	if err := s.db.NewSelect().Model(ch).Where("session_id = ?", sessionID).Scan(ctx); err != nil {
		if err = db.NotFound(err, "load email challenge"); errors.Is(err, db.ErrNotFound) {
			return nil, ErrNoChallenge
		}
		return nil, err
	}
	return ch, nil
}

// Send mails a new code for the session to address; the previous code
// stops working once the new one is delivered. With resend, the cooldown
// and the hourly limit apply. A failed delivery changes nothing and starts
// no cooldown.
func (s *Service) Send(ctx context.Context, sessionID int64, address, lang string, resend bool) error {
	ch, err := s.load(ctx, sessionID)
	if err != nil {
		return err
	}
	if ch.Failures >= MaxFailures {
		return ErrEnded
	}
	now := s.clock.Now()
	if resend {
		if ch.LastSentAt != nil && now.Before(ch.LastSentAt.Add(Cooldown)) {
			return &TooSoonError{RetryAfter: ch.LastSentAt.Add(Cooldown).Sub(now)}
		}
		if ch.FirstSentAt != nil && ch.Sends >= MaxSends && now.Before(ch.FirstSentAt.Add(SendWindow)) {
			return &TooSoonError{RetryAfter: ch.FirstSentAt.Add(SendWindow).Sub(now)}
		}
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("random salt: %w", err)
	}
	if err := s.sender.Send(ctx, s.compose(address, code, lang)); err != nil {
		return fmt.Errorf("send email code: %w", err)
	}
	first, sends := ch.FirstSentAt, ch.Sends+1
	if first == nil || !now.Before(first.Add(SendWindow)) {
		first, sends = &now, 1
	}
	expires := now.Add(CodeTTL)
	_, err = s.db.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("salt = ?", salt).
		Set("mac = ?", s.mac(salt, sessionID, code)).
		Set("code_expires_at = ?", expires).
		Set("used_at = NULL").
		Set("sends = ?", sends).
		Set("first_sent_at = ?", *first).
		Set("last_sent_at = ?", now).
		Where("session_id = ?", sessionID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store email code: %w", err)
	}
	return nil
}

func (s *Service) mac(salt []byte, sessionID int64, code string) []byte {
	var sid [8]byte
	binary.BigEndian.PutUint64(sid[:], uint64(sessionID))
	return s.key.MAC(purpose, salt, append(sid[:], code...))
}

// newCode returns 6 uniformly random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	c := strconv.FormatInt(n.Int64(), 10)
	for len(c) < Digits {
		c = "0" + c
	}
	return c, nil
}

// Verify checks code for the session and consumes it. A try is counted
// before the code is compared, so parallel guesses cannot exceed the
// limit; the 5th wrong try ends the sign-in (ErrEnded from then on).
func (s *Service) Verify(ctx context.Context, sessionID int64, code string) (bool, error) {
	res, err := s.db.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("failures = failures + 1").
		Where("session_id = ?", sessionID).Where("failures < ?", MaxFailures).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("count email code try: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := s.load(ctx, sessionID); err != nil {
			return false, err
		}
		return false, ErrEnded
	}
	ch, err := s.load(ctx, sessionID)
	if err != nil {
		return false, err
	}
	now := s.clock.Now()
	if ch.MAC == nil || ch.UsedAt != nil || ch.CodeExpiresAt == nil || !now.Before(*ch.CodeExpiresAt) ||
		len(code) != Digits || !secrets.Equal(s.mac(ch.Salt, sessionID, code), ch.MAC) {
		return false, nil
	}
	// Consume: exactly one of parallel right answers wins; it takes its
	// counted try back.
	res, err = s.db.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("used_at = ?", now).
		Set("failures = failures - 1").
		Where("session_id = ?", sessionID).Where("used_at IS NULL").Where("mac = ?", ch.MAC).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use email code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Ended reports whether the session's challenge has run out of tries.
func (s *Service) Ended(ctx context.Context, sessionID int64) (bool, error) {
	ch, err := s.load(ctx, sessionID)
	if err != nil {
		return false, err
	}
	return ch.Failures >= MaxFailures, nil
}

// ResendAfter is how long before the session may ask for a new code (0:
// now). A failed delivery starts no cooldown.
func (s *Service) ResendAfter(ctx context.Context, sessionID int64) (time.Duration, error) {
	ch, err := s.load(ctx, sessionID)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var wait time.Duration
	if ch.LastSentAt != nil {
		wait = ch.LastSentAt.Add(Cooldown).Sub(now)
	}
	if ch.FirstSentAt != nil && ch.Sends >= MaxSends {
		wait = max(wait, ch.FirstSentAt.Add(SendWindow).Sub(now))
	}
	return max(wait, 0), nil
}
