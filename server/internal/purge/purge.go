// Package purge is the background job that removes what has expired from
// the database (sessions and pending sign-ins, old counters, used or
// expired reset links, forgotten RustDesk clients) in bounded batches.
// Events are never removed: they are the users' security history.
package purge

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Defaults of a Job.
const (
	// DefaultBatch bounds the rows one statement deletes, so that a purge
	// never holds locks on a large part of a table (on SQLite: the one
	// writer) for long.
	DefaultBatch = 500
	// DefaultMaxBatches bounds the statements of one sweep in one run; what
	// is left is removed by the next run.
	DefaultMaxBatches = 100
)

// Sweep removes one kind of expired rows.
type Sweep struct {
	// Name labels the count in the log.
	Name string
	// Delete removes at most limit expired rows and returns how many.
	Delete func(ctx context.Context, limit int) (int64, error)
}

// Job runs its sweeps, each batch by batch until a batch comes back short
// or MaxBatches were done. It is run under a lease (jobs.Leases), so of
// several instances one purges at a time; the sweeps are idempotent
// anyway.
type Job struct {
	Logger *slog.Logger
	Sweeps []Sweep
	// Batch and MaxBatches: 0 means DefaultBatch and DefaultMaxBatches.
	Batch, MaxBatches int
	// Pause is the time between two batches of a sweep (0: none), which
	// lets other writers in between.
	Pause time.Duration
}

// Report counts the rows a run removed, by sweep name.
type Report map[string]int64

// Run does one purge. It logs the counts (msg=purge) and returns them with
// the errors of the sweeps that failed; the other sweeps still run.
func (j *Job) Run(ctx context.Context) (Report, error) {
	batch := j.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	maxBatches := j.MaxBatches
	if maxBatches <= 0 {
		maxBatches = DefaultMaxBatches
	}
	rep := Report{}
	var errs []error
	attrs := []any{}
	var total int64
	for _, sw := range j.Sweeps {
		n, err := j.sweep(ctx, sw, batch, maxBatches)
		if err != nil {
			errs = append(errs, err)
		}
		rep[sw.Name] = n
		total += n
		attrs = append(attrs, sw.Name, n)
	}
	err := errors.Join(errs...)
	level := slog.LevelDebug
	if total > 0 || err != nil {
		level = slog.LevelInfo
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	j.Logger.Log(ctx, level, "purge", attrs...)
	return rep, err
}

// sweep runs sw batch by batch.
func (j *Job) sweep(ctx context.Context, sw Sweep, batch, maxBatches int) (int64, error) {
	var n int64
	for i := 0; i < maxBatches; i++ {
		if i > 0 && j.Pause > 0 {
			select {
			case <-ctx.Done():
				return n, ctx.Err()
			case <-time.After(j.Pause):
			}
		}
		got, err := sw.Delete(ctx, batch)
		n += got
		if err != nil || got < int64(batch) {
			return n, err
		}
	}
	return n, nil
}
