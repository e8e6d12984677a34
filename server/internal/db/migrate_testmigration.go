//go:build twofold_testmigration

package db

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
}
