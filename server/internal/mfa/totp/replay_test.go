package totp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/secrets"
	"twofold/server/internal/testdb"
)

// beforeStep runs fn once, just before the next statement that records a
// time step (the replay record's UPDATE) reaches the database.
type beforeStep struct {
	mu sync.Mutex
	fn func()
}

func (h *beforeStep) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	h.mu.Lock()
	fn := h.fn
	if fn != nil && strings.HasPrefix(e.Query, "UPDATE") && strings.Contains(e.Query, "last_step") {
		h.fn = nil
	} else {
		fn = nil
	}
	h.mu.Unlock()
	if fn != nil {
		fn()
	}
	return ctx
}

func (h *beforeStep) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestReplayRecordBoundToSecret: a code of the old secret, checked while a
// renewal replaces the secret at the same instant (same enabled_at), must
// not be accepted nor move the new secret's replay record: the record
// belongs to the secret itself, not to a timestamp's equality.
func TestReplayRecordBoundToSecret(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		hook := &beforeStep{}
		d := testdb.Open(t, url, hook)
		c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
		key, err := secrets.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		s := totp.New(key, c, "Twofold", time.Hour)
		now := c.Now()
		u := &db.User{Username: "u", UsernameKey: "u", PasswordHash: "x", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
		if _, err := d.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		enable := func() []byte {
			raw, err := totp.NewSecret()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Begin(ctx, d, u.ID, raw); err != nil {
				t.Fatal(err)
			}
			code, _ := totp.Code(raw, totp.Step(c.Now()), totp.Options{})
			err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, res, err := s.Enable(ctx, tx, u.ID, code)
				if err == nil && !res.OK {
					t.Fatal("enable: code refused")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		old := enable()
		// The confirming code used the current step: check a code of the
		// next step (clock skew) of the old secret, and renew in between.
		oldCode, _ := totp.Code(old, totp.Step(c.Now())+1, totp.Options{})
		var renewed []byte
		hook.mu.Lock()
		hook.fn = func() { renewed = enable() }
		hook.mu.Unlock()
		res, err := s.Verify(ctx, d, u.ID, oldCode)
		if err != nil {
			t.Fatal(err)
		}
		if renewed == nil {
			t.Fatal("the renewal did not run")
		}
		if res.OK {
			t.Fatal("a code of the replaced secret was accepted after the renewal")
		}
		newCode, _ := totp.Code(renewed, totp.Step(c.Now())+1, totp.Options{})
		if res, err := s.Verify(ctx, d, u.ID, newCode); err != nil || !res.OK {
			t.Fatalf("the new secret's next code: %v %v (its replay record was moved)", res, err)
		}
	})
}

// TestLoadLocked: LoadLocked takes the user's row lock (it waits for a
// transaction that holds it) and reads the secret in the same statement.
// The row it read is the one of before the wait: when the transaction it
// waited for used the code's step, or put a new secret in place, the code
// it then checks is refused (the consuming UPDATE checks the row as it is
// then), exactly as a replay. A user without a secret gets no match; a
// user gone, db.ErrNotFound.
func TestLoadLocked(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t, testdb.Postgres(t))
	c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := totp.New(key, c, "Twofold", time.Hour)
	user := func(name string) int64 {
		now := c.Now()
		u := &db.User{Username: name, UsernameKey: name, PasswordHash: "x", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
		if _, err := d.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	enable := func(tx bun.Tx, uid int64) []byte {
		raw, err := totp.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Begin(ctx, tx, uid, raw); err != nil {
			t.Fatal(err)
		}
		code, _ := totp.Code(raw, totp.Step(c.Now()), totp.Options{})
		if _, res, err := s.Enable(ctx, tx, uid, code); err != nil || !res.OK {
			t.Fatalf("enable: %v %v", res, err)
		}
		return raw
	}
	// verifyAfterWait runs LoadLocked while another transaction holds the
	// user's lock and runs held in it, then checks code.
	verifyAfterWait := func(t *testing.T, uid int64, code func() string, held func(tx bun.Tx)) totp.Result {
		t.Helper()
		holder := testdb.HoldUserLock(t, d, uid)
		type result struct {
			res totp.Result
			err error
		}
		done := make(chan result, 1)
		loaded := make(chan struct{})
		go func() {
			var r result
			r.err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				l, err := s.LoadLocked(ctx, tx, uid)
				close(loaded)
				if err != nil {
					return err
				}
				r.res, err = s.VerifyLocked(ctx, tx, uid, l, code())
				return err
			})
			done <- r
		}()
		holder.AwaitWaiter(t)
		select {
		case <-loaded:
			t.Fatal("LoadLocked did not wait for the user's lock")
		default:
		}
		held(holder.Tx)
		if err := holder.Commit(); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.res
	}

	uid := user("u")
	var raw []byte
	if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { raw = enable(tx, uid); return nil }); err != nil {
		t.Fatal(err)
	}
	c.Advance(30 * time.Second)
	now := func() string { code, _ := totp.Code(raw, totp.Step(c.Now()), totp.Options{}); return code }
	// Nothing changed meanwhile: the code is right.
	if res := verifyAfterWait(t, uid, now, func(bun.Tx) {}); !res.OK {
		t.Fatalf("a right code after the wait: %+v", res)
	}
	// The transaction waited for used the code's step.
	c.Advance(30 * time.Second)
	if res := verifyAfterWait(t, uid, now, func(tx bun.Tx) {
		if res, err := s.Verify(ctx, tx, uid, now()); err != nil || !res.OK {
			t.Fatalf("the holder's code: %+v %v", res, err)
		}
	}); res.OK {
		t.Fatal("a code whose step was used while LoadLocked waited was accepted")
	}
	// The transaction waited for put a new secret in place: a code of the
	// old secret (the one read), of a step not used yet, is refused.
	c.Advance(30 * time.Second)
	old := raw
	next := func() string { code, _ := totp.Code(old, totp.Step(c.Now())+1, totp.Options{}); return code }
	if res := verifyAfterWait(t, uid, next, func(tx bun.Tx) { raw = enable(tx, uid) }); res.OK {
		t.Fatal("a code of the secret replaced while LoadLocked waited was accepted")
	}
	c.Advance(30 * time.Second)
	if res := verifyAfterWait(t, uid, now, func(bun.Tx) {}); !res.OK {
		t.Fatalf("the new secret's code: %+v", res)
	}
	// No secret; no user.
	other := user("v")
	err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := s.LoadLocked(ctx, tx, other)
		if err != nil {
			return err
		}
		if res, err := s.VerifyLocked(ctx, tx, other, l, "123456"); err != nil || res.OK {
			t.Fatalf("no secret: %+v %v", res, err)
		}
		if _, err := s.LoadLocked(ctx, tx, other+1000); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a user gone: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
