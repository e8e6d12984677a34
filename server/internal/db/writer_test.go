package db_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
	"twofold/server/internal/testdb"
)

// goroutine returns the id of the calling goroutine ("goroutine N [...").
func goroutine() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	f := bytes.Fields(b)
	if len(f) < 2 {
		return ""
	}
	return string(f[1])
}

// writerGoroutines counts the goroutines running SQLite's writer loop.
func writerGoroutines() int {
	b := make([]byte, 1<<20)
	b = b[:runtime.Stack(b, true)]
	return strings.Count(string(b), "db.(*writeQueue).loop")
}

// TestSQLiteWriterStaysBetweenTransactions: transactions one after the
// other run on the same writer goroutine (not one started for each, which
// regrows its stack every time), and that goroutine ends once no
// transaction has come for its linger time; the next one starts another.
func TestSQLiteWriterStaysBetweenTransactions(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t, testdb.SQLite(t))
	// Long enough that a busy machine never ends the writer between two
	// transactions of the loop below.
	db.SetWriterLinger(d, time.Minute)
	on := func(t *testing.T) string {
		t.Helper()
		var g string
		if err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { g = goroutine(); return nil }); err != nil {
			t.Fatal(err)
		}
		if g == "" {
			t.Fatal("no goroutine id")
		}
		return g
	}
	first := on(t)
	for range 5 {
		if g := on(t); g != first {
			t.Fatalf("transactions one after the other ran on goroutines %s and %s, want one writer", first, g)
		}
	}
	// The writer's next wait is a short one.
	db.SetWriterLinger(d, 50*time.Millisecond)
	if g := on(t); g != first {
		t.Fatalf("transactions one after the other ran on goroutines %s and %s, want one writer", first, g)
	}
	deadline := time.Now().Add(10 * time.Second)
	for writerGoroutines() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the writer goroutine is still there 10 s after the last transaction (linger 50 ms)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if g := on(t); g == first {
		t.Fatalf("a transaction after the writer ended ran on its goroutine %s", g)
	}
}

// BenchmarkSQLiteTxOneAtATime: transactions one after the other, so the
// writer finds its queue empty after each.
func BenchmarkSQLiteTxOneAtATime(b *testing.B) {
	ctx := context.Background()
	d := testdb.Open(b, testdb.SQLite(b))
	b.ReportAllocs()
	for b.Loop() {
		err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.NewUpdate().Model((*db.Throttle)(nil)).Set("failures = failures + 1").Where("key = ?", "x").Exec(ctx)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
