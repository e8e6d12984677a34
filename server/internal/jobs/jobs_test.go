package jobs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"twofold/server/internal/clock"
	"twofold/server/internal/jobs"
	"twofold/server/internal/testdb"
)

func TestLeases(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testdb.Open(t, url)
		c := clock.NewFake(time.Now())
		a, b := jobs.NewLeases(d, c), jobs.NewLeases(d, c)
		if a.Owner() == b.Owner() {
			t.Fatalf("two instances share the owner %q", a.Owner())
		}
		steps := []struct {
			name string
			do   func() (bool, error)
			want bool
		}{
			{"a takes a free lease", func() (bool, error) { return a.Acquire(ctx, "job", time.Minute) }, true},
			{"b cannot take it", func() (bool, error) { return b.Acquire(ctx, "job", time.Minute) }, false},
			{"a cannot take it twice", func() (bool, error) { return a.Acquire(ctx, "job", time.Minute) }, false},
			{"another name is free", func() (bool, error) { return b.Acquire(ctx, "other", time.Minute) }, true},
			{"b's release does not free a's lease", func() (bool, error) {
				if err := b.Release(ctx, "job"); err != nil {
					return false, err
				}
				return b.Acquire(ctx, "job", time.Minute)
			}, false},
			{"b takes it once it expired", func() (bool, error) {
				c.Advance(time.Minute)
				return b.Acquire(ctx, "job", time.Minute)
			}, true},
			{"a takes it once b released it", func() (bool, error) {
				if err := b.Release(ctx, "job"); err != nil {
					return false, err
				}
				return a.Acquire(ctx, "job", time.Minute)
			}, true},
		}
		for _, s := range steps {
			got, err := s.do()
			if err != nil || got != s.want {
				t.Fatalf("%s: got %v, %v; want %v", s.name, got, err, s.want)
			}
		}
	})
}

// TestParallelAcquireHasOneWinner: instances racing for one lease.
func TestParallelAcquireHasOneWinner(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testdb.Open(t, url)
		c := clock.NewFake(time.Now())
		for round := 0; round < 3; round++ {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				l := jobs.NewLeases(d, c)
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := l.Acquire(ctx, "race", time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("round %d: %d instances got the lease, want 1", round, n)
			}
			c.Advance(time.Minute)
		}
	})
}

// TestRunOnce: a job runs on one instance at a time, gives its lease back,
// and a run that outlives its lease is stopped.
func TestRunOnce(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testdb.Open(t, url)
		c := clock.NewFake(time.Now())
		a, b := jobs.NewLeases(d, c), jobs.NewLeases(d, c)
		var runs atomic.Int32
		inside := make(chan struct{})
		release := make(chan struct{})
		slow := jobs.Job{Name: "slow", Lease: time.Minute, Run: func(ctx context.Context) error {
			runs.Add(1)
			close(inside)
			<-release
			return nil
		}}
		done := make(chan bool)
		go func() {
			ran, err := a.RunOnce(ctx, slow)
			if err != nil {
				t.Error(err)
			}
			done <- ran
		}()
		<-inside
		if ran, err := b.RunOnce(ctx, jobs.Job{Name: "slow", Lease: time.Minute, Run: func(context.Context) error {
			runs.Add(1)
			return nil
		}}); err != nil || ran {
			t.Fatalf("second instance ran the job during the first's run: %v %v", ran, err)
		}
		close(release)
		if !<-done {
			t.Fatal("first instance did not run the job")
		}
		if ran, err := b.RunOnce(ctx, jobs.Job{Name: "slow", Lease: time.Minute, Run: func(context.Context) error {
			runs.Add(1)
			return nil
		}}); err != nil || !ran {
			t.Fatalf("after the first run the lease was not given back: %v %v", ran, err)
		}
		if n := runs.Load(); n != 2 {
			t.Fatalf("%d runs, want 2", n)
		}
		// A run is bounded by its lease.
		_, err := a.RunOnce(ctx, jobs.Job{Name: "bounded", Lease: 50 * time.Millisecond, Run: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}})
		if err == nil {
			t.Fatal("a run past its lease was not stopped")
		}
	})
}
