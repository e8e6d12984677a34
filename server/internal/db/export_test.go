package db

import "slices"

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
