package ratelimit

import (
	"context"

	"github.com/uptrace/bun"
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
	rows, err := l.upsert(ctx, tx, keys, now)
	if err != nil {
		return err
	}
	wait := l.waitBefore(keys, rows, now)
	if _, err := l.settle(ctx, tx, keys, rows, now, true); err != nil {
		return err
	}
	if wait > 0 {
		return &LimitedError{RetryAfter: wait}
	}
	return nil
}
