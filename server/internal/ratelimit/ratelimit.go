// Package ratelimit counts failed attempts in the database, so that every
// server instance sees the same limits (API.md, "Limits").
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
)

// Policy says when a key is locked.
type Policy struct {
	// Threshold: failures before the key locks (consecutive failures for a
	// backoff policy; failures within Window for a window policy).
	Threshold int
	// Base and Max set a backoff policy: the lock that starts at the
	// Threshold-th failure lasts Base, then doubles with each further
	// failure, never beyond Max. Success resets the count.
	Base, Max time.Duration
	// Window, when set, makes a window policy instead: at most Threshold
	// failures per Window; success does not reset the count.
	Window time.Duration
}

// Policies of API.md.
var (
	// Backoff: 10 consecutive failures, then 30 s doubling up to 15 min.
	Backoff = Policy{Threshold: 10, Base: 30 * time.Second, Max: 15 * time.Minute}
	// PerUsername: NIST's bound of 100 consecutive failures per account.
	PerUsername = Policy{Threshold: 100, Base: 30 * time.Second, Max: 15 * time.Minute}
	// PerIP: at most 100 failed code attempts per 10 minutes per client IP.
	PerIP = Policy{Threshold: 100, Window: 10 * time.Minute}
)

// Key is one counter and its policy.
type Key struct {
	Name   string
	Policy Policy
}

// LimitedError is returned while a key is locked.
type LimitedError struct {
	RetryAfter time.Duration
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s", e.RetryAfter)
}

// Seconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *LimitedError) Seconds() int {
	s := int(math.Ceil(e.RetryAfter.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// Limiter counts attempts.
type Limiter struct {
	db    *db.DB
	clock clock.Clock
}

// New returns a Limiter.
func New(d *db.DB, c clock.Clock) *Limiter { return &Limiter{db: d, clock: c} }

// Attempt is an attempt that was let through and counted as a failure in
// advance: a parallel attempt sees it. Call Succeeded if it succeeds.
type Attempt struct {
	l        *Limiter
	keys     []Key
	failures map[string]int
}

// Failures is the count of key name including this attempt, as counted in
// advance: the number of consecutive failures if this attempt fails too.
func (a *Attempt) Failures(name string) int { return a.failures[name] }

// Begin lets an attempt through, or returns a *LimitedError when any key is
// locked (and then counts nothing). The attempt is counted as a failure
// before it is checked, so parallel attempts cannot exceed the limit.
func (l *Limiter) Begin(ctx context.Context, keys ...Key) (*Attempt, error) {
	keys = append([]Key(nil), keys...)
	failures := make(map[string]int, len(keys))
	// A fixed order keeps concurrent transactions from deadlocking on
	// PostgreSQL's row locks.
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	err := l.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := l.clock.Now()
		rows := make([]*db.Throttle, len(keys))
		var wait time.Duration
		for i, k := range keys {
			t, err := l.load(ctx, tx, k.Name, now)
			if err != nil {
				return err
			}
			if k.Policy.Window > 0 && !now.Before(t.WindowStart.Add(k.Policy.Window)) {
				t.Failures, t.WindowStart, t.LockedUntil = 0, now, nil
			}
			if d := l.locked(k.Policy, t, now); d > wait {
				wait = d
			}
			rows[i] = t
		}
		if wait > 0 {
			return &LimitedError{RetryAfter: wait}
		}
		for i, k := range keys {
			t := rows[i]
			t.Failures++
			t.UpdatedAt = now
			if k.Policy.Window == 0 && t.Failures >= k.Policy.Threshold {
				until := now.Add(backoff(k.Policy, t.Failures))
				t.LockedUntil = &until
			}
			if _, err := tx.NewUpdate().Model(t).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("count attempt %s: %w", k.Name, err)
			}
			failures[k.Name] = t.Failures
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Attempt{l: l, keys: keys, failures: failures}, nil
}

func (l *Limiter) load(ctx context.Context, tx bun.Tx, name string, now time.Time) (*db.Throttle, error) {
	t := &db.Throttle{Key: name, WindowStart: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(t).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("create counter %s: %w", name, err)
	}
	t = new(db.Throttle)
	q := tx.NewSelect().Model(t).Where("key = ?", name)
	if l.db.Kind == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("load counter %s: %w", name, err)
	}
	return t, nil
}

// locked returns how long t stays locked under p, or 0.
func (l *Limiter) locked(p Policy, t *db.Throttle, now time.Time) time.Duration {
	if p.Window > 0 {
		if t.Failures >= p.Threshold {
			return t.WindowStart.Add(p.Window).Sub(now)
		}
		return 0
	}
	if t.LockedUntil != nil && now.Before(*t.LockedUntil) {
		return t.LockedUntil.Sub(now)
	}
	return 0
}

// backoff is the lock after the n-th consecutive failure.
func backoff(p Policy, n int) time.Duration {
	d := p.Base
	for i := p.Threshold; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Succeeded records that the attempt succeeded: backoff counters are reset;
// window counters take the failure counted in advance back.
func (a *Attempt) Succeeded(ctx context.Context) error {
	return a.l.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := a.l.clock.Now()
		for _, k := range a.keys {
			q := tx.NewUpdate().Model((*db.Throttle)(nil)).Where("key = ?", k.Name).Set("updated_at = ?", now)
			if k.Policy.Window > 0 {
				q = q.Set("failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END")
			} else {
				q = q.Set("failures = 0").Set("locked_until = NULL")
			}
			if _, err := q.Exec(ctx); err != nil {
				return fmt.Errorf("reset counter %s: %w", k.Name, err)
			}
		}
		return nil
	})
}

// Reset removes counters by name (an administrator's reset).
func (l *Limiter) Reset(ctx context.Context, idb bun.IDB, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	if _, err := idb.NewDelete().Model((*db.Throttle)(nil)).Where("key IN (?)", bun.In(names)).Exec(ctx); err != nil {
		return fmt.Errorf("reset counters: %w", err)
	}
	return nil
}

// Prune removes counters untouched for a day that are not locked.
func (l *Limiter) Prune(ctx context.Context) (int64, error) {
	now := l.clock.Now()
	res, err := l.db.NewDelete().Model((*db.Throttle)(nil)).
		Where("updated_at < ?", now.Add(-24*time.Hour)).
		Where("(locked_until IS NULL OR locked_until < ?)", now).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune counters: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
