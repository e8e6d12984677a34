package db

import (
	"regexp"
	"strings"
	"testing"
)

// TestMigrationsOnlyAdd: every migration only adds (README, "Upgrades with
// several instances"): new tables, new indexes, new columns that are
// nullable or have a default. So an instance of the previous release keeps
// working on the migrated schema during a rolling upgrade.
func TestMigrationsOnlyAdd(t *testing.T) {
	var (
		createTable = regexp.MustCompile(`^CREATE TABLE \w+ \(`)
		createIndex = regexp.MustCompile(`^CREATE (UNIQUE )?INDEX \w+ ON \w+ \(`)
		addColumn   = regexp.MustCompile(`^ALTER TABLE \w+ ADD COLUMN \w+ [^;]+$`)
	)
	for _, m := range migrations {
		for _, stmt := range m.up {
			s := strings.Join(strings.Fields(stmt), " ")
			switch {
			case createTable.MatchString(s), createIndex.MatchString(s):
			case addColumn.MatchString(s):
				if strings.Contains(s, "NOT NULL") && !strings.Contains(s, "DEFAULT") {
					t.Errorf("migration %s: %q: a NOT NULL column needs a DEFAULT, or older instances cannot insert", m.name, s)
				}
			case m.name == "9990" && s == "SELECT pg_sleep(2)": // the rolling-upgrade test's slow step
			default:
				t.Errorf("migration %s: %q does not only add (new table, index, nullable or defaulted column)", m.name, s)
			}
		}
	}
}
