//go:build twofold_testmigration

package db

import "fmt"

// The rolling-upgrade test (server/internal/cluster) builds the server a
// second time with this tag: a newer build with one more migration, made
// the way every migration must be (it only adds: a nullable or defaulted
// column, a new table). Its first statement stands for a slow step, so the
// test sees the old instance answer while the new one migrates. PostgreSQL
// only; never in a release build.
func init() {
	migrations = append(migrations, migration{
		name:    "9990",
		comment: "rolling upgrade test",
		up: []string{
			`SELECT pg_sleep(2)`,
			`CREATE TABLE rolling_upgrade_test (id {{id}}, note TEXT NOT NULL DEFAULT '')`,
			`ALTER TABLE users ADD COLUMN rolling_upgrade_note TEXT NOT NULL DEFAULT ''`,
		},
	})
	// Columns the old build's reads must not trip over (they name their
	// columns, never *). One table per migration: a transaction that
	// altered several tables would hold one while waiting for the next, and
	// deadlock with a query that reads them in the other order.
	for i, table := range []string{"sessions", "events", "throttles"} {
		migrations = append(migrations, migration{
			name:    fmt.Sprintf("999%d", i+1),
			comment: "rolling upgrade test: " + table,
			up:      []string{`ALTER TABLE ` + table + ` ADD COLUMN rolling_upgrade_note TEXT NOT NULL DEFAULT ''`},
		})
	}
}
