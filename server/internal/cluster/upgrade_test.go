package cluster

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/servertest"
	"twofold/shared/api"
)

// TestRollingUpgrade: an instance of the current build keeps answering
// while an instance of a newer build (one more migration, which only
// adds) migrates the shared database, works on the migrated schema
// afterwards, and starts again on it: the rule of README "Upgrades with
// several instances".
func TestRollingUpgrade(t *testing.T) {
	oldBin := Build(t)
	newBin := Build(t, "twofold_testmigration")
	c := New(t, nil)
	a := c.Start("A-old", oldBin, nil)
	admin := c.NewClient()
	cookie := sessionCookie(t, admin.On(a).Login("admin", servertest.AdminPassword))

	// Load on the old instance while the new one starts and migrates.
	type answer struct {
		at     time.Time
		status int
		took   time.Duration
	}
	var (
		mu      sync.Mutex
		answers []answer
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			st, _ := do(a, "GET", api.PathAccount, cookie)
			mu.Lock()
			answers = append(answers, answer{start, st, time.Since(start)})
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	b := c.Start("B-new", newBin, nil)
	close(stop)
	wg.Wait()

	migrated := b.LogRecords("database migrated")
	if len(migrated) != 1 || !strings.Contains(strings.Join(anyStrings(migrated[0]["applied"]), ","), "9990_rolling upgrade test") {
		t.Fatalf("B did not apply the new migration: %v", migrated)
	}
	// The migration (2 s and more) ran while A answered.
	migEnd, err := time.Parse(time.RFC3339Nano, migrated[0]["time"].(string))
	if err != nil {
		t.Fatal(err)
	}
	during, slowest := 0, time.Duration(0)
	for _, an := range answers {
		if an.status != 200 {
			t.Errorf("A answered %d during the upgrade", an.status)
		}
		if an.at.Before(migEnd) && an.at.After(migEnd.Add(-2*time.Second)) {
			during++
		}
		slowest = max(slowest, an.took)
	}
	if during < 3 {
		t.Errorf("A answered %d requests in the 2 s of the migration, want at least 3", during)
	}
	t.Logf("A answered %d requests (%d during the migration), the slowest in %v", len(answers), during, slowest)

	// Both work on the migrated schema (new columns in users, sessions,
	// events and throttles): the old build creates a user (an insert that
	// does not know the new column), both sign it in (the counters' upsert
	// returns its row), and the old build reads the account, its sessions
	// and the audit log and signs out (a delete that returns the session):
	// reads that must name their columns, not *.
	var cr api.AdminUserCreated
	admin.On(a).Must(201, "POST", api.PathAdminUsers, map[string]any{"username": "carol", "password": userPassword}).JSON(t, &cr)
	c.NewClient().On(b).Login("carol", userPassword)
	carol := c.NewClient()
	carol.On(a).Login("carol", userPassword)
	carol.On(a).Must(200, "GET", api.PathAccount, nil)
	carol.On(a).Must(200, "GET", api.PathSessions, nil)
	admin.On(a).Must(200, "GET", api.PathAdminEvents, nil)
	carol.On(a).Must(204, "POST", api.PathLogout, nil)
	var note string
	if err := c.DB.NewRaw("SELECT rolling_upgrade_note FROM users WHERE id = ?", cr.User.ID).Scan(context.Background(), &note); err != nil {
		t.Fatalf("the new column: %v", err)
	}
	// An old instance (re)started on the migrated database works too.
	a.Stop()
	a2 := c.Start("A-old-again", oldBin, nil)
	c.NewClient().On(a2).Login("carol", userPassword)
	if st, _ := Get(t, a2.URL+api.PathReady); st != 200 {
		t.Errorf("the restarted old instance is not ready: %d", st)
	}
}

func anyStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
