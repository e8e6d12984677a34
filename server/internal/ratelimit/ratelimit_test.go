package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/clock"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/testdb"
)

func setup(t *testing.T, url string) (*ratelimit.Limiter, *clock.Fake) {
	t.Helper()
	d := testdb.Open(t, url)
	c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	return ratelimit.New(d, c), c
}

func limited(err error) time.Duration {
	var le *ratelimit.LimitedError
	if errors.As(err, &le) {
		return le.RetryAfter
	}
	return 0
}

func TestBackoff(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, c := setup(t, url)
		k := ratelimit.Key{Name: "k", Policy: ratelimit.Backoff}
		for i := 1; i <= 10; i++ {
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		wants := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
		for i, want := range wants {
			_, err := l.Begin(ctx, k)
			if got := limited(err); got != want {
				t.Fatalf("lock %d: %v, want %v", i+1, got, want)
			}
			c.Advance(want)
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("after lock %d: %v", i+1, err)
			}
		}
		// Success resets.
		a, err := l.Begin(ctx, ratelimit.Key{Name: "k", Policy: ratelimit.Backoff})
		if limited(err) == 0 {
			t.Fatalf("expected a lock before success, got %v", err)
		}
		c.Advance(15 * time.Minute)
		if a, err = l.Begin(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := a.Succeeded(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 10; i++ {
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("after success, attempt %d: %v", i, err)
			}
		}
	})
}

func TestWindow(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, c := setup(t, url)
		k := ratelimit.Key{Name: "ip", Policy: ratelimit.PerIP}
		for i := 1; i <= 100; i++ {
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
			c.Advance(time.Second)
		}
		if got := limited(func() error { _, err := l.Begin(ctx, k); return err }()); got != 10*time.Minute-100*time.Second {
			t.Fatalf("101st: retry after %v", got)
		}
		c.Advance(10*time.Minute - 100*time.Second)
		a, err := l.Begin(ctx, k)
		if err != nil {
			t.Fatalf("new window: %v", err)
		}
		// A success takes its advance failure back but keeps the others.
		if err := a.Succeeded(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 100; i++ {
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("window 2, attempt %d: %v", i, err)
			}
		}
		if _, err := l.Begin(ctx, k); limited(err) == 0 {
			t.Fatal("101st failure of window 2 let through")
		}
	})
}

func TestConcurrentAttemptsStopAtTheLimit(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, _ := setup(t, url)
		keys := []ratelimit.Key{{Name: "user", Policy: ratelimit.Backoff}, {Name: "ip", Policy: ratelimit.PerIP}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		through, blocked := 0, 0
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := l.Begin(ctx, keys...)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					through++
				case limited(err) > 0:
					blocked++
				default:
					t.Errorf("begin: %v", err)
				}
			}()
		}
		wg.Wait()
		if through != 10 || blocked != 20 {
			t.Fatalf("through %d blocked %d, want 10 and 20", through, blocked)
		}
	})
}

func TestLockedKeyCountsNothing(t *testing.T) {
	ctx := context.Background()
	l, c := setup(t, testdb.SQLite(t))
	user := ratelimit.Key{Name: "user", Policy: ratelimit.Backoff}
	ip := ratelimit.Key{Name: "ip", Policy: ratelimit.PerIP}
	for i := 0; i < 10; i++ {
		l.Begin(ctx, user, ip)
	}
	for i := 0; i < 50; i++ {
		if _, err := l.Begin(ctx, user, ip); limited(err) == 0 {
			t.Fatal("not limited")
		}
	}
	// The IP counted only the 10 attempts let through.
	c.Advance(time.Second)
	for i := 0; i < 90; i++ {
		if _, err := l.Begin(ctx, ip); err != nil {
			t.Fatalf("ip attempt %d: %v", 11+i, err)
		}
	}
	if _, err := l.Begin(ctx, ip); limited(err) == 0 {
		t.Fatal("ip not limited at 101")
	}
}
