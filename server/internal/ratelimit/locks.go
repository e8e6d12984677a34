package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
)

// LockedUntilEach is LockedUntil for many groups of keys in one query (a
// page of accounts, each with its AccountLocks): for each group, when the
// lock of any of its keys ends (the latest), or nil when none is locked.
func (l *Limiter) LockedUntilEach(ctx context.Context, idb bun.IDB, groups [][]Key) ([]*time.Time, error) {
	out := make([]*time.Time, len(groups))
	var names []string
	for _, g := range groups {
		for _, k := range g {
			names = append(names, k.Name)
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	var rows []db.Throttle
	if err := idb.NewSelect().Model(&rows).Where("key IN (?)", bun.List(names)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	byName := make(map[string]db.Throttle, len(rows))
	for _, r := range rows {
		byName[r.Key] = r
	}
	now := l.clock.Now()
	for i, g := range groups {
		var wait time.Duration
		for _, k := range g {
			t, ok := byName[k.Name]
			if !ok {
				continue
			}
			roll(k.Policy, &t, now) // on a copy: rows may serve several groups
			wait = max(wait, locked(k.Policy, &t, now))
		}
		if wait > 0 {
			until := now.Add(wait).UTC()
			out[i] = &until
		}
	}
	return out, nil
}
