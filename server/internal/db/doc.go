// Package db opens the database (SQLite by default, PostgreSQL for
// production), holds the one model set shared by both dialects and applies
// the versioned migrations.
package db
