package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/schema"
)

// Prepared statements for the hot paths.
//
// bun writes a statement's values into its text, so the database parses
// every statement anew, and PostgreSQL plans it anew: during `make bench`'s
// cheap-hash sign-ins that was a quarter of the server's CPU on SQLite
// (sqlite3_prepare) and 44 % of PostgreSQL's backends' CPU (parse, analyze,
// plan), measured with perf. The statements of the sign-in and of the
// session lookup are written by bun with placeholders instead of values
// (Arg) and run on the connection Prepared returns: it prepares each text
// once per connection and passes the values apart (PostgreSQL plans it
// once, generically: genericPlans). bun still builds the text, runs the
// query hooks and scans the rows.

// maxPrepared bounds the statements kept prepared (texts beyond it run
// unprepared): the hot statements are a few dozen fixed texts.
const maxPrepared = 256

// prepareWait bounds a statement's preparation in the background.
const prepareWait = 10 * time.Second

var args = func() (a [32]bun.Safe) {
	for i := range a {
		a[i] = bun.Safe("$" + strconv.Itoa(i+1))
	}
	return a
}()

// Arg is the placeholder of the n-th argument (from 1) of a statement run
// on Prepared's connection: $n, which both engines read as the n-th
// argument (SQLite takes $NNN as a parameter named by its position).
func Arg(n int) bun.Safe {
	if n >= 1 && n <= len(args) {
		return args[n-1]
	}
	return bun.Safe("$" + strconv.Itoa(n))
}

// Args is the list of the placeholders of n arguments from the first-th
// (for IN (?)).
func Args(first, n int) bun.ListValues {
	a := make([]bun.Safe, n)
	for i := range a {
		a[i] = Arg(first + i)
	}
	return bun.List(a)
}

// Column is a column to write and its value, for a prepared statement.
type Column struct {
	Name  string
	Value any
}

// InsertValues makes q (an insert of one row) write each column's value
// from a placeholder, from Arg(first) on, and returns the values in order.
func InsertValues(q *bun.InsertQuery, first int, cols ...Column) (*bun.InsertQuery, []any) {
	args := make([]any, len(cols))
	for i, c := range cols {
		q = q.Value(c.Name, "?", Arg(first+i))
		args[i] = c.Value
	}
	return q, args
}

// InsertSelect is an insert of one row into table for each row of from
// (a WITH clause of the same statement, PostgreSQL): INSERT ... SELECT,
// each column's value from a placeholder, from Arg(first) on. It returns
// the values in order.
func InsertSelect(idb bun.IDB, table, from string, first int, cols ...Column) (bun.Query, []any) {
	names := make([]string, len(cols))
	values := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		names[i] = strconv.Quote(c.Name)
		values[i] = string(Arg(first + i))
		args[i] = c.Value
	}
	return idb.NewRaw("INSERT INTO ? ("+strings.Join(names, ", ")+") SELECT "+strings.Join(values, ", ")+" FROM ?",
		bun.Ident(table), bun.Ident(from)), args
}

// UpdateValues makes q (an update) set each column from a placeholder,
// from Arg(first) on, and returns the values in order.
func UpdateValues(q *bun.UpdateQuery, first int, cols ...Column) (*bun.UpdateQuery, []any) {
	args := make([]any, len(cols))
	for i, c := range cols {
		q = q.Set("? = ?", bun.Ident(c.Name), Arg(first+i))
		args[i] = c.Value
	}
	return q, args
}

// statements holds a database's prepared statements by text.
type statements struct {
	pool  *sql.DB // where they are prepared
	mu    sync.Mutex
	ready map[string]*sql.Stmt
	// pending: texts being prepared (until the far future) or that failed
	// to (until a retry a minute later).
	pending map[string]time.Time
}

// Prepared returns the connection that runs the statement bun builds from
// a query of idb (a transaction's or the database) as a prepared statement
// with args, the values of its placeholders Arg(1), Arg(2)… in order:
//
//	q := tx.NewSelect().Model(s).Where("id = ?", db.Arg(1))
//	err := q.Conn(db.Prepared(tx, id)).Scan(ctx)
//
// The statement is prepared in the background the first time its text is
// seen (a transaction holds its connection and may not wait for another
// one to prepare on), and runs unprepared, with the same arguments, until
// then; on a closed database, it fails like any statement.
func Prepared(idb bun.IDB, args ...any) bun.IConn {
	c := preparedConn{args: args, dialect: idb.Dialect()}
	var sqldb *sql.DB
	switch x := idb.(type) {
	case bun.Tx:
		c.conn, sqldb = x.Tx, x.NewSelect().DB().DB
	case *DB:
		c.conn, sqldb = x.DB.DB, x.DB.DB
	case *bun.DB:
		c.conn, sqldb = x.DB, x.DB
	default:
		panic(fmt.Sprintf("db.Prepared: %T is neither a transaction nor a database", idb))
	}
	if d, ok := opened.Load(sqldb); ok {
		c.stmts = d.(*DB).stmts
	}
	return c
}

// opened maps the open databases' pools to their statements (Prepared
// finds a transaction's there).
var opened sync.Map

// Close closes the database.
func (db *DB) Close() error {
	opened.Delete(db.DB.DB)
	return db.DB.Close()
}

type preparedConn struct {
	dialect schema.Dialect
	conn    sqlConn     // the transaction (*sql.Tx) or the database (*sql.DB)
	stmts   *statements // nil: run unprepared (a closed database)
	args    []any
}

// sqlConn is what *sql.Tx and *sql.DB both do.
type sqlConn interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var _ bun.IConn = preparedConn{}

// values returns the arguments as the driver should get them: times in
// bun's format on SQLite (whose driver would write time.Time.String()),
// nil slices as NULL, and strings with NUL refused as bun refuses them
// (pgdriver would drop the NULs).
func (c preparedConn) values(bunArgs []any) ([]any, error) {
	if len(bunArgs) > 0 {
		return nil, errors.New("db.Prepared: the arguments go to Prepared, not to the query")
	}
	out := make([]any, len(c.args))
	for i, v := range c.args {
		switch x := v.(type) {
		case time.Time:
			v = c.time(x)
		case *time.Time:
			if x == nil {
				v = nil
			} else {
				v = c.time(*x)
			}
		case []byte:
			if x == nil {
				v = nil
			}
		case string:
			if strings.IndexByte(x, 0) >= 0 {
				return nil, errors.New("db.Prepared: string with a NUL byte")
			}
		}
		out[i] = v
	}
	return out, nil
}

func (c preparedConn) time(t time.Time) any {
	if c.dialect.Name() == dialect.SQLite {
		// The text bun writes for times (without its quotes), so that
		// stored times keep comparing as text.
		b := c.dialect.AppendTime(nil, t)
		return string(b[1 : len(b)-1])
	}
	return t
}

// stmt returns the prepared statement of query for this connection, or
// nil when it is not prepared yet.
func (c preparedConn) stmt(ctx context.Context, query string) *sql.Stmt {
	st := c.stmts.get(query)
	if tx, ok := c.conn.(*sql.Tx); ok && st != nil {
		// Prepared on the transaction's connection once, then reused.
		st = tx.StmtContext(ctx, st)
	}
	return st
}

func (c preparedConn) QueryContext(ctx context.Context, query string, bunArgs ...any) (*sql.Rows, error) {
	v, err := c.values(bunArgs)
	if err != nil {
		return nil, err
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, v...)
	}
	return c.conn.QueryContext(ctx, query, v...)
}

func (c preparedConn) ExecContext(ctx context.Context, query string, bunArgs ...any) (sql.Result, error) {
	v, err := c.values(bunArgs)
	if err != nil {
		return nil, err
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, v...)
	}
	return c.conn.ExecContext(ctx, query, v...)
}

func (c preparedConn) QueryRowContext(ctx context.Context, query string, bunArgs ...any) *sql.Row {
	v, err := c.values(bunArgs)
	if err != nil {
		// A Row carries its error only from a query: ask one that fails.
		ctx, cancel := context.WithCancelCause(ctx)
		cancel(err)
		return c.conn.QueryRowContext(ctx, "SELECT 1")
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, v...)
	}
	return c.conn.QueryRowContext(ctx, query, v...)
}

// get returns query's statement, or nil while it is not prepared; the
// first call for a text starts its preparation.
func newStatements(pool *sql.DB) *statements {
	return &statements{pool: pool, ready: map[string]*sql.Stmt{}, pending: map[string]time.Time{}}
}

func (s *statements) get(query string) *sql.Stmt {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ready[query]; st != nil {
		return st
	}
	now := time.Now()
	if until, ok := s.pending[query]; ok && now.Before(until) {
		return nil
	}
	if len(s.ready)+len(s.pending) >= maxPrepared {
		return nil
	}
	s.pending[query] = now.Add(365 * 24 * time.Hour)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), prepareWait)
		defer cancel()
		st, err := s.pool.PrepareContext(ctx, query)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			// The statement runs unprepared meanwhile, and reports its
			// error (if it has one) there.
			slog.Debug("prepare statement", "err", err)
			s.pending[query] = time.Now().Add(time.Minute)
			return
		}
		delete(s.pending, query)
		s.ready[query] = st
	}()
	return nil
}
