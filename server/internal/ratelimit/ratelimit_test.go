package ratelimit_test

import (
	"strings"

	"github.com/uptrace/bun"

	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/testdb"
)

func setup(t *testing.T, url string) (*ratelimit.Limiter, *clock.Fake) {
	l, c, _ := setupDB(t, url)
	return l, c
}

func setupDB(t *testing.T, url string) (*ratelimit.Limiter, *clock.Fake, *db.DB) {
	t.Helper()
	d := testdb.Open(t, url)
	c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	return ratelimit.New(d, c), c, d
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
		l, c, d := setupDB(t, url)
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
		if _, err := l.Begin(ctx, ratelimit.Key{Name: "k", Policy: ratelimit.Backoff}); limited(err) == 0 {
			t.Fatalf("expected a lock before success, got %v", err)
		}
		c.Advance(15 * time.Minute)
		a, err := l.Begin(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Succeeded(ctx, d); err != nil {
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
		l, c, d := setupDB(t, url)
		k := ratelimit.Key{Name: "ip", Policy: ratelimit.PerIP}
		for i := 1; i <= 100; i++ {
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
			c.Advance(time.Second)
		}
		// 100 in the first 100 s: locked until the window's count has
		// decayed out of the sliding span.
		got := limited(func() error { _, err := l.Begin(ctx, k); return err }())
		if want := 10*time.Minute - 100*time.Second; got < want || got > want+time.Second {
			t.Fatalf("101st: retry after %v, want about %v", got, want)
		}
		c.Advance(got)
		a, err := l.Begin(ctx, k)
		if err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		// A success takes its advance failure back but keeps the others.
		if err := a.Succeeded(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Begin(ctx, k); err != nil {
			t.Fatalf("the success gave its place back: %v", err)
		}
	})
}

// TestF15SlidingWindow: the per-IP window slides, so a burst at the end of
// one window and another at the start of the next cannot add up to twice
// the limit (a fixed window let ~199 failures into one 10-minute span).
// The sliding estimate weighs the previous window evenly, so a burst that
// was all at its end may let a few more through: at most a fifth more.
func TestF15SlidingWindow(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, c := setup(t, url)
		k := ratelimit.Key{Name: "ip", Policy: ratelimit.PerIP}
		var accepted []time.Time
		try := func() {
			if _, err := l.Begin(ctx, k); err == nil {
				accepted = append(accepted, c.Now())
			} else if limited(err) == 0 {
				t.Fatal(err)
			}
		}
		try() // opens the window
		c.Advance(9 * time.Minute)
		for i := 0; i < 240; i++ { // one a second across the window's end
			try()
			c.Advance(time.Second)
		}
		worst := 0
		for i := range accepted {
			n := 0
			for j := i; j < len(accepted) && accepted[j].Sub(accepted[i]) < 10*time.Minute; j++ {
				n++
			}
			worst = max(worst, n)
		}
		if worst > 120 {
			t.Fatalf("%d failures fell into one 10-minute span, want at most 120", worst)
		}
		// And it recovers: 40 minutes later, the full allowance again.
		c.Advance(40 * time.Minute)
		for i := 0; i < 100; i++ {
			if _, err := l.Begin(ctx, k); err != nil {
				t.Fatalf("after the window passed, attempt %d: %v", i+1, err)
			}
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

// TestInTransaction: Take counts and locks like Begin; Fail counts whatever
// the state; Check reads without writing; Clear resets backoff keys only;
// Return takes a count back; Reset removes by name and by prefix.
func TestInTransaction(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, c, d := setupDB(t, url)
		acct := ratelimit.AccountCodeKey(7)
		ip := ratelimit.IPCodeKey("192.0.2.1")
		tx := func(fn func(tx bun.Tx) error) error {
			return d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
		}
		for i := 1; i <= 10; i++ {
			var counts map[string]int
			if err := tx(func(tx bun.Tx) error {
				var err error
				counts, err = l.Fail(ctx, tx, acct, ip)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if counts[acct.Name] != i || counts[ip.Name] != i {
				t.Fatalf("failure %d: counts %v", i, counts)
			}
		}
		if got := limited(l.Check(ctx, d, acct)); got != 30*time.Second {
			t.Fatalf("account after 10 failures: retry after %v", got)
		}
		if err := l.Check(ctx, d, ip); err != nil {
			t.Fatalf("ip after 10 failures: %v", err)
		}
		if err := tx(func(tx bun.Tx) error { _, err := l.Take(ctx, tx, acct); return err }); limited(err) == 0 {
			t.Fatalf("take on a locked key: %v", err)
		}
		until, err := l.LockedUntil(ctx, d, ratelimit.AccountLocks(7, "bob")...)
		if err != nil || until == nil || !until.Equal(c.Now().Add(30*time.Second)) {
			t.Fatalf("locked until %v %v", until, err)
		}
		// Clear resets the account's streak, not the IP's window.
		if err := l.Clear(ctx, d, acct, ip); err != nil {
			t.Fatal(err)
		}
		if err := l.Check(ctx, d, acct); err != nil {
			t.Fatalf("after clear: %v", err)
		}
		var row db.Throttle
		if err := d.NewSelect().Model(&row).Where("key = ?", ip.Name).Scan(ctx); err != nil || row.Failures != 10 {
			t.Fatalf("ip row after clear: %+v %v", row, err)
		}
		// Return takes back what Take counted.
		mail := ratelimit.CodeMailKey(7)
		at := c.Now()
		for i := 0; i < 10; i++ {
			if err := tx(func(tx bun.Tx) error { _, err := l.Take(ctx, tx, mail); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Check(ctx, d, mail); limited(err) == 0 {
			t.Fatal("11th mail not limited")
		}
		if err := l.Return(ctx, d, at, mail); err != nil {
			t.Fatal(err)
		}
		if err := l.Check(ctx, d, mail); err != nil {
			t.Fatalf("after a return: %v", err)
		}
		// Reset by prefix: the user's per-IP password counters only.
		for _, k := range append(ratelimit.PasswordKeys("bob", "192.0.2.1"), ratelimit.PasswordKeys("bob", "192.0.2.2")[0],
			ratelimit.PasswordKeys("bob_", "192.0.2.1")[0], ratelimit.DeviceKey(7, "abc")) {
			if err := tx(func(tx bun.Tx) error { _, err := l.Fail(ctx, tx, k); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Reset(ctx, d, ratelimit.AccountResets(7, "bob")...); err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := d.NewSelect().Model((*db.Throttle)(nil)).Column("key").Order("key").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		want := []string{ip.Name, mail.Name, "pw:ui:bob_|192.0.2.1"}
		if strings.Join(left, ",") != strings.Join(want, ",") {
			t.Fatalf("after reset: %v, want %v", left, want)
		}
	})
}

// TestCancelTakesTheAttemptBack: an attempt that could not be decided (a
// 5xx) does not count.
func TestCancelTakesTheAttemptBack(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		l, _ := setup(t, url)
		keys := ratelimit.PasswordKeys("bob", "192.0.2.1")
		for i := 0; i < 30; i++ {
			a, err := l.Begin(ctx, keys...)
			if err != nil {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
			if err := a.Cancel(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestCountCountsEvenWhenLimited: Count counts every event, reports the
// limit past it, and runs the same statements either way.
func TestCountCountsEvenWhenLimited(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		probe := &testdb.Probe{}
		d := testdb.Open(t, url, probe)
		c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
		l := ratelimit.New(d, c)
		k := ratelimit.Key{Name: "count", Policy: ratelimit.Policy{Threshold: 3, Window: time.Hour}}
		var shapes []int
		for i := 1; i <= 5; i++ {
			probe.Reset(0)
			var err error
			if terr := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				err = l.Count(ctx, tx, k)
				if limited(err) > 0 {
					return nil // commit: the event counts
				}
				return err
			}); terr != nil {
				t.Fatal(terr)
			}
			if wantLimited := i > 3; (limited(err) > 0) != wantLimited || (err != nil && limited(err) == 0) {
				t.Fatalf("event %d: %v, limited wanted: %v", i, err, wantLimited)
			}
			shapes = append(shapes, len(probe.Statements()))
		}
		for i, n := range shapes {
			if n != shapes[0] {
				t.Fatalf("statements per event %v: event %d differs", shapes, i+1)
			}
		}
		var row db.Throttle
		if err := d.NewSelect().Model(&row).Where("key = ?", k.Name).Scan(ctx); err != nil || row.Failures != 5 {
			t.Fatalf("count %d (%v), want 5: refused events count too", row.Failures, err)
		}
		c.Advance(2 * time.Hour)
		if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return l.Count(ctx, tx, k) }); err != nil {
			t.Fatalf("two windows later: %v", err)
		}
	})
}

// TestFamily: a key's family (a metrics label) keeps its kind and drops
// what identifies its subject: username, IP, user id.
func TestFamily(t *testing.T) {
	for _, k := range []struct{ key ratelimit.Key }{
		{ratelimit.PasswordKeys("alice", "192.0.2.1")[0]}, {ratelimit.PasswordKeys("alice", "192.0.2.1")[1]},
		{ratelimit.IPCodeKey("2001:db8::1")}, {ratelimit.AccountCodeKey(7)}, {ratelimit.ResetLoginKey("alice@example.com")},
	} {
		f := ratelimit.Family(k.key.Name)
		if strings.Contains(f, "alice") || strings.Contains(f, "192") || strings.Contains(f, "db8") || strings.Contains(f, "7") || !strings.HasPrefix(k.key.Name, f+":") {
			t.Errorf("Family(%q) = %q", k.key.Name, f)
		}
	}
}

// TestBeginAndFailStatements: Begin and Fail count on all their keys in
// one statement while no policy has anything to add; a count that reaches
// a lock, or an event in a new window, writes the row once more; a locked
// key is refused and counts nothing.
func TestBeginAndFailStatements(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		probe := &testdb.Probe{}
		d := testdb.Open(t, url, probe)
		c := clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
		l := ratelimit.New(d, c)
		backoff := ratelimit.Key{Name: "b", Policy: ratelimit.Policy{Threshold: 3, Base: time.Minute, Max: time.Hour}}
		window := ratelimit.Key{Name: "w", Policy: ratelimit.Policy{Threshold: 100, Window: time.Hour}}
		stored := func(name string) db.Throttle {
			t.Helper()
			var row db.Throttle
			if err := d.NewSelect().Model(&row).Where("key = ?", name).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return row
		}
		begin := func(wantStatements, wantFailures int) {
			t.Helper()
			probe.Reset(0)
			a, err := l.Begin(ctx, window, backoff)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(probe.Statements()); n != wantStatements {
				t.Fatalf("Begin: %d statements, want %d:\n%s", n, wantStatements, strings.Join(probe.Statements(), "\n"))
			}
			if a.Failures("b") != wantFailures || stored("b").Failures != wantFailures {
				t.Fatalf("failures %d (stored %d), want %d", a.Failures("b"), stored("b").Failures, wantFailures)
			}
		}
		begin(1, 1) // both rows created
		begin(1, 2)
		begin(2, 3) // the third failure locks b
		if r := stored("b"); r.LockedUntil == nil || !r.LockedUntil.Equal(c.Now().Add(time.Minute)) {
			t.Fatalf("lock of b: %v, want %v", r.LockedUntil, c.Now().Add(time.Minute))
		}
		probe.Reset(0)
		if _, err := l.Begin(ctx, window, backoff); limited(err) == 0 {
			t.Fatalf("Begin on a locked key: %v", err)
		}
		if b, w := stored("b"), stored("w"); b.Failures != 3 || w.Failures != 3 {
			t.Fatalf("a refused attempt counted: b %d, w %d", b.Failures, w.Failures)
		}
		c.Advance(61 * time.Minute) // b's lock is over; w is in its next window
		probe.Reset(0)
		var counts map[string]int
		if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			counts, err = l.Fail(ctx, tx, backoff, window)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n := len(probe.Statements()); n != 3 {
			t.Fatalf("Fail with a roll-over and a lock: %d statements, want 3:\n%s", n, strings.Join(probe.Statements(), "\n"))
		}
		w := stored("w")
		if counts["w"] != 1 || w.Failures != 1 || w.PrevFailures != 3 || !w.WindowStart.Equal(time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)) {
			t.Fatalf("w after its window: %+v (count %d)", w, counts["w"])
		}
		if b := stored("b"); counts["b"] != 4 || b.Failures != 4 || b.LockedUntil == nil || !b.LockedUntil.Equal(c.Now().Add(2*time.Minute)) {
			t.Fatalf("b: %+v (count %d), want 4 failures locked for 2 minutes", b, counts["b"])
		}
	})
}
