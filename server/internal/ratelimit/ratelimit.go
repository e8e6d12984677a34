// Package ratelimit counts attempts in the database, so that every server
// instance sees the same limits (API.md, "Limits"). It owns the names of
// its counters: the key builders of keys.go are the only place they are
// spelled.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
)

// Policy says when a key is locked.
type Policy struct {
	// Threshold: failures before the key locks (consecutive failures for a
	// backoff policy; events within Window for a window policy).
	Threshold int
	// Base and Max set a backoff policy: the lock that starts at the
	// Threshold-th failure lasts Base, then doubles with each further
	// failure, never beyond Max. Success resets the count.
	Base, Max time.Duration
	// Window, when set, makes a sliding-window policy instead: at most
	// Threshold events in any span of Window (estimated from the current
	// and the previous window); success does not reset the count.
	Window time.Duration
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
	// OnHit, if set, is told the family of each key (Family) that refuses
	// a request (metrics).
	OnHit func(family string)
}

// Family is the kind of a key without what identifies its subject (user
// id, username, IP): "pw:ui", "2fa:u", "mail:u"...
func Family(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		if j := strings.IndexByte(name[i+1:], ':'); j >= 0 {
			return name[:i+1+j]
		}
	}
	return "other"
}

// hit reports the keys that lock (their wait is positive).
func (l *Limiter) hit(k Key, wait time.Duration) {
	if l.OnHit != nil && wait > 0 {
		l.OnHit(Family(k.Name))
	}
}

// New returns a Limiter.
func New(d *db.DB, c clock.Clock) *Limiter { return &Limiter{db: d, clock: c} }

// Attempt is an attempt that was let through and counted as a failure in
// advance, so a parallel attempt sees it (Begin). Settle it with Succeeded
// when it succeeds, or Cancel when it could not be checked at all.
type Attempt struct {
	l        *Limiter
	keys     []Key
	failures map[string]int
	at       time.Time
}

// Failures is the count of key name including this attempt, as counted in
// advance: the number of consecutive failures if this attempt fails too.
func (a *Attempt) Failures(name string) int { return a.failures[name] }

// Begin lets an attempt through, or returns a *LimitedError when any key is
// locked (and then counts nothing). The attempt is counted as a failure in
// its own transaction before it is checked, so parallel attempts cannot
// exceed the limit even when the check is slow (a password hash).
func (l *Limiter) Begin(ctx context.Context, keys ...Key) (*Attempt, error) {
	var failures map[string]int
	err := l.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The transaction rolls back when a key is locked, so the event is
		// counted first (one statement for every key) and the locks are
		// checked on the counts before it: what Take does, in fewer
		// statements.
		keys := sorted(keys)
		now := l.clock.Now()
		rows, err := l.upsert(ctx, tx, keys, now)
		if err != nil {
			return err
		}
		if wait := l.waitBefore(keys, rows, now); wait > 0 {
			return &LimitedError{RetryAfter: wait}
		}
		failures, err = l.settle(ctx, tx, keys, rows, now, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Attempt{l: l, keys: sorted(keys), failures: failures, at: l.clock.Now()}, nil
}

// Succeeded records within idb (the transaction that does the work) that
// the attempt succeeded: backoff counters are reset; window counters take
// the failure counted in advance back.
func (a *Attempt) Succeeded(ctx context.Context, idb bun.IDB) error {
	if err := a.l.Clear(ctx, idb, a.keys...); err != nil {
		return err
	}
	return a.l.untake(ctx, idb, a.at, true, a.keys...)
}

// SucceededClause is Succeeded as a data-modifying WITH clause of another
// statement (db.Clause, PostgreSQL only), run after the clause named after,
// which it reads (db.LockedUser: the user's lock comes first). ok is false
// when Succeeded takes more than that statement: a window key's failure is
// taken back by one of its own.
func (a *Attempt) SucceededClause(idb bun.IDB, after string) (c db.Clause, ok bool) {
	for _, k := range a.keys {
		if k.Policy.Window > 0 {
			return db.Clause{}, false
		}
	}
	names := toAny(keyNames(a.keys))
	now := a.l.clock.Now()
	return db.Clause{Name: "cleared_counters", Build: func(first int) (bun.Query, []any) {
		return a.l.clearQuery(idb, first, len(names)).Where("EXISTS (SELECT 1 FROM ?)", bun.Ident(after)),
			append([]any{now}, names...)
	}}, true
}

// Cancel takes back the failure counted in advance by Begin, for an
// attempt that could not be decided (the database or a dependency failed:
// a 5xx never counts as a failed attempt). It runs in a transaction of
// its own.
func (a *Attempt) Cancel(ctx context.Context) error {
	return a.l.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return a.l.untake(ctx, tx, a.at, false, a.keys...)
	})
}

func sorted(keys []Key) []Key {
	keys = slices.Clone(keys)
	// A fixed order keeps concurrent transactions from deadlocking on
	// PostgreSQL's row locks.
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(keys, func(a, b Key) bool { return a.Name == b.Name })
}

// Take counts one event on every key within tx, or returns a
// *LimitedError (counting nothing) when any key is locked. It locks the
// keys' rows (in key order) until tx ends. It returns each key's count
// including this event.
func (l *Limiter) Take(ctx context.Context, tx bun.Tx, keys ...Key) (map[string]int, error) {
	keys = sorted(keys)
	now := l.clock.Now()
	rows := make([]*db.Throttle, len(keys))
	var wait time.Duration
	for i, k := range keys {
		t, err := l.lock(ctx, tx, k.Name, now)
		if err != nil {
			return nil, err
		}
		roll(k.Policy, t, now)
		w := locked(k.Policy, t, now)
		l.hit(k, w)
		wait = max(wait, w)
		rows[i] = t
	}
	if wait > 0 {
		return nil, &LimitedError{RetryAfter: wait}
	}
	return l.count(ctx, tx, keys, rows, now)
}

// Fail counts one failure on every key within tx, whatever their state,
// locking their rows (in key order), and returns each key's count
// including it. Use it after a check that was made under Check.
func (l *Limiter) Fail(ctx context.Context, tx bun.Tx, keys ...Key) (map[string]int, error) {
	keys = sorted(keys)
	now := l.clock.Now()
	rows, err := l.upsert(ctx, tx, keys, now)
	if err != nil {
		return nil, err
	}
	return l.settle(ctx, tx, keys, rows, now, false)
}

// waitBefore is how long the most locked of keys was locked before
// upsert counted this event on their rows (0: none was), reporting each
// locked key (hit).
func (l *Limiter) waitBefore(keys []Key, rows []db.Throttle, now time.Time) time.Duration {
	var wait time.Duration
	for i, k := range keys {
		t := before(k.Policy, rows[i], now)
		w := locked(k.Policy, &t, now)
		l.hit(k, w)
		wait = max(wait, w)
	}
	return wait
}

// before is the row of a counter as it was before upsert counted the
// event (stored: as upsert left it), moved to the window of now.
func before(p Policy, stored db.Throttle, now time.Time) db.Throttle {
	t := stored
	t.Failures--
	roll(p, &t, now)
	return t
}

// upsert counts one event on every key (sorted) within tx in one
// statement: a missing row is created with the event, an existing row's
// failures go up by one. The rows stay locked until tx ends (PostgreSQL
// locks them in the order of the keys, like SELECT ... FOR UPDATE; SQLite's
// immediate transactions are serial). What the policies make of the count
// (a new window, a lock) is settled by settle.
func (l *Limiter) upsert(ctx context.Context, tx bun.Tx, keys []Key, now time.Time) ([]db.Throttle, error) {
	// Written by hand, with placeholders, to be prepared (db.Prepared):
	// one text per number of keys.
	var values strings.Builder
	args := []any{now}
	for i, k := range keys {
		if i > 0 {
			values.WriteString(", ")
		}
		args = append(args, k.Name)
		fmt.Fprintf(&values, "($%d, 1, 0, $1, NULL, $1)", len(args))
	}
	var got []db.Throttle
	err := tx.NewRaw(`INSERT INTO "throttles" AS "throttle" ("key", "failures", "prev_failures", "window_start", "locked_until", "updated_at") VALUES `+
		values.String()+` ON CONFLICT (key) DO UPDATE SET failures = "throttle".failures + 1, updated_at = EXCLUDED.updated_at`+
		` RETURNING "key", "failures", "prev_failures", "window_start", "locked_until", "updated_at"`).
		Conn(db.Prepared(tx, args...)).Scan(ctx, &got)
	if err != nil {
		return nil, fmt.Errorf("count attempt %s: %w", keys[0].Name, err)
	}
	// RETURNING's order is SQLite's choice: the rows are matched by key.
	rows := make([]db.Throttle, len(keys))
	for i, k := range keys {
		j := slices.IndexFunc(got, func(t db.Throttle) bool { return t.Key == k.Name })
		if j < 0 {
			return nil, fmt.Errorf("count attempt %s: no row returned", k.Name)
		}
		rows[i] = got[j]
	}
	return rows, nil
}

// settle applies the policies to the events counted by upsert: a row
// whose window rolled over or whose count reaches a lock is written again
// (always, when constant is set, so that the statements do not depend on
// the counters' state). It returns each key's count including the event.
func (l *Limiter) settle(ctx context.Context, tx bun.Tx, keys []Key, rows []db.Throttle, now time.Time, constant bool) (map[string]int, error) {
	counts := make(map[string]int, len(keys))
	for i, k := range keys {
		t := before(k.Policy, rows[i], now)
		next(k.Policy, &t, now)
		counts[k.Name] = t.Failures
		if !constant && sameCount(&t, &rows[i]) {
			continue
		}
		if _, err := tx.NewUpdate().Model(&t).WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("count attempt %s: %w", k.Name, err)
		}
	}
	return counts, nil
}

// sameCount reports whether two rows of a counter hold the same state.
func sameCount(a, b *db.Throttle) bool {
	sameTime := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return a.Failures == b.Failures && a.PrevFailures == b.PrevFailures && a.WindowStart.Equal(b.WindowStart) &&
		sameTime(a.LockedUntil, b.LockedUntil)
}

// next counts one event on t (rolled to the window of now): a backoff
// key locks from its threshold on.
func next(p Policy, t *db.Throttle, now time.Time) {
	t.Failures++
	t.UpdatedAt = now
	if p.Window == 0 && t.Failures >= p.Threshold {
		until := now.Add(backoff(p, t.Failures))
		t.LockedUntil = &until
	}
}

func (l *Limiter) count(ctx context.Context, tx bun.Tx, keys []Key, rows []*db.Throttle, now time.Time) (map[string]int, error) {
	counts := make(map[string]int, len(keys))
	for i, k := range keys {
		t := rows[i]
		next(k.Policy, t, now)
		if _, err := tx.NewUpdate().Model(t).WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("count attempt %s: %w", k.Name, err)
		}
		counts[k.Name] = t.Failures
	}
	return counts, nil
}

// clearQuery resets n backoff counters: its placeholders, from Arg(first)
// on, are the time, then the keys.
func (l *Limiter) clearQuery(idb bun.IDB, first, n int) *bun.UpdateQuery {
	return idb.NewUpdate().Model((*db.Throttle)(nil)).
		Set("failures = 0").Set("locked_until = NULL").Set("updated_at = ?", db.Arg(first)).
		Where("key IN (?)", db.Args(first+1, n)).Where("failures > 0")
}

func keyNames(keys []Key) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	return names
}

// Check returns a *LimitedError when any key is locked now. It reads
// without locking or writing: a check made under a lock the caller holds
// (db.LockUser for an account's counters) is exact; otherwise it is as
// fresh as the last committed count.
func (l *Limiter) Check(ctx context.Context, idb bun.IDB, keys ...Key) error {
	_, err := l.CheckCounts(ctx, idb, keys...)
	return err
}

// CheckCounts is Check that also returns the count of each key as read
// (0 for a key without a row; a window key's in the current window), so
// that a caller holding the lock knows whether a success has anything to
// Clear.
func (l *Limiter) CheckCounts(ctx context.Context, idb bun.IDB, keys ...Key) (map[string]int, error) {
	counts := make(map[string]int, len(keys))
	if len(keys) == 0 {
		return counts, nil
	}
	names := keyNames(keys)
	var rows []db.Throttle
	if err := idb.NewSelect().Model(&rows).Where("key IN (?)", db.Args(1, len(names))).
		Conn(db.Prepared(idb, toAny(names)...)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	now := l.clock.Now()
	var wait time.Duration
	for _, k := range keys {
		for i := range rows {
			if t := &rows[i]; t.Key == k.Name {
				roll(k.Policy, t, now)
				w := locked(k.Policy, t, now)
				l.hit(k, w)
				wait = max(wait, w)
				counts[k.Name] = t.Failures
			}
		}
	}
	if wait > 0 {
		return nil, &LimitedError{RetryAfter: wait}
	}
	return counts, nil
}

// Clear resets the backoff keys among keys within idb (a success); window
// keys are left alone: they count failures, not streaks.
func (l *Limiter) Clear(ctx context.Context, idb bun.IDB, keys ...Key) error {
	var names []string
	for _, k := range sorted(keys) {
		if k.Policy.Window == 0 {
			names = append(names, k.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	_, err := l.clearQuery(idb, 1, len(names)).
		Conn(db.Prepared(idb, append([]any{l.clock.Now()}, toAny(names)...)...)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("reset counters: %w", err)
	}
	return nil
}

// Return takes back within idb one event counted by Take at 'at' on keys
// (an email that could not be delivered does not count toward the cap).
func (l *Limiter) Return(ctx context.Context, idb bun.IDB, at time.Time, keys ...Key) error {
	return l.untake(ctx, idb, at, false, keys...)
}

// untake takes back one event counted at 'at' on keys: on window keys,
// and (unless cleared, for a success) on backoff keys, whose lock is lifted
// when the count falls below the threshold.
func (l *Limiter) untake(ctx context.Context, idb bun.IDB, at time.Time, cleared bool, keys ...Key) error {
	now := l.clock.Now()
	for _, k := range sorted(keys) {
		q := idb.NewUpdate().Model((*db.Throttle)(nil)).Where("key = ?", k.Name).Where("failures > 0").
			Set("failures = failures - 1").Set("updated_at = ?", now)
		switch {
		case k.Policy.Window > 0:
			// Only while the window that counted it is still the current one.
			q = q.Where("window_start <= ?", at)
		case cleared:
			continue
		default:
			q = q.Set("locked_until = CASE WHEN failures - 1 < ? THEN NULL ELSE locked_until END", k.Policy.Threshold)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("take back attempt %s: %w", k.Name, err)
		}
	}
	return nil
}

// lock returns the row of name within tx, creating it, locked until tx
// ends (PostgreSQL; SQLite's immediate transactions are serial).
func (l *Limiter) lock(ctx context.Context, tx bun.Tx, name string, now time.Time) (*db.Throttle, error) {
	t := &db.Throttle{Key: name, WindowStart: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(t).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("create counter %s: %w", name, err)
	}
	t = new(db.Throttle)
	if err := l.db.ForUpdate(tx.NewSelect().Model(t).Where("key = ?", name)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load counter %s: %w", name, err)
	}
	return t, nil
}

// roll moves a window row to the window of now: the current count becomes
// the previous one when now is in the next window, and both are dropped
// after two windows.
func roll(p Policy, t *db.Throttle, now time.Time) {
	if p.Window == 0 || now.Before(t.WindowStart.Add(p.Window)) {
		return
	}
	k := now.Sub(t.WindowStart) / p.Window
	if k == 1 {
		t.PrevFailures = t.Failures
	} else {
		t.PrevFailures = 0
	}
	t.Failures = 0
	t.WindowStart = t.WindowStart.Add(k * p.Window)
	t.LockedUntil = nil
}

// locked returns how long t stays locked under p, or 0.
func locked(p Policy, t *db.Throttle, now time.Time) time.Duration {
	if p.Window > 0 {
		return windowWait(p, t, now)
	}
	if t.LockedUntil != nil && now.Before(*t.LockedUntil) {
		return t.LockedUntil.Sub(now)
	}
	return 0
}

// windowWait is how long until the sliding estimate of a window row falls
// below the threshold (0: it is below now). The estimate weighs the
// previous window's count by the part of it still inside the sliding span:
// prev·(1 − elapsed/W) + current.
func windowWait(p Policy, t *db.Throttle, now time.Time) time.Duration {
	w := float64(p.Window)
	elapsed := float64(now.Sub(t.WindowStart))
	limit, cur, prev := float64(p.Threshold), float64(t.Failures), float64(t.PrevFailures)
	if prev*(1-elapsed/w)+cur < limit {
		return 0
	}
	var at float64 // time from the window's start when the estimate drops below
	if cur >= limit {
		// Only after this window ends, once its count has decayed enough.
		at = w + w*(1-limit/cur)
	} else {
		at = w * (1 - (limit-cur)/prev)
	}
	return max(time.Duration(at-elapsed)+time.Millisecond, time.Second)
}

// backoff is the lock after the n-th consecutive failure.
func backoff(p Policy, n int) time.Duration {
	d := p.Base
	for i := p.Threshold; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Reset removes counters by name within idb (an administrator's unlock or
// reset); a name ending in "*" removes every counter with that prefix.
func (l *Limiter) Reset(ctx context.Context, idb bun.IDB, names ...string) error {
	for _, n := range names {
		q := idb.NewDelete().Model((*db.Throttle)(nil))
		if prefix, ok := strings.CutSuffix(n, "*"); ok {
			// Not LIKE (names may hold '_' and '%', and SQLite's LIKE
			// ignores case) nor a range (PostgreSQL's collations may order
			// punctuation unexpectedly): equality of the prefix.
			q = q.Where("substr(key, 1, ?) = ?", utf8.RuneCountInString(prefix), prefix)
		} else {
			q = q.Where("key = ?", n)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("reset counters %s: %w", n, err)
		}
	}
	return nil
}

// LockedUntil returns when the lock of any of keys ends (the latest), or
// nil when none is locked now.
func (l *Limiter) LockedUntil(ctx context.Context, idb bun.IDB, keys ...Key) (*time.Time, error) {
	err := l.Check(ctx, idb, keys...)
	if err == nil {
		return nil, nil
	}
	var le *LimitedError
	if errors.As(err, &le) {
		t := l.clock.Now().Add(le.RetryAfter).UTC()
		return &t, nil
	}
	return nil, err
}

// Prune removes at most limit counters untouched for a day that are not
// locked.
func (l *Limiter) Prune(ctx context.Context, limit int) (int64, error) {
	now := l.clock.Now()
	keys := l.db.NewSelect().Model((*db.Throttle)(nil)).Column("key").
		Where("updated_at < ?", now.Add(-24*time.Hour)).
		Where("(locked_until IS NULL OR locked_until < ?)", now).Limit(int64(limit))
	res, err := l.db.NewDelete().Model((*db.Throttle)(nil)).Where("key IN (?)", keys).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune counters: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// toAny returns names as the arguments of a prepared statement.
func toAny(names []string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}
