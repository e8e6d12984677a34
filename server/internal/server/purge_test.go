package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/account"
	"twofold/server/internal/db"
	"twofold/server/internal/jobs"
	"twofold/server/internal/servertest"
	"twofold/server/internal/session"
	"twofold/server/internal/testdb"
)

// TestPurge: the purge job removes expired sessions (pending sign-ins
// included), old counters, old reset links and forgotten RustDesk clients
// in bounded batches, under its lease, and keeps what is alive, events,
// used backup codes and reminder records.
func TestPurge(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		s, c, ctx := e.Server, e.Clock, context.Background()
		u, err := s.Users.Create(ctx, s.DB, account.NewUser{Username: "alice", Email: "alice@example.com", Password: "a long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		insert := func(v any) {
			t.Helper()
			if _, err := s.DB.NewInsert().Model(v).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		start := c.Now()
		// Before the clock moves: a pending sign-in, a full session kept in
		// use, events, a used backup code and a reminder record.
		_, pending, err := s.Sessions.Create(ctx, s.DB, session.Spec{UserID: u.ID, Level: db.LevelPending, Method: "totp"})
		if err != nil {
			t.Fatal(err)
		}
		liveTok, _, err := s.Sessions.Create(ctx, s.DB, session.Spec{UserID: u.ID, Level: db.LevelFull})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			insert(&db.Event{UserID: u.ID, Time: start.Add(-400 * 24 * time.Hour), Type: "login"})
		}
		insert(&db.BackupCode{UserID: u.ID, Salt: []byte{1}, MAC: []byte{1}, CreatedAt: start.Add(-300 * 24 * time.Hour), UsedAt: &start})
		insert(&db.Reminder{UserID: u.ID, Kind: "tfa_expiring", Ref: "x", CreatedAt: start.Add(-300 * 24 * time.Hour), SentAt: &start})
		c.Advance(11 * time.Minute) // the pending sign-in is over
		if _, err := s.Sessions.Lookup(ctx, liveTok); err != nil {
			t.Fatal(err)
		}
		now := c.Now()
		old := now.Add(-48 * time.Hour)
		for i := 0; i < 6; i++ { // sessions past their end
			insert(&db.Session{TokenHash: []byte(fmt.Sprintf("expired-%d", i)), UserID: u.ID, Level: db.LevelFull, Kind: db.KindConsole,
				CreatedAt: old, LastSeenAt: old, ExpiresAt: old})
		}
		later := now.Add(time.Hour)
		insert(&db.Throttle{Key: "old", Failures: 3, WindowStart: old, UpdatedAt: old})
		insert(&db.Throttle{Key: "old-locked", Failures: 30, WindowStart: old, UpdatedAt: old, LockedUntil: &later})
		insert(&db.Throttle{Key: "fresh", Failures: 1, WindowStart: now, UpdatedAt: now})
		insert(&db.PasswordReset{TokenHash: []byte("old"), UserID: &u.ID, CreatedAt: old, ExpiresAt: old})
		insert(&db.PasswordReset{TokenHash: []byte("fresh"), UserID: &u.ID, CreatedAt: now, ExpiresAt: now.Add(30 * time.Minute)})
		insert(&db.KnownClient{UserID: u.ID, ClientHash: []byte("old"), LastLoginAt: now.Add(-91 * 24 * time.Hour)})
		insert(&db.KnownClient{UserID: u.ID, ClientHash: []byte("fresh"), LastLoginAt: now.Add(-89 * 24 * time.Hour)})

		var job jobs.Job
		for _, j := range s.Jobs() {
			if j.Name == "janitor" {
				job = j
			}
		}
		if job.Run == nil {
			t.Fatal("no purge job")
		}
		// Another instance holds the lease: this one does not purge.
		other := jobs.NewLeases(s.DB, c)
		if ok, err := other.Acquire(ctx, job.Name, job.Lease); !ok || err != nil {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		count := func(model any) int64 {
			t.Helper()
			n, err := s.DB.NewSelect().Model(model).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if ran, err := s.Leases.RunOnce(ctx, job); ran || err != nil {
			t.Fatalf("ran %v (%v) while another instance held the lease", ran, err)
		}
		if n := count((*db.Session)(nil)); n != 8 {
			t.Fatalf("%d sessions after a skipped run, want 8", n)
		}
		// Bounded: 2 batches of 2 rows per sweep and run.
		s.Purge.Batch, s.Purge.MaxBatches = 2, 2
		c.Advance(job.Lease) // the other instance died: its lease expires
		if ran, err := s.Leases.RunOnce(ctx, job); !ran || err != nil {
			t.Fatalf("ran %v (%v) after the lease expired", ran, err)
		}
		if n := count((*db.Session)(nil)); n != 4 {
			t.Fatalf("%d sessions after one bounded run, want 4 (8 - 2×2)", n)
		}
		rep, err := s.Purge.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep["sessions"] != 3 {
			t.Errorf("second run removed %d sessions, want 3 (the live one stays)", rep["sessions"])
		}
		if _, err := s.Sessions.Lookup(ctx, liveTok); err != nil {
			t.Errorf("the session in use: %v", err)
		}
		var pendingLeft int64
		if pendingLeft, err = s.DB.NewSelect().Model((*db.Session)(nil)).Where("id = ?", pending.ID).Count(ctx); err != nil || pendingLeft != 0 {
			t.Errorf("the expired pending sign-in is still there (%v)", err)
		}
		var keys []string
		if err := s.DB.NewSelect().Model((*db.Throttle)(nil)).Column("key").Order("key").Scan(ctx, &keys); err != nil {
			t.Fatal(err)
		}
		if strings.Join(keys, ",") != "fresh,old-locked" {
			t.Errorf("counters left: %v, want fresh,old-locked", keys)
		}
		for model, want := range map[any]int64{
			(*db.PasswordReset)(nil): 1, (*db.KnownClient)(nil): 1,
			(*db.Event)(nil): 3, (*db.BackupCode)(nil): 1, (*db.Reminder)(nil): 1,
		} {
			if n := count(model); n != want {
				t.Errorf("%T: %d rows left, want %d", model, n, want)
			}
		}
		if !strings.Contains(e.Logs.String(), "msg=purge sessions=4 counters=1 reset_links=1 known_clients=1") {
			t.Errorf("the first run is not logged:\n%s", e.Logs.String())
		}
	})
}
