package db

import (
	"slices"
	"time"
)

// PreparedTexts returns the texts of d's prepared statements, sorted.
func PreparedTexts(d *DB) []string {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	var out []string
	for q := range d.stmts.ready {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}

// SetWriterLinger sets how long SQLite's writer goroutine waits for the
// next transaction (writerLinger), from its next wait on.
func SetWriterLinger(d *DB, l time.Duration) { d.writes.linger.Store(int64(l)) }
