// Package testdb gives tests a fresh database on each engine: a new SQLite
// file, and a new PostgreSQL schema dropped afterwards.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"twofold/server/internal/db"
)

// DefaultPostgres is the server of the development machines (trust auth).
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engines runs fn once per engine, as subtests "sqlite" and "postgres",
// each with the URL of a fresh, empty database.
func Engines(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns the URL of a new SQLite database in a temporary directory.
func SQLite(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "twofold.db")
}

// Postgres creates a schema for this test and returns a URL whose
// search_path points at it; the schema is dropped when the test ends.
// The server is TWOFOLD_TEST_POSTGRES_URL or DefaultPostgres. When it cannot
// be reached the test is skipped, unless TWOFOLD_REQUIRE_POSTGRES=1 (set by
// `make test`), which makes it fail.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TWOFOLD_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgres
	}
	admin := Admin(base)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		if os.Getenv("TWOFOLD_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s is required (TWOFOLD_REQUIRE_POSTGRES=1) but unreachable: %v", base, err)
		}
		t.Skipf("PostgreSQL at %s unreachable (%v); set TWOFOLD_REQUIRE_POSTGRES=1 to fail instead", base, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", base, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Admin opens the test cluster at base for statements that create or drop
// schemas, databases and roles. Its socket timeouts are long, and the
// callers' contexts bound each statement: DROP DATABASE waits for a
// checkpoint, which takes well over pgdriver's default 10 s read timeout
// when the suite's other packages keep the cluster busy (seen in CI:
// "read tcp ...: i/o timeout", and the role then left behind).
func Admin(base string) *sql.DB {
	return sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base), pgdriver.WithTimeout(2*time.Minute)))
}

// Open connects to url, applies the migrations and closes the database when
// the test ends. hooks see every query (a Probe).
func Open(t testing.TB, url string, hooks ...bun.QueryHook) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url, hooks...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}
