package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/ratelimit"
	"twofold/server/internal/testdb"
)

// TestLockedUntilEach: one query gives each account's lock, the same as
// LockedUntil account by account.
func TestLockedUntilEach(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, c, d := setupDB(t, url)
		fail := func(k ratelimit.Key, n int) {
			for i := 0; i < n; i++ {
				if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { _, err := l.Fail(ctx, tx, k); return err }); err != nil {
					t.Fatal(err)
				}
			}
		}
		fail(ratelimit.AccountCodeKey(1), 10)             // locked 30 s
		fail(ratelimit.PasswordKeys("carol", "")[1], 101) // per-username lock: 1 min
		fail(ratelimit.AccountCodeKey(3), 9)              // not locked yet
		c.Advance(10 * time.Second)
		groups := [][]ratelimit.Key{
			ratelimit.AccountLocks(1, "alice"), ratelimit.AccountLocks(2, "carol"), ratelimit.AccountLocks(3, "dave"), nil,
		}
		got, err := l.LockedUntilEach(ctx, d, groups)
		if err != nil {
			t.Fatal(err)
		}
		want := []*time.Time{ptr(c.Now().Add(20 * time.Second)), ptr(c.Now().Add(50 * time.Second)), nil, nil}
		for i := range groups {
			one, err := l.LockedUntil(ctx, d, groups[i]...)
			if err != nil {
				t.Fatal(err)
			}
			if !sameTime(got[i], want[i]) || !sameTime(one, want[i]) {
				t.Errorf("group %d: LockedUntilEach %v, LockedUntil %v, want %v", i, got[i], one, want[i])
			}
		}
		if got, err := l.LockedUntilEach(ctx, d, nil); err != nil || len(got) != 0 {
			t.Errorf("no groups: %v %v", got, err)
		}
	})
}

func ptr(t time.Time) *time.Time { return &t }

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
