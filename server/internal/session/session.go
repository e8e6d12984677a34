package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
)

// Lifetimes fixed by API.md.
const (
	// PendingTTL is how long a pending (second factor) or enrolment
	// session lasts.
	PendingTTL = 10 * time.Minute
	// ElevationTTL is how long a step-up lasts.
	ElevationTTL = 5 * time.Minute
	// touchEvery throttles the last-seen write: at most once a minute per
	// session.
	touchEvery = time.Minute
	// tokenBytes: 256-bit tokens.
	tokenBytes = 32
)

// Errors of this package.
var (
	// ErrNoSession: no cookie, or a token that matches no session.
	ErrNoSession = errors.New("no session")
	// ErrExpired: the session existed but timed out; it is deleted.
	ErrExpired = errors.New("session expired")
)

// Session is a stored session.
type Session = db.Session

// Manager creates, finds and ends sessions.
type Manager struct {
	db         *db.DB
	clock      clock.Clock
	idle, max  time.Duration
	cookieName string
	secure     bool
}

// Config sets a Manager's timeouts and cookie.
type Config struct {
	Idle, Max time.Duration
	// Secure: the public URL is https; the cookie gets Secure and the
	// __Host- prefix.
	Secure bool
}

// NewManager returns a session manager.
func NewManager(d *db.DB, c clock.Clock, cfg Config) *Manager {
	name := "twofold_session"
	if cfg.Secure {
		name = "__Host-twofold_session"
	}
	return &Manager{db: d, clock: c, idle: cfg.Idle, max: cfg.Max, cookieName: name, secure: cfg.Secure}
}

// CookieName is the name of the session cookie.
func (m *Manager) CookieName() string { return m.cookieName }

// HashToken returns what is stored of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// New describes a session to create.
type New struct {
	UserID    int64
	Level     string
	Method    string
	IP        string
	UserAgent string
	// Elevate: the session starts elevated for ElevationTTL (a sign-in
	// with the password while TOTP is off).
	Elevate bool
}

// Create stores a new session and returns its token, which only the
// cookie will carry.
func (m *Manager) Create(ctx context.Context, idb bun.IDB, n New) (string, *Session, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := m.clock.Now()
	ttl := m.max
	if n.Level != db.LevelFull {
		ttl = PendingTTL
	}
	s := &Session{
		TokenHash:  HashToken(token),
		UserID:     n.UserID,
		Level:      n.Level,
		Method:     n.Method,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(ttl),
		IP:         n.IP,
		UserAgent:  truncate(n.UserAgent, 512),
	}
	if n.Elevate {
		until := now.Add(ElevationTTL)
		s.ElevatedUntil = &until
	}
	if _, err := idb.NewInsert().Model(s).Returning("id").Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("insert session for user %d: %w", n.UserID, err)
	}
	return token, s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// Lookup finds the session of token. A timed-out session is deleted and
// reported as ErrExpired. A full session's last-seen time is refreshed at
// most once a minute.
func (m *Manager) Lookup(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrNoSession
	}
	s := new(Session)
	err := m.db.NewSelect().Model(s).Where("token_hash = ?", HashToken(token)).Scan(ctx)
	if err != nil {
		if err = db.NotFound(err, "load session"); errors.Is(err, db.ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	now := m.clock.Now()
	expired := !now.Before(s.ExpiresAt)
	if s.Level == db.LevelFull && m.idle > 0 && now.Sub(s.LastSeenAt) >= m.idle {
		expired = true
	}
	if expired {
		if _, err := m.db.NewDelete().Model((*Session)(nil)).Where("id = ?", s.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("delete expired session: %w", err)
		}
		return nil, ErrExpired
	}
	if s.Level == db.LevelFull && now.Sub(s.LastSeenAt) >= touchEvery {
		if _, err := m.db.NewUpdate().Model((*Session)(nil)).
			Set("last_seen_at = ?", now).Where("id = ?", s.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		s.LastSeenAt = now
	}
	return s, nil
}

// Delete ends a session.
func (m *Manager) Delete(ctx context.Context, idb bun.IDB, id int64) error {
	if _, err := idb.NewDelete().Model((*Session)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete session %d: %w", id, err)
	}
	return nil
}

// DeleteOthers ends every session of userID but keepID (0: all of them).
func (m *Manager) DeleteOthers(ctx context.Context, idb bun.IDB, userID, keepID int64) error {
	_, err := idb.NewDelete().Model((*Session)(nil)).
		Where("user_id = ?", userID).Where("id <> ?", keepID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete other sessions of user %d: %w", userID, err)
	}
	return nil
}

// Elevate marks s as stepped up until now + ElevationTTL.
func (m *Manager) Elevate(ctx context.Context, idb bun.IDB, s *Session) error {
	until := m.clock.Now().Add(ElevationTTL)
	if _, err := idb.NewUpdate().Model((*Session)(nil)).
		Set("elevated_until = ?", until).Where("id = ?", s.ID).Exec(ctx); err != nil {
		return fmt.Errorf("elevate session %d: %w", s.ID, err)
	}
	s.ElevatedUntil = &until
	return nil
}

// EndElevation removes any elevation of s.
func (m *Manager) EndElevation(ctx context.Context, idb bun.IDB, s *Session) error {
	if _, err := idb.NewUpdate().Model((*Session)(nil)).
		Set("elevated_until = NULL").Where("id = ?", s.ID).Exec(ctx); err != nil {
		return fmt.Errorf("end elevation of session %d: %w", s.ID, err)
	}
	s.ElevatedUntil = nil
	return nil
}

// Elevated reports whether s is stepped up now.
func (m *Manager) Elevated(s *Session) bool {
	return s.ElevatedUntil != nil && m.clock.Now().Before(*s.ElevatedUntil)
}

// DeleteExpired removes sessions past their absolute end or idle for too
// long. It returns how many it removed.
func (m *Manager) DeleteExpired(ctx context.Context) (int64, error) {
	now := m.clock.Now()
	q := m.db.NewDelete().Model((*Session)(nil)).Where("expires_at <= ?", now)
	if m.idle > 0 {
		q = q.WhereOr("level = ? AND last_seen_at <= ?", db.LevelFull, now.Add(-m.idle))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Token returns the session token carried by r's cookie, or "".
func (m *Manager) Token(r *http.Request) string {
	c, err := r.Cookie(m.cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// SetCookie sends the session cookie for token, living as long as s.
func (m *Manager) SetCookie(w http.ResponseWriter, token string, s *Session) {
	maxAge := int(s.ExpiresAt.Sub(m.clock.Now()).Seconds())
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(w, &http.Cookie{
		Name:     m.cookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// ClearCookie tells the browser to drop the session cookie.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     m.cookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: http.SameSiteStrictMode,
	})
}
