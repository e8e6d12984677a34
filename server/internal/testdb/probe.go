package testdb

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// ErrInjected is the cause of a fault injected by a Probe.
var ErrInjected = errors.New("fault injected by the test")

// Probe is a bun query hook for tests: it counts statements and write
// transactions, and injects a database fault at the n-th write statement
// (the statement then fails as if the connection had broken: its context
// is canceled before it reaches the driver). Install it with
// db.Open (servertest.Options.DBHooks, testdb.Open) so the server sees it.
type Probe struct {
	mu         sync.Mutex
	statements []string
	inTx       bool
	txWrites   bool
	writeTxs   int // transactions (or single statements) that wrote
	writes     int
	failAt     int // 0: no fault armed
	failed     bool
}

var _ bun.QueryHook = (*Probe)(nil)

func isWrite(q string) bool {
	q = strings.ToUpper(strings.TrimSpace(q))
	for _, verb := range []string{"INSERT", "UPDATE", "DELETE"} {
		if strings.HasPrefix(q, verb) {
			return true
		}
	}
	// A data-modifying WITH query (PostgreSQL): WITH "x" AS (INSERT ...) ...
	if strings.HasPrefix(q, "WITH") {
		for _, verb := range []string{"INSERT ", "UPDATE ", "DELETE "} {
			if strings.Contains(q, "AS ("+verb) {
				return true
			}
		}
	}
	return false
}

// BeforeQuery counts the statement and fails it when it is the armed write.
func (p *Probe) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := strings.TrimSpace(e.Query)
	switch strings.ToUpper(q) {
	case "BEGIN":
		p.inTx, p.txWrites = true, false
		return ctx
	case "COMMIT", "ROLLBACK":
		if p.txWrites && strings.EqualFold(q, "COMMIT") {
			p.writeTxs++
		}
		p.inTx, p.txWrites = false, false
		return ctx
	}
	p.statements = append(p.statements, q)
	if !isWrite(q) {
		return ctx
	}
	p.writes++
	if p.inTx {
		p.txWrites = true
	} else {
		p.writeTxs++
	}
	if p.failAt > 0 && p.writes == p.failAt {
		p.failed = true
		ctx, cancel := context.WithCancelCause(ctx)
		cancel(ErrInjected)
		return ctx
	}
	return ctx
}

// AfterQuery does nothing.
func (p *Probe) AfterQuery(context.Context, *bun.QueryEvent) {}

// Reset clears the counts and arms a fault at the n-th write from now
// (0: none).
func (p *Probe) Reset(failAt int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.statements, p.writes, p.writeTxs, p.failAt, p.failed = nil, 0, 0, failAt, false
}

// Statements returns the statements run since Reset (without BEGIN,
// COMMIT and ROLLBACK).
func (p *Probe) Statements() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.statements...)
}

// WriteTransactions is the number of committed transactions (or single
// statements outside one) that wrote, since Reset.
func (p *Probe) WriteTransactions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writeTxs
}

// Writes is the number of write statements since Reset.
func (p *Probe) Writes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// Fired reports whether the armed fault was injected.
func (p *Probe) Fired() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}
