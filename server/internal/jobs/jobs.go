// Package jobs runs the server's background jobs (the janitor, the
// reminders) under database leases, so that of several instances sharing
// one database only one runs a given job at a time.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
)

// Leases takes and gives back named leases for one owner (a server
// instance).
type Leases struct {
	db    *db.DB
	clock clock.Clock
	owner string
}

// NewLeases returns the leases of a new owner: the host name and a random
// suffix, unique per server instance.
func NewLeases(d *db.DB, c clock.Clock) *Leases {
	b := make([]byte, 6)
	rand.Read(b)
	host, _ := os.Hostname()
	return &Leases{db: d, clock: c, owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))}
}

// Owner names this instance in the leases table.
func (l *Leases) Owner() string { return l.owner }

// Acquire takes the lease name for ttl when it is free or expired, in one
// conditional statement, and reports whether it did. A lease held by
// anyone, this owner included, is not taken again before it expires.
func (l *Leases) Acquire(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	now := l.clock.Now()
	res, err := l.db.NewRaw(`INSERT INTO leases (name, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
		WHERE leases.expires_at <= ?`,
		name, l.owner, now, now.Add(ttl), now).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives the lease name back if this owner holds it.
func (l *Leases) Release(ctx context.Context, name string) error {
	_, err := l.db.NewDelete().Model((*db.Lease)(nil)).Where("name = ?", name).Where("owner = ?", l.owner).Exec(ctx)
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Job is one background job.
type Job struct {
	// Name is the job's lease name.
	Name string
	// Every is the time between two runs.
	Every time.Duration
	// Lease bounds a run: another instance may take over a run that holds
	// the lease longer (its process died). Runs are bounded well below it.
	Lease time.Duration
	// Run does one run.
	Run func(ctx context.Context) error
}

// RunOnce runs j if this instance gets its lease, and gives the lease back
// afterwards. It reports whether j ran.
func (l *Leases) RunOnce(ctx context.Context, j Job) (ran bool, err error) {
	ok, err := l.Acquire(ctx, j.Name, j.Lease)
	if err != nil || !ok {
		return false, err
	}
	defer func() {
		// Given back even when the run failed or ctx ended; if this fails
		// too, the lease expires by itself.
		if rerr := l.Release(context.WithoutCancel(ctx), j.Name); rerr != nil && err == nil {
			err = rerr
		}
	}()
	rctx, cancel := context.WithTimeout(ctx, j.Lease)
	defer cancel()
	return true, j.Run(rctx)
}

// Loop runs j every j.Every (real time) until ctx is done, the first time
// after first. Failures are logged; the next run tries again.
func (l *Leases) Loop(ctx context.Context, logger *slog.Logger, first time.Duration, j Job) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ran, err := l.RunOnce(ctx, j); err != nil && ctx.Err() == nil {
			logger.Warn("job failed", "job", j.Name, "err", err)
		} else if !ran {
			logger.Debug("job skipped: another instance holds its lease", "job", j.Name)
		}
		t.Reset(j.Every)
	}
}
