package testdb

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
)

// UserLock is a user's row lock (db.LockUser) held by a transaction of
// the test's own, on PostgreSQL: for a test of what must wait for it.
type UserLock struct {
	bun.Tx
	d   *db.DB
	pid int
}

// HoldUserLock takes the row lock of user uid in a new transaction on d.
// The transaction is rolled back when the test ends, unless it was
// committed or rolled back before.
func HoldUserLock(t testing.TB, d *db.DB, uid int64) *UserLock {
	t.Helper()
	ctx := context.Background()
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	l := &UserLock{Tx: tx, d: d}
	if err := tx.NewRaw("SELECT pg_backend_pid()").Scan(ctx, &l.pid); err != nil {
		t.Fatal(err)
	}
	if err := d.LockUser(ctx, tx, uid); err != nil {
		t.Fatal(err)
	}
	return l
}

// AwaitWaiter returns once a statement of another connection waits for
// one of the transaction's locks; it fails the test after 5 s.
func (l *UserLock) AwaitWaiter(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var waiting bool
		if err := l.d.NewRaw("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid)))", l.pid).
			Scan(context.Background(), &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no statement waits for the user's lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
