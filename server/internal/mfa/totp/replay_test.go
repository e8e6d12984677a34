package totp_test

import (
	"context"
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
