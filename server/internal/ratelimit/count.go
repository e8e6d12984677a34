package ratelimit

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
)

// Count counts one event on every key within tx whatever their state, and
// returns a *LimitedError when any key was already at its limit (the
// event is counted all the same). Unlike Take, it runs the same
// statements in every case, so its timing does not tell whether a key is
// locked: a password-reset request for an account past its mails takes
// as long as any other.
func (l *Limiter) Count(ctx context.Context, tx bun.Tx, keys ...Key) error {
	keys = sorted(keys)
	now := l.clock.Now()
	rows := make([]*db.Throttle, len(keys))
	var wait time.Duration
	for i, k := range keys {
		t, err := l.lock(ctx, tx, k.Name, now)
		if err != nil {
			return err
		}
		roll(k.Policy, t, now)
		w := locked(k.Policy, t, now)
		l.hit(k, w)
		wait = max(wait, w)
		rows[i] = t
	}
	if _, err := l.count(ctx, tx, keys, rows, now); err != nil {
		return err
	}
	if wait > 0 {
		return &LimitedError{RetryAfter: wait}
	}
	return nil
}
