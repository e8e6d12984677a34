package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Kind names the database engine.
type Kind string

// Supported engines.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Errors of this package.
var (
	// ErrNotFound is returned when no row matched.
	ErrNotFound = errors.New("not found")
)

// DB is an open database.
type DB struct {
	*bun.DB
	Kind Kind
	// writes is SQLite's one writer (nil on PostgreSQL): the transactions
	// of this process queue in Go and one goroutine runs them, several in
	// one SQLite transaction when several wait (writer.go), instead of
	// polling SQLite's lock with the busy handler's sleeps. Other processes
	// (the CLI) still meet SQLite's own lock and busy_timeout.
	writes *writeQueue
	// stmts are the statements prepared for Prepared (prepared.go).
	stmts *statements
}

// writerWait bounds the wait for SQLite's writer, like busy_timeout.
const writerWait = 10 * time.Second

// ErrBusy is returned when a transaction waited writerWait for SQLite's
// writer: the server is saturated (503 with Retry-After).
var ErrBusy error = busyError{}

type busyError struct{}

func (busyError) Error() string { return "database busy: waited 10 s for the writer" }

// RetryAfterSeconds tells clients when to try again (httpx answers 503
// with Retry-After).
func (busyError) RetryAfterSeconds() int { return 1 }

// WritersWaiting is the number of transactions of this process waiting
// for SQLite's writer now (0 on PostgreSQL).
func (db *DB) WritersWaiting() int {
	if db.writes == nil {
		return 0
	}
	return int(db.writes.waiting.Load())
}

// Open connects to url ("sqlite:PATH" or "postgres://...") and checks that it
// answers. It does not migrate. hooks see every query (tests count
// statements and inject faults with them).
func Open(ctx context.Context, rawURL string, hooks ...bun.QueryHook) (*DB, error) {
	var d *DB
	var err error
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		d, err = openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite:"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		d, err = openPostgres(ctx, rawURL)
	default:
		return nil, fmt.Errorf("database URL must start with sqlite: or postgres://")
	}
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		d.DB = d.DB.WithQueryHook(h)
	}
	opened.Store(d.DB.DB, d)
	return d, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
	}
	// WAL lets readers run beside the writer; busy_timeout waits for the
	// writer instead of failing; immediate transactions take the write lock
	// at BEGIN, so read-then-write transactions never fail half-way with
	// SQLITE_BUSY (STACK-NOTES.md). temp_store keeps the journals of the
	// writer's savepoints (writer.go) in memory: SQLite spills them to a
	// temporary file past 64 KiB otherwise, which a batch of transactions
	// passes, and then opens that file and writes every journaled page to
	// it.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Kind: SQLite, writes: newWriteQueue(), stmts: newStatements(sqldb)}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// genericPlans makes PostgreSQL plan the prepared statements (Prepared)
// once, for any values, from their first run rather than after five runs
// planned for their values: they are all lookups by a key or a unique
// index, whose plan does not depend on the value. A plan_cache_mode in
// the database URL wins.
func genericPlans(c *pgdriver.Config) {
	if _, ok := c.ConnParams["plan_cache_mode"]; ok {
		return
	}
	params := map[string]any{"plan_cache_mode": "force_generic_plan"}
	for k, v := range c.ConnParams {
		params[k] = v
	}
	c.ConnParams = params
}

// SocketPath returns the Unix socket of a PostgreSQL URL in libpq's form
// for one, postgres://user@/database?host=/run/postgresql (the host
// parameter names the socket's directory; port, default 5432, its name:
// .s.PGSQL.5432), and the URL without host and port; ok is false for a
// URL with a network host. A host parameter may also name the socket file
// itself.
func SocketPath(dsn string) (socket, rest string, ok bool, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", false, err
	}
	q := u.Query()
	dir := q.Get("host")
	if !strings.HasPrefix(dir, "/") {
		return "", dsn, false, nil
	}
	port := cmp.Or(u.Port(), q.Get("port"), "5432")
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", "", false, fmt.Errorf("port %q is not a number", port)
	}
	socket = filepath.Join(dir, ".s.PGSQL."+port)
	if strings.HasPrefix(filepath.Base(dir), ".s.PGSQL.") {
		socket = filepath.Clean(dir)
	}
	q.Del("host")
	q.Del("port")
	u.Host, u.RawQuery = "", q.Encode()
	return socket, u.String(), true, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	socket, dsn, local, err := SocketPath(dsn)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	opts := []pgdriver.Option{pgdriver.WithDSN(dsn), pgdriver.WithApplicationName("twofold"), genericPlans}
	if local {
		// PostgreSQL on this host, through its Unix socket: no TCP stack
		// on either side of each round trip (a sign-in makes 12), and no
		// TLS, as libpq does (the socket's file permissions guard it;
		// PostgreSQL offers no TLS there).
		opts = append(opts, pgdriver.WithNetwork("unix"), pgdriver.WithAddr(socket), pgdriver.WithTLSConfig(nil))
	}
	connector := pgdriver.NewConnector(opts...)
	sqldb := sql.OpenDB(connector)
	// Every connection is a backend process, forked when it opens, with
	// its own prepared statements (Prepared) and cached plans: the pool
	// keeps the connections it opened until they idle 5 minutes, rather
	// than closing those above an idle count after each burst (measured
	// during `make bench`'s sign-ins at 32: the forks and the statements
	// prepared and planned again made PostgreSQL's CPU per sign-in 3 times
	// the cheap-hash run's).
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Kind: Postgres, stmts: newStatements(sqldb)}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return db, nil
}

// Tx runs fn in a transaction (immediate on SQLite), committing when fn
// returns nil. Inside fn, use tx only: the pool may have no other
// connection to give. On SQLite fn runs on the writer's goroutine, maybe
// in one SQLite transaction with others that waited (each in a savepoint:
// an error of fn undoes fn's writes only), and Tx returns once that
// transaction is committed; it waits at most writerWait for the writer
// (ErrBusy).
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	if db.writes != nil {
		return db.writes.run(ctx, db.DB, fn)
	}
	return db.RunInTx(ctx, nil, fn)
}

// IsForeignKeyViolation reports whether err is a foreign-key violation
// (a row refers to one that is gone).
func IsForeignKeyViolation(err error) bool {
	return violates(err, "23503", sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	return violates(err, "23505", sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// violates reports whether err is PostgreSQL's error pgCode (SQLSTATE) or
// one of SQLite's extended codes.
func violates(err error, pgCode string, sqliteCodes ...int) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == pgCode
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return slices.Contains(sqliteCodes, sqErr.Code())
	}
	return false
}

// NotFound maps sql.ErrNoRows to ErrNotFound and wraps other errors with
// what was being done.
func NotFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// ForUpdate adds FOR UPDATE to a select on PostgreSQL. SQLite has no row
// locks; its immediate transactions already hold the database's write lock.
func (db *DB) ForUpdate(q *bun.SelectQuery) *bun.SelectQuery {
	if db.Kind == Postgres {
		return q.For("UPDATE")
	}
	return q
}

// LockUser takes the row lock of a user within tx, so that transactions
// changing the same user's second factors (codes, counters, secrets) run
// one after the other on PostgreSQL; SQLite's immediate transactions are
// serial already. Lock order, to keep transactions from deadlocking: the
// user's row first, then throttle rows in key order. It returns
// ErrNotFound when the user does not exist.
func (db *DB) LockUser(ctx context.Context, tx bun.Tx, userID int64) error {
	if db.Kind != Postgres {
		return nil
	}
	var id int64
	err := lockUserQuery(tx, 1).Conn(Prepared(tx, userID)).Scan(ctx, &id)
	if err != nil {
		return NotFound(err, "lock user %d", userID)
	}
	return nil
}

// Clause is a WITH clause of one statement, on PostgreSQL: it runs in
// the statement's own transaction, in one round trip with it. Build
// returns its query with placeholders (Arg) numbered from first on, and
// their values.
type Clause struct {
	Name  string
	Build func(first int) (bun.Query, []any)
}

// LockedUser names LockUserClause's clause.
const LockedUser = "locked_user"

// LockUserClause is LockUser as a WITH clause (PostgreSQL only), named
// LockedUser. A data-modifying clause of the same statement runs after
// the lock when it reads it (EXISTS (SELECT 1 FROM locked_user)): the lock
// order of LockUser holds.
func LockUserClause(idb bun.IDB, userID int64) Clause {
	return Clause{Name: LockedUser, Build: func(first int) (bun.Query, []any) {
		return lockUserQuery(idb, first), []any{userID}
	}}
}

// lockUserQuery locks the row of the user whose id is Arg(first).
func lockUserQuery(idb bun.IDB, first int) *bun.SelectQuery {
	return idb.NewSelect().Table("users").Column("id").Where("id = ?", Arg(first)).For("UPDATE")
}
