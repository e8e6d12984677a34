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
	"twofold/shared/api"
	"twofold/shared/validate"
)

// Rules of API.md.
const (
	Digits      = validate.TOTPDigits
	CodeTTL     = 10 * time.Minute
	MaxFailures = 5
	Cooldown    = api.EmailResendCooldown
	MaxSends    = 5
	SendWindow  = time.Hour
	purpose     = "email code v1"
	saltSize    = 16
)

// Errors of this package.
var (
	// ErrNoChallenge is returned when the session has no email challenge
	// (not an email sign-in, or it ended).
	ErrNoChallenge = errors.New("no email challenge")
	// ErrEnded is returned once the sign-in ran out of tries.
	ErrEnded = errors.New("email sign-in ended after too many wrong codes")
)

// TooSoonError is returned by Reserve for a resend inside the cooldown or
// past the hourly limit.
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
	key     *secrets.CodeKey
	clock   clock.Clock
	sender  Sender
	compose Composer
}

// New returns an email-code service.
func New(key *secrets.CodeKey, c clock.Clock, s Sender, compose Composer) *Service {
	return &Service{key: key, clock: c, sender: s, compose: compose}
}

// Start creates the challenge of a new pending session within idb. No code
// exists until Reserve.
func (s *Service) Start(ctx context.Context, idb bun.IDB, sessionID, userID int64) error {
	ch := &db.EmailChallenge{SessionID: sessionID, UserID: userID, CreatedAt: s.clock.Now()}
	if _, err := idb.NewInsert().Model(ch).Exec(ctx); err != nil {
		return fmt.Errorf("create email challenge: %w", err)
	}
	return nil
}

func (s *Service) load(ctx context.Context, idb bun.IDB, sessionID int64) (*db.EmailChallenge, error) {
	ch := new(db.EmailChallenge)
	if err := idb.NewSelect().Model(ch).Where("session_id = ?", db.Arg(1)).Conn(db.Prepared(idb, sessionID)).Scan(ctx); err != nil {
		if err = db.NotFound(err, "load email challenge"); errors.Is(err, db.ErrNotFound) {
			return nil, ErrNoChallenge
		}
		return nil, err
	}
	return ch, nil
}

// Reservation is a code stored and counted as sent, not delivered yet:
// Deliver it, or Undo it when delivery fails.
type Reservation struct {
	sessionID int64
	code      string
	mac       []byte
	prev      db.EmailChallenge
}

// Reserve makes a new code for the session within idb and stores its MAC,
// counting the send: the previous code stops working. For a resend the
// cooldown and the hourly limit apply (*TooSoonError). The reservation is
// one conditional UPDATE, so of parallel resends at most one passes.
func (s *Service) Reserve(ctx context.Context, idb bun.IDB, sessionID int64, resend bool) (*Reservation, error) {
	ch, err := s.load(ctx, idb, sessionID)
	if err != nil {
		return nil, err
	}
	if ch.Failures >= MaxFailures {
		return nil, ErrEnded
	}
	now := s.clock.Now()
	if wait := s.wait(ch, now); resend && wait > 0 {
		return nil, &TooSoonError{RetryAfter: wait}
	}
	code, err := newCode()
	if err != nil {
		return nil, err
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("random salt: %w", err)
	}
	r := &Reservation{sessionID: sessionID, code: code, mac: s.mac(salt, sessionID, code), prev: *ch}
	windowStart := now.Add(-SendWindow)
	q := idb.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("salt = ?", salt).
		Set("mac = ?", r.mac).
		Set("code_expires_at = ?", now.Add(CodeTTL)).
		Set("used_at = NULL").
		Set("sends = CASE WHEN first_sent_at IS NULL OR first_sent_at <= ? THEN 1 ELSE sends + 1 END", windowStart).
		Set("first_sent_at = CASE WHEN first_sent_at IS NULL OR first_sent_at <= ? THEN ? ELSE first_sent_at END", windowStart, now).
		Set("last_sent_at = ?", now).
		Where("session_id = ?", sessionID).
		Where("failures < ?", MaxFailures)
	if resend {
		q = q.Where("(last_sent_at IS NULL OR last_sent_at <= ?)", now.Add(-Cooldown)).
			Where("(first_sent_at IS NULL OR first_sent_at <= ? OR sends < ?)", windowStart, MaxSends)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("store email code: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		// A parallel request got there first: answer as it left things.
		ch, err := s.load(ctx, idb, sessionID)
		if err != nil {
			return nil, err
		}
		if ch.Failures >= MaxFailures {
			return nil, ErrEnded
		}
		return nil, &TooSoonError{RetryAfter: max(s.wait(ch, now), time.Second)}
	}
	return r, nil
}

// Deliver mails the reserved code to address in lang.
func (s *Service) Deliver(ctx context.Context, r *Reservation, address, lang string) error {
	if err := s.sender.Send(ctx, s.compose(address, r.code, lang)); err != nil {
		return fmt.Errorf("send email code: %w", err)
	}
	return nil
}

// Undo takes back a reservation whose delivery failed within idb: the
// previous code (if any) works again and no cooldown starts. Nothing
// changes if another code was reserved since.
func (s *Service) Undo(ctx context.Context, idb bun.IDB, r *Reservation) error {
	p := r.prev
	_, err := idb.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("salt = ?", p.Salt).
		Set("mac = ?", p.MAC).
		Set("code_expires_at = ?", p.CodeExpiresAt).
		Set("used_at = ?", p.UsedAt).
		Set("sends = ?", p.Sends).
		Set("first_sent_at = ?", p.FirstSentAt).
		Set("last_sent_at = ?", p.LastSentAt).
		Where("session_id = ?", r.sessionID).Where("mac = ?", r.mac).Exec(ctx)
	if err != nil {
		return fmt.Errorf("take back email code: %w", err)
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

// Verify checks code for the session and consumes it within idb. A try is
// counted before the code is compared, so parallel guesses cannot exceed
// the limit; once the tries are used up it returns ErrEnded (see Ended for
// whether this try was the last). code is normalised
// (validate.NormalizeCode).
func (s *Service) Verify(ctx context.Context, idb bun.IDB, sessionID int64, code string) (bool, error) {
	res, err := idb.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("failures = failures + 1").
		Where("session_id = ?", db.Arg(1)).Where("failures < ?", db.Arg(2)).
		Conn(db.Prepared(idb, sessionID, MaxFailures)).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("count email code try: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if _, err := s.load(ctx, idb, sessionID); err != nil {
			return false, err
		}
		return false, ErrEnded
	}
	ch, err := s.load(ctx, idb, sessionID)
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
	res, err = idb.NewUpdate().Model((*db.EmailChallenge)(nil)).
		Set("used_at = ?", db.Arg(1)).
		Set("failures = failures - 1").
		Where("session_id = ?", db.Arg(2)).Where("used_at IS NULL").Where("mac = ?", db.Arg(3)).
		Conn(db.Prepared(idb, now, sessionID, ch.MAC)).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use email code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Ended reports whether the session's challenge has run out of tries.
func (s *Service) Ended(ctx context.Context, idb bun.IDB, sessionID int64) (bool, error) {
	ch, err := s.load(ctx, idb, sessionID)
	if err != nil {
		return false, err
	}
	return ch.Failures >= MaxFailures, nil
}

// ResendAfter is how long before the session may ask for a new code (0:
// now). A failed delivery starts no cooldown.
func (s *Service) ResendAfter(ctx context.Context, idb bun.IDB, sessionID int64) (time.Duration, error) {
	ch, err := s.load(ctx, idb, sessionID)
	if err != nil {
		return 0, err
	}
	return s.wait(ch, s.clock.Now()), nil
}

// wait is how long before ch may be resent (0: now).
func (s *Service) wait(ch *db.EmailChallenge, now time.Time) time.Duration {
	var wait time.Duration
	if ch.LastSentAt != nil {
		wait = ch.LastSentAt.Add(Cooldown).Sub(now)
	}
	if ch.FirstSentAt != nil && ch.Sends >= MaxSends && now.Before(ch.FirstSentAt.Add(SendWindow)) {
		wait = max(wait, ch.FirstSentAt.Add(SendWindow).Sub(now))
	}
	return max(wait, 0)
}
