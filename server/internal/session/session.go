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
	"twofold/shared/api"
)

// Lifetimes fixed by API.md.
const (
	// PendingTTL is how long a pending (second factor) or enrolment
	// session lasts.
	PendingTTL = 10 * time.Minute
	// ElevationTTL is how long a step-up lasts.
	ElevationTTL = api.ElevationTTL
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

// Default lifetimes of bearer tokens (RUSTDESK.md): TWOFOLD_TOKEN_IDLE and
// TWOFOLD_TOKEN_MAX.
const (
	DefaultTokenIdle = 720 * time.Hour
	DefaultTokenMax  = 2160 * time.Hour
)

// Manager creates, finds and ends sessions.
type Manager struct {
	db         *db.DB
	clock      clock.Clock
	cfg        Config
	cookieName string
}

// Config sets a Manager's timeouts and cookie.
type Config struct {
	// Idle and Max are the lifetimes of console sessions: unused for Idle,
	// or Max after sign-in, a session ends (0: no idle limit).
	Idle, Max time.Duration
	// TokenIdle and TokenMax are those of bearer tokens (0: the defaults).
	TokenIdle, TokenMax time.Duration
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
	if cfg.TokenIdle == 0 {
		cfg.TokenIdle = DefaultTokenIdle
	}
	if cfg.TokenMax == 0 {
		cfg.TokenMax = DefaultTokenMax
	}
	return &Manager{db: d, clock: c, cfg: cfg, cookieName: name}
}

// lifetimes returns the idle and absolute lifetimes of a full session of
// kind.
func (m *Manager) lifetimes(kind string) (idle, max time.Duration) {
	if kind == db.KindRustDesk {
		return m.cfg.TokenIdle, m.cfg.TokenMax
	}
	return m.cfg.Idle, m.cfg.Max
}

// HashToken returns what is stored of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Spec describes a session to create.
type Spec struct {
	UserID int64
	Level  string
	// Kind is db.KindConsole (default) or db.KindRustDesk.
	Kind string
	// Device names a bearer token's client; ClientID and ClientUUID
	// identify it (RustDesk).
	Device     string
	ClientID   string
	ClientUUID string
	Method     string
	IP         string
	UserAgent  string
	// Elevate: the session starts elevated for ElevationTTL (a sign-in
	// with the password while TOTP is off).
	Elevate bool
}

// Create stores a new session within idb and returns its token, which
// only the cookie (or the client, for a bearer token) will carry. The
// statement runs the clauses with it (PostgreSQL only); a user that is
// gone gives db.ErrNotFound.
func (m *Manager) Create(ctx context.Context, idb bun.IDB, n Spec, with ...db.Clause) (string, *Session, error) {
	token, s, err := m.build(n)
	if err != nil {
		return "", nil, err
	}
	q, args := db.InsertValues(idb.NewInsert().Model(s), 1, s.Columns()...)
	for _, c := range with {
		cq, cargs := c.Build(len(args) + 1)
		q, args = q.With(c.Name, cq), append(args, cargs...)
	}
	if _, err := q.Returning("id").Conn(db.Prepared(idb, args...)).Exec(ctx); err != nil {
		if db.IsForeignKeyViolation(err) {
			return "", nil, db.ErrNotFound
		}
		return "", nil, fmt.Errorf("insert session for user %d: %w", n.UserID, err)
	}
	return token, s, nil
}

// Promote ends the pending session id and starts the one n describes
// within idb, with a new token, exactly like deleting it and calling Create
// (only one of parallel requests that would each end it goes on; the
// others get db.ErrNotFound). Usually it takes one statement: the row is
// turned into the new session in place. A pending session that holds an
// email or security-key challenge is deleted instead (its challenges with
// it), and the new session inserted.
func (m *Manager) Promote(ctx context.Context, idb bun.IDB, id int64, n Spec) (string, *Session, error) {
	token, s, err := m.build(n)
	if err != nil {
		return "", nil, err
	}
	q, args := promoteInPlace(idb, s, id, 1)
	res, err := q.Conn(db.Prepared(idb, args...)).Exec(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("start session %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return token, s, nil
	}
	// Gone, used already (no longer pending), or holding challenges.
	res, err = idb.NewDelete().Model((*Session)(nil)).Where("id = ?", id).Where("level = ?", db.LevelPending).Exec(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("delete session %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", nil, db.ErrNotFound
	}
	return m.Create(ctx, idb, n)
}

// Promoted names PromoteClause's clause.
const Promoted = "promoted_session"

// PromoteClause is Promote's usual case as a WITH clause (db.Clause,
// PostgreSQL only), named Promoted: the pending session id turned in place
// into the session n describes, returning its id. It returns no row when
// the session is gone, used already, or holds a challenge; then nothing
// was promoted, and Promote does the rest. The token and session returned
// are the new session's once the clause has returned its row.
func (m *Manager) PromoteClause(idb bun.IDB, id int64, n Spec) (string, *Session, db.Clause, error) {
	token, s, err := m.build(n)
	if err != nil {
		return "", nil, db.Clause{}, err
	}
	return token, s, db.Clause{Name: Promoted, Build: func(first int) (bun.Query, []any) {
		q, args := promoteInPlace(idb, s, id, first)
		return q.Returning("?TableAlias.id"), args
	}}, nil
}

// promoteInPlace turns the pending session id into s (s.ID is set to id)
// unless it holds a challenge: its placeholders are from Arg(first) on.
func promoteInPlace(idb bun.IDB, s *Session, id int64, first int) (*bun.UpdateQuery, []any) {
	s.ID = id
	q, args := db.UpdateValues(idb.NewUpdate().Model(s), first, s.Columns()...)
	args = append(args, id, db.LevelPending)
	last := first + len(args) - 1
	return q.Where("?TableAlias.id = ?", db.Arg(last-1)).Where("?TableAlias.level = ?", db.Arg(last)).
		Where("NOT EXISTS (SELECT 1 FROM email_challenges e WHERE e.session_id = ?TableAlias.id)").
		Where("NOT EXISTS (SELECT 1 FROM passkey_challenges p WHERE p.session_id = ?TableAlias.id)"), args
}

// build makes a new session and its token from n.
func (m *Manager) build(n Spec) (string, *Session, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := m.clock.Now()
	if n.Kind == "" {
		n.Kind = db.KindConsole
	}
	_, ttl := m.lifetimes(n.Kind)
	if n.Level != db.LevelFull {
		ttl = PendingTTL
	}
	s := &Session{
		TokenHash:  HashToken(token),
		UserID:     n.UserID,
		Level:      n.Level,
		Kind:       n.Kind,
		Device:     truncate(n.Device, 128),
		ClientID:   truncate(n.ClientID, 128),
		ClientUUID: truncate(n.ClientUUID, 256),
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

// Lookup finds the session of token with its user (s.User), in one query.
// A timed-out session is deleted and reported as ErrExpired; a session of
// a disabled user is ErrNoSession. A full session's last-seen time is
// refreshed at most once a minute. Each of with may add columns to the
// query (scan-only fields of Session).
func (m *Manager) Lookup(ctx context.Context, token string, with ...func(*bun.SelectQuery) *bun.SelectQuery) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrNoSession
	}
	s := new(Session)
	q := m.db.NewSelect().Model(s).Relation("User").Where("?TableAlias.token_hash = ?", db.Arg(1))
	for _, w := range with {
		q = w(q)
	}
	err := q.Conn(db.Prepared(m.db, HashToken(token))).Scan(ctx)
	if err != nil {
		if err = db.NotFound(err, "load session"); errors.Is(err, db.ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	if s.User == nil || s.User.Disabled {
		return nil, ErrNoSession
	}
	now := m.clock.Now()
	expired := !now.Before(s.ExpiresAt)
	if idle, _ := m.lifetimes(s.Kind); s.Level == db.LevelFull && idle > 0 && now.Sub(s.LastSeenAt) >= idle {
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

// DeleteToken ends the session of token, if any, within idb and returns
// it (nil when there was none).
func (m *Manager) DeleteToken(ctx context.Context, idb bun.IDB, token string) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, nil
	}
	s := new(Session)
	err := idb.NewDelete().Model(s).Where("token_hash = ?", HashToken(token)).Returning("?Columns").Scan(ctx)
	if err != nil {
		if err = db.NotFound(err, "delete session"); errors.Is(err, db.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return s, nil
}

// DeleteOthers ends every session and bearer token of userID but keepID
// (0: all of them).
func (m *Manager) DeleteOthers(ctx context.Context, idb bun.IDB, userID, keepID int64) error {
	_, err := idb.NewDelete().Model((*Session)(nil)).
		Where("user_id = ?", userID).Where("id <> ?", keepID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete other sessions of user %d: %w", userID, err)
	}
	return nil
}

// List returns the full sessions and bearer tokens of userID, newest first
// (pending and enrolment sessions are not listed).
func (m *Manager) List(ctx context.Context, idb bun.IDB, userID int64) ([]Session, error) {
	var out []Session
	err := idb.NewSelect().Model(&out).Where("user_id = ?", userID).Where("level = ?", db.LevelFull).
		Where("expires_at > ?", m.clock.Now()).Order("created_at DESC", "id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %d: %w", userID, err)
	}
	return out, nil
}

// DeleteOwn ends the full session id of userID within idb; it returns
// db.ErrNotFound when userID has no such session.
func (m *Manager) DeleteOwn(ctx context.Context, idb bun.IDB, userID, id int64) error {
	res, err := idb.NewDelete().Model((*Session)(nil)).
		Where("id = ?", id).Where("user_id = ?", userID).Where("level = ?", db.LevelFull).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete session %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrNotFound
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

// DeleteExpired removes at most limit sessions past their absolute end or idle for too
// long. It returns how many it removed.
func (m *Manager) DeleteExpired(ctx context.Context, limit int) (int64, error) {
	now := m.clock.Now()
	ids := m.db.NewSelect().Model((*Session)(nil)).Column("id").WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		// Pending and enrolment sessions end at expires_at (10 minutes).
		q = q.Where("expires_at <= ?", now)
		if m.cfg.Idle > 0 {
			q = q.WhereOr("level = ? AND kind <> ? AND last_seen_at <= ?", db.LevelFull, db.KindRustDesk, now.Add(-m.cfg.Idle))
		}
		return q.WhereOr("level = ? AND kind = ? AND last_seen_at <= ?", db.LevelFull, db.KindRustDesk, now.Add(-m.cfg.TokenIdle))
	}).Limit(int64(limit))
	res, err := m.db.NewDelete().Model((*Session)(nil)).Where("id IN (?)", ids).Exec(ctx)
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

// Secure reports whether cookies are sent with Secure (an https public URL).
func (m *Manager) Secure() bool { return m.cfg.Secure }

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
		Secure:   m.cfg.Secure,
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
		Secure:   m.cfg.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}
