package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
	"twofold/server/internal/testdb"
)

func open(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestMigrateIsIdempotent(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := open(t, url)
		applied, err := d.Migrate(ctx)
		if err != nil || len(applied) == 0 {
			t.Fatalf("first migrate: %v %v", applied, err)
		}
		applied, err = d.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v", applied, err)
		}
		// A second connection (another instance) sees the schema as done.
		d2 := open(t, url)
		if applied, err := d2.Migrate(ctx); err != nil || len(applied) != 0 {
			t.Fatalf("other instance: %v %v", applied, err)
		}
	})
}

func TestConcurrentMigrations(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		errs := make(chan error, 3)
		for i := 0; i < 3; i++ {
			d := open(t, url)
			go func() { _, err := d.Migrate(ctx); errs <- err }()
		}
		for i := 0; i < 3; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("concurrent migrate: %v", err)
			}
		}
		if applied, err := open(t, url).Migrate(ctx); err != nil || len(applied) != 0 {
			t.Fatalf("after concurrent migrations: %v %v", applied, err)
		}
	})
}

func TestModelsRoundTrip(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := open(t, url)
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		key := "alice@example.com"
		u := &db.User{Username: "Alice", UsernameKey: "alice", Email: "Alice@example.com", EmailKey: &key,
			PasswordHash: "h", IsAdmin: true, CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
		if _, err := d.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 {
			t.Fatal("no id returned")
		}
		got := new(db.User)
		if err := d.NewSelect().Model(got).Where("id = ?", u.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(now) || got.Username != "Alice" || !got.IsAdmin || got.EmailKey == nil || *got.EmailKey != key {
			t.Fatalf("round trip: %+v", got)
		}
		// Unique keys are enforced and recognised on both engines.
		dup := *u
		dup.ID = 0
		dup.EmailKey = nil
		_, err := d.NewInsert().Model(&dup).Exec(ctx)
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate username: %v, want a unique violation", err)
		}
		// Several users without email are fine (NULL keys).
		for _, name := range []string{"b", "c"} {
			v := &db.User{Username: name, UsernameKey: name, PasswordHash: "h", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
			if _, err := d.NewInsert().Model(v).Exec(ctx); err != nil {
				t.Fatalf("user without email: %v", err)
			}
		}
		// Deleting a user removes its sessions (foreign keys on).
		s := &db.Session{TokenHash: []byte{1, 2, 3}, UserID: u.ID, Level: db.LevelFull, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
		if _, err := d.NewInsert().Model(s).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.NewDelete().Model((*db.User)(nil)).Where("id = ?", u.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := d.NewSelect().Model((*db.Session)(nil)).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("sessions after deleting the user: %d %v", n, err)
		}
		// Time comparisons in SQL agree with Go's.
		var later int
		if err := d.NewSelect().ColumnExpr("COUNT(*)").Model((*db.User)(nil)).Where("created_at < ?", now.Add(time.Microsecond)).Scan(ctx, &later); err != nil {
			t.Fatal(err)
		}
		if later != 2 {
			t.Fatalf("users created before now+1µs: %d, want 2", later)
		}
	})
}

// TestSQLiteWritersQueueInProcess: on SQLite a transaction waits in Go for
// the one writer (not in SQLite's busy handler), gives up with its
// context, and starts as soon as the writer is free; 64 parallel
// transactions all commit. PostgreSQL transactions do not queue.
func TestSQLiteWritersQueueInProcess(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := open(t, url)
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		hold, holding := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				close(holding)
				<-hold
				return nil
			})
		}()
		<-holding
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		ran := false
		queued := make(chan int, 1)
		go func() {
			for short.Err() == nil && d.WritersWaiting() == 0 {
				time.Sleep(time.Millisecond)
			}
			queued <- d.WritersWaiting()
		}()
		err := d.Tx(short, func(ctx context.Context, tx bun.Tx) error { ran = true; return nil })
		switch d.Kind {
		case db.SQLite:
			if !errors.Is(err, context.DeadlineExceeded) || ran {
				t.Fatalf("second transaction while the writer is held: ran %v, %v; want it to wait and give up", ran, err)
			}
			if n := <-queued; n != 1 {
				t.Fatalf("%d transactions waited in Go for the writer, want 1 (not SQLite's busy handler)", n)
			}
		default:
			if err != nil || !ran {
				t.Fatalf("PostgreSQL transaction beside another: ran %v, %v", ran, err)
			}
		}
		close(hold)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.NewInsert().Model(&db.Throttle{Key: fmt.Sprintf("test:%d", i), WindowStart: time.Now(), UpdatedAt: time.Now()}).Exec(ctx)
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("parallel transaction: %v", err)
			}
		}
		if n, err := d.NewSelect().Model((*db.Throttle)(nil)).Where("key LIKE 'test:%'").Count(ctx); err != nil || n != 64 {
			t.Fatalf("%d rows, %v; want 64", n, err)
		}
	})
}
