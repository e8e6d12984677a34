package session_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/server/internal/testdb"
)

func setup(t *testing.T, url string) (*db.DB, *clock.Fake, *session.Manager, int64) {
	t.Helper()
	ctx := context.Background()
	d := testdb.Open(t, url)
	c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	now := c.Now()
	u := &db.User{Username: "u", UsernameKey: "u", PasswordHash: "x", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
	if _, err := d.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return d, c, session.NewManager(d, c, session.Config{Idle: time.Hour, Max: 24 * time.Hour}), u.ID
}

func TestTokensAreRandomAndStoredHashed(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, _, m, uid := setup(t, url)
		seen := map[string]bool{}
		for i := 0; i < 20; i++ {
			tok, s, err := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelFull})
			if err != nil {
				t.Fatal(err)
			}
			if len(tok) != 43 || seen[tok] {
				t.Fatalf("token %q: want 43 base64url characters (256 bits), never repeated", tok)
			}
			seen[tok] = true
			if bytes.Contains(s.TokenHash, []byte(tok)) || !bytes.Equal(s.TokenHash, session.HashToken(tok)) {
				t.Fatal("the stored hash is not the token's SHA-256")
			}
			got, err := m.Lookup(ctx, tok)
			if err != nil || got.ID != s.ID {
				t.Fatalf("lookup: %v %v", got, err)
			}
		}
		var stored []db.Session
		d.NewSelect().Model(&stored).Scan(ctx)
		for _, s := range stored {
			for tok := range seen {
				if strings.Contains(string(s.TokenHash), tok) {
					t.Fatal("a token is stored in clear")
				}
			}
		}
		for _, bad := range []string{"", "nope", strings.Repeat("a", 500)} {
			if _, err := m.Lookup(ctx, bad); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("lookup %q: %v", bad, err)
			}
		}
	})
}

func TestLastSeenWrittenAtMostOnceAMinute(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, c, m, uid := setup(t, url)
		tok, s, _ := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelFull})
		lastSeen := func() time.Time {
			var row db.Session
			if err := d.NewSelect().Model(&row).Where("id = ?", s.ID).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return row.LastSeenAt
		}
		start := lastSeen()
		for i := 0; i < 5; i++ {
			c.Advance(10 * time.Second)
			if _, err := m.Lookup(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if !lastSeen().Equal(start) {
			t.Fatal("last seen written within the first minute")
		}
		c.Advance(15 * time.Second)
		m.Lookup(ctx, tok)
		if got := lastSeen(); !got.Equal(c.Now()) {
			t.Fatalf("last seen %v after a minute, want %v", got, c.Now())
		}
	})
}

func TestExpiryAndCleanup(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, c, m, uid := setup(t, url)
		pendingTok, _, _ := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelPending, Method: "totp"})
		fullTok, _, _ := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelFull})
		idleTok, _, _ := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelFull})
		for i := 0; i < 10; i++ { // the full one is used, the idle one is not
			c.Advance(5*time.Minute + time.Second)
			if _, err := m.Lookup(ctx, fullTok); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Lookup(ctx, pendingTok); !errors.Is(err, session.ErrExpired) {
			t.Fatalf("pending session after 50 minutes: %v", err)
		}
		c.Advance(15 * time.Minute)
		n, err := m.DeleteExpired(ctx, 100)
		if err != nil || n != 1 {
			t.Fatalf("DeleteExpired removed %d (%v), want the idle session", n, err)
		}
		if _, err := m.Lookup(ctx, idleTok); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("idle session after cleanup: %v", err)
		}
		if _, err := m.Lookup(ctx, fullTok); err != nil {
			t.Fatalf("used session: %v", err)
		}
	})
}

func TestCookie(t *testing.T) {
	_, c, _, _ := setup(t, testdb.SQLite(t))
	m := session.NewManager(nil, c, session.Config{Idle: time.Hour, Max: 24 * time.Hour, Secure: true})
	rec := httptest.NewRecorder()
	m.SetCookie(rec, "tok", &session.Session{ExpiresAt: c.Now().Add(24 * time.Hour)})
	h := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"__Host-twofold_session=tok", "Path=/", "Max-Age=86400", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(h, want) {
			t.Errorf("cookie %q lacks %q", h, want)
		}
	}
	if strings.Contains(h, "Domain=") {
		t.Errorf("a __Host- cookie must have no Domain: %q", h)
	}
}

// TestPromote: a pending session becomes the new one with a new token,
// once; a pending session holding a challenge is replaced (its challenges
// go with it); a session that is not pending, or gone, is ErrNotFound.
func TestPromote(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, _, m, uid := setup(t, url)
		pending := func(t *testing.T) (string, *session.Session) {
			t.Helper()
			tok, s, err := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelPending, Method: "totp"})
			if err != nil {
				t.Fatal(err)
			}
			return tok, s
		}
		full := session.Spec{UserID: uid, Level: db.LevelFull, IP: "192.0.2.1", UserAgent: "ua"}

		t.Run("in place", func(t *testing.T) {
			oldTok, p := pending(t)
			tok, s, err := m.Promote(ctx, d, p.ID, full)
			if err != nil {
				t.Fatal(err)
			}
			if tok == oldTok || s.ID != p.ID {
				t.Fatalf("promoted: same token %v, id %d of %d", tok == oldTok, s.ID, p.ID)
			}
			if _, err := m.Lookup(ctx, oldTok); !errors.Is(err, session.ErrNoSession) {
				t.Fatalf("pending token after promotion: %v, want ErrNoSession", err)
			}
			got, err := m.Lookup(ctx, tok)
			if err != nil || got.ID != p.ID || got.Level != db.LevelFull || got.Method != "" || got.IP != "192.0.2.1" ||
				!got.ExpiresAt.After(p.ExpiresAt) {
				t.Fatalf("new session: %+v %v", got, err)
			}
			if _, _, err := m.Promote(ctx, d, p.ID, full); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("second promotion: %v, want ErrNotFound", err)
			}
			if got, err := m.Lookup(ctx, tok); err != nil || got.Level != db.LevelFull {
				t.Fatalf("the session after a second promotion: %+v %v", got, err)
			}
		})
		t.Run("with a challenge", func(t *testing.T) {
			oldTok, p := pending(t)
			now := time.Now()
			ch := &db.PasskeyChallenge{SessionID: &p.ID, Purpose: "login", Data: "{}", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
			if _, err := d.NewInsert().Model(ch).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			tok, s, err := m.Promote(ctx, d, p.ID, full)
			if err != nil {
				t.Fatal(err)
			}
			if s.ID == p.ID {
				t.Fatal("a pending session with a challenge was kept")
			}
			if n, err := d.NewSelect().Model((*db.PasskeyChallenge)(nil)).Where("id = ?", ch.ID).Count(ctx); err != nil || n != 0 {
				t.Fatalf("challenges left: %d %v", n, err)
			}
			if _, err := m.Lookup(ctx, oldTok); !errors.Is(err, session.ErrNoSession) {
				t.Fatalf("pending token: %v", err)
			}
			if got, err := m.Lookup(ctx, tok); err != nil || got.Level != db.LevelFull {
				t.Fatalf("new session: %+v %v", got, err)
			}
		})
		t.Run("not pending or gone", func(t *testing.T) {
			_, f, err := m.Create(ctx, d, full)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := m.Promote(ctx, d, f.ID, full); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("promoting a full session: %v, want ErrNotFound", err)
			}
			if _, _, err := m.Promote(ctx, d, f.ID+1000, full); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("promoting a missing session: %v, want ErrNotFound", err)
			}
		})
	})
}

// TestCreateWithClauses: on PostgreSQL a right password's writes are one
// statement (signin's startAtOnce): the user's lock, the password counters'
// reset and the new session. The user's row is locked before any counter
// row (the lock order of db.LockUser), the counters are reset only with
// the session, and a user that is gone gives db.ErrNotFound and changes
// nothing.
func TestCreateWithClauses(t *testing.T) {
	ctx := context.Background()
	d, c, m, uid := setup(t, testdb.Postgres(t))
	l := ratelimit.New(d, c)
	keys := ratelimit.PasswordKeys("u", "192.0.2.1")
	failures := func(t *testing.T) []int {
		t.Helper()
		var got []int
		if err := d.NewSelect().Model((*db.Throttle)(nil)).Column("failures").Where("key IN (?)", bun.List([]string{keys[0].Name, keys[1].Name})).
			Order("key").Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	a, err := l.Begin(ctx, keys...)
	if err != nil {
		t.Fatal(err)
	}
	cleared, ok := a.SucceededClause(d, db.LockedUser)
	if !ok {
		t.Fatal("no clause for password keys")
	}
	if got := failures(t); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Fatalf("counted in advance: %v", got)
	}

	// The user's row is locked by another transaction: the statement waits
	// for it without holding a counter row.
	held := testdb.HoldUserLock(t, d, uid)
	type created struct {
		s   *session.Session
		err error
	}
	done := make(chan created, 1)
	go func() {
		_, s, err := m.Create(ctx, d, session.Spec{UserID: uid, Level: db.LevelPending, Method: "totp"}, db.LockUserClause(d, uid), cleared)
		done <- created{s, err}
	}()
	held.AwaitWaiter(t)
	probe, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := probe.NewRaw(`SELECT count(*) FROM (SELECT 1 FROM throttles WHERE key IN (?) FOR UPDATE NOWAIT) x`,
		bun.List([]string{keys[0].Name, keys[1].Name})).Scan(ctx, &n); err != nil || n != 2 {
		t.Fatalf("counter rows while the statement waits for the user: %d locked by it? %v", n, err)
	}
	probe.Rollback()
	select {
	case got := <-done:
		t.Fatalf("the statement ran while the user was locked: %+v", got)
	default:
	}
	if got := failures(t); got[0] != 1 || got[1] != 1 {
		t.Fatalf("counters reset before the statement ran: %v", got)
	}
	if err := held.Commit(); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.s.ID == 0 {
		t.Fatalf("create: %+v", got)
	}
	if f := failures(t); f[0] != 0 || f[1] != 0 {
		t.Fatalf("counters after the statement: %v, want reset", f)
	}

	// A user that is gone: nothing is written.
	now := c.Now()
	gone := &db.User{Username: "gone", UsernameKey: "gone", PasswordHash: "x", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
	if _, err := d.NewInsert().Model(gone).Returning("id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.NewDelete().Model(gone).WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if a, err = l.Begin(ctx, keys...); err != nil {
		t.Fatal(err)
	}
	cleared, _ = a.SucceededClause(d, db.LockedUser)
	if _, _, err := m.Create(ctx, d, session.Spec{UserID: gone.ID, Level: db.LevelPending}, db.LockUserClause(d, gone.ID), cleared); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("user gone: %v, want ErrNotFound", err)
	}
	if f := failures(t); f[0] != 1 || f[1] != 1 {
		t.Fatalf("counters after a failed statement: %v, want kept", f)
	}
	if n, err := d.NewSelect().Model((*session.Session)(nil)).Where("user_id = ?", gone.ID).Count(ctx); err != nil || n != 0 {
		t.Fatalf("sessions of the user gone: %d %v", n, err)
	}

	// A window key needs a statement of its own.
	w, err := l.Begin(ctx, ratelimit.IPCodeKey("192.0.2.1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.SucceededClause(d, db.LockedUser); ok {
		t.Fatal("a clause for a window key")
	}
}

// TestCreateForAUserGone: a session for a user that does not exist is
// db.ErrNotFound on both engines (the foreign key), and nothing is stored.
func TestCreateForAUserGone(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, _, m, uid := setup(t, url)
		if _, _, err := m.Create(ctx, d, session.Spec{UserID: uid + 1000, Level: db.LevelFull}); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("create for a user gone: %v, want ErrNotFound", err)
		}
		if n, err := d.NewSelect().Model((*session.Session)(nil)).Count(ctx); err != nil || n != 0 {
			t.Fatalf("sessions stored: %d %v", n, err)
		}
	})
}
