package db_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
	"twofold/server/internal/testdb"
)

// TestPrepared: statements run through db.Prepared give the same rows
// before their preparation (first run) and after (prepared once, then
// reused), in a transaction and outside; times are stored exactly as bun
// writes them (SQLite compares them as text); hooks see every statement;
// a failing transaction leaves nothing; a string with NUL is refused.
func TestPrepared(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		probe := &testdb.Probe{}
		d := testdb.Open(t, url, probe)
		now := time.Now().UTC().Truncate(time.Microsecond)
		insert := func(tx bun.Tx, th *db.Throttle) error {
			q, args := db.InsertValues(tx.NewInsert().Model(th), 1,
				db.Column{Name: "key", Value: th.Key}, db.Column{Name: "failures", Value: th.Failures},
				db.Column{Name: "prev_failures", Value: th.PrevFailures}, db.Column{Name: "window_start", Value: th.WindowStart},
				db.Column{Name: "locked_until", Value: th.LockedUntil}, db.Column{Name: "updated_at", Value: th.UpdatedAt})
			_, err := q.Conn(db.Prepared(tx, args...)).Exec(ctx)
			return err
		}
		load := func(key string) (*db.Throttle, error) {
			th := new(db.Throttle)
			err := d.NewSelect().Model(th).Where("key = ?", db.Arg(1)).Where("window_start = ?", db.Arg(2)).
				Conn(db.Prepared(d, key, now)).Scan(ctx)
			return th, err
		}
		for round := range 4 {
			key := "k" + string(rune('0'+round))
			locked := now.Add(time.Hour)
			err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return insert(tx, &db.Throttle{Key: key, Failures: round, WindowStart: now, LockedUntil: &locked, UpdatedAt: now})
			})
			if err != nil {
				t.Fatalf("round %d: insert: %v", round, err)
			}
			got, err := load(key)
			if err != nil {
				t.Fatalf("round %d: load: %v", round, err)
			}
			if got.Failures != round || !got.WindowStart.Equal(now) || got.LockedUntil == nil || !got.LockedUntil.Equal(locked) {
				t.Fatalf("round %d: got %+v", round, got)
			}
			// bun's own statement (values in the text) finds the row by the
			// times Prepared wrote: they are stored alike.
			n, err := d.NewSelect().Model((*db.Throttle)(nil)).Where("key = ?", key).
				Where("window_start = ?", now).Where("locked_until = ?", locked).Count(ctx)
			if err != nil || n != 1 {
				t.Fatalf("round %d: bun finds %d rows (%v) by the stored times", round, n, err)
			}
			if round == 0 {
				// The first run started their preparation.
				deadline := time.Now().Add(10 * time.Second)
				for len(db.PreparedTexts(d)) < 2 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
		texts := db.PreparedTexts(d)
		if len(texts) != 2 {
			t.Fatalf("prepared %d statements, want the insert and the select:\n%s", len(texts), strings.Join(texts, "\n"))
		}
		for _, q := range texts {
			if !strings.Contains(q, "$1") || strings.Contains(q, "'k") {
				t.Errorf("prepared text without placeholders or with a value: %s", q)
			}
			if !slices.Contains(probe.Statements(), q) {
				t.Errorf("the hooks did not see %s", q)
			}
		}

		// An error after a prepared write undoes it.
		boom := errors.New("boom")
		err := d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := insert(tx, &db.Throttle{Key: "rolled back", WindowStart: now, UpdatedAt: now}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failed transaction: %v", err)
		}
		if _, err := load("rolled back"); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("row of a rolled-back transaction: %v", err)
		}
		// A string with NUL is refused, as bun refuses it (pgdriver would
		// drop the NUL).
		err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return insert(tx, &db.Throttle{Key: "a\x00b", WindowStart: now, UpdatedAt: now})
		})
		if err == nil {
			t.Fatal("a key with NUL was written")
		}
		n, err := d.NewSelect().Model((*db.Throttle)(nil)).Count(ctx)
		if err != nil || n != 4 {
			t.Fatalf("%d rows (%v), want the 4 rounds'", n, err)
		}
	})
}

// TestPostgresGenericPlans: the server's connections plan prepared
// statements once for any values, unless the database URL says otherwise.
func TestPostgresGenericPlans(t *testing.T) {
	url := testdb.Postgres(t)
	for _, c := range []struct{ url, want string }{
		{url, "force_generic_plan"},
		{url + "&plan_cache_mode=auto", "auto"},
	} {
		d := open(t, c.url)
		var got string
		if err := d.NewRaw("SHOW plan_cache_mode").Scan(context.Background(), &got); err != nil || got != c.want {
			t.Errorf("%s: plan_cache_mode %q (%v), want %q", c.url, got, err, c.want)
		}
	}
}
