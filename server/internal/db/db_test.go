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

// TestSQLiteBatchedTransactions: transactions that waited for SQLite's
// writer commit together, and each keeps its own outcome: an error or a
// panic of one undoes its writes only, and when the shared transaction
// cannot commit (here one of them ends it), none of them reports success
// and nothing of theirs is kept.
func TestSQLiteBatchedTransactions(t *testing.T) {
	ctx := context.Background()
	probe := &testdb.Probe{}
	d := testdb.Open(t, testdb.SQLite(t), probe)
	insert := func(ctx context.Context, tx bun.Tx, key string) error {
		_, err := tx.NewInsert().Model(&db.Throttle{Key: key, WindowStart: time.Now(), UpdatedAt: time.Now()}).Exec(ctx)
		return err
	}
	if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx, "batch:taken") }); err != nil {
		t.Fatal(err)
	}
	keys := func(t *testing.T) []string {
		t.Helper()
		var got []string
		if err := d.NewSelect().Model((*db.Throttle)(nil)).Column("key").Where("key LIKE 'batch:%'").Order("key").Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// queue runs jobs while the writer is held, so that they wait and run
	// one after another, in the order given; a panic comes back as an
	// error "panic: <value>".
	queue := func(t *testing.T, jobs ...func(ctx context.Context, tx bun.Tx) error) []error {
		t.Helper()
		hold, holding := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { close(holding); <-hold; return nil })
		}()
		<-holding
		errs := make([]error, len(jobs))
		var wg sync.WaitGroup
		for i, fn := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					if v := recover(); v != nil {
						errs[i] = fmt.Errorf("panic: %v", v)
					}
				}()
				errs[i] = d.Tx(ctx, fn)
			}()
			for d.WritersWaiting() != i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		probe.Reset(0)
		close(hold)
		wg.Wait()
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		return errs
	}

	t.Run("each keeps its outcome", func(t *testing.T) {
		fails := errors.New("b fails")
		errs := queue(t,
			func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx, "batch:a") },
			func(ctx context.Context, tx bun.Tx) error {
				if err := insert(ctx, tx, "batch:b"); err != nil {
					return err
				}
				return fails
			},
			func(ctx context.Context, tx bun.Tx) error {
				if err := insert(ctx, tx, "batch:c"); err != nil {
					return err
				}
				panic("c panics")
			},
			func(ctx context.Context, tx bun.Tx) error {
				if err := insert(ctx, tx, "batch:d"); err != nil {
					return err
				}
				return insert(ctx, tx, "batch:taken") // unique violation
			},
			func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx, "batch:e") },
		)
		if errs[0] != nil || !errors.Is(errs[1], fails) || errs[2] == nil || errs[2].Error() != "panic: c panics" ||
			!db.IsUniqueViolation(errs[3]) || errs[4] != nil {
			t.Fatalf("outcomes: %v", errs)
		}
		if got := keys(t); fmt.Sprint(got) != "[batch:a batch:e batch:taken]" {
			t.Fatalf("rows %v, want a and e (and the row taken before)", got)
		}
		// One commit for the five: the queue batches (two transactions
		// without it).
		if n := probe.WriteTransactions(); n != 1 {
			t.Fatalf("%d write transactions, want the batch's one", n)
		}
	})
	t.Run("nothing commits when the transaction ends under them", func(t *testing.T) {
		errs := queue(t,
			func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx, "batch:f") },
			func(ctx context.Context, tx bun.Tx) error {
				if err := insert(ctx, tx, "batch:g"); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "ROLLBACK")
				return err
			},
			func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx, "batch:h") },
		)
		for i, err := range errs {
			if err == nil {
				t.Fatalf("transaction %d reported success, though nothing was committed", i)
			}
		}
		if got := keys(t); fmt.Sprint(got) != "[batch:a batch:e batch:taken]" {
			t.Fatalf("rows %v, want none of f, g, h", got)
		}
		// The writer goes on with a fresh transaction.
		if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { return insert(ctx, tx, "batch:i") }); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSQLiteConnectionSettings: every SQLite connection of the pool has
// the settings db.Open gives it, among them temp_store = MEMORY, which
// keeps the savepoints' journals of a batch of transactions off the disk.
func TestSQLiteConnectionSettings(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t, testdb.SQLite(t))
	want := map[string]string{"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1", "temp_store": "2", "busy_timeout": "10000"}
	// Several connections at once, so that the pool opens more than one.
	var conns []bun.Conn
	for range 3 {
		c, err := d.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		for pragma, v := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, v)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
}
