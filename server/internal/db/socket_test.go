package db_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"twofold/server/internal/db"
	"twofold/server/internal/testdb"
)

func TestSocketPath(t *testing.T) {
	for _, c := range []struct {
		url, socket, rest string
		local, bad        bool
	}{
		{url: "postgres://u:p@db.example.com:5432/twofold?sslmode=verify-full", rest: "postgres://u:p@db.example.com:5432/twofold?sslmode=verify-full"},
		{url: "postgres://u@/twofold?host=/run/postgresql", socket: "/run/postgresql/.s.PGSQL.5432", rest: "postgres://u@/twofold", local: true},
		{url: "postgresql://u@/twofold?host=/run/postgresql/&port=5433&search_path=s", socket: "/run/postgresql/.s.PGSQL.5433",
			rest: "postgresql://u@/twofold?search_path=s", local: true},
		{url: "postgres://u@:6543/twofold?host=/tmp", socket: "/tmp/.s.PGSQL.6543", rest: "postgres://u@/twofold", local: true},
		{url: "postgres://u@/twofold?host=/var/run/postgresql/.s.PGSQL.5432", socket: "/var/run/postgresql/.s.PGSQL.5432",
			rest: "postgres://u@/twofold", local: true},
		{url: "postgres://u@/twofold?host=/run/postgresql&port=x", bad: true},
		{url: "postgres://u@/twofold?host=/run/postgresql&port=70000", bad: true},
	} {
		socket, rest, local, err := db.SocketPath(c.url)
		if (err != nil) != c.bad || socket != c.socket || rest != c.rest || local != c.local {
			t.Errorf("SocketPath(%s) = %q, %q, %v, %v; want %q, %q, %v, error %v", c.url, socket, rest, local, err,
				c.socket, c.rest, c.local, c.bad)
		}
	}
}

// TestPostgresUnixSocket: a URL in libpq's form for a Unix socket
// (host=/directory) connects through the socket, without TLS; the same
// server through TCP is seen as a TCP client.
func TestPostgresUnixSocket(t *testing.T) {
	tcp := testdb.Postgres(t) // the schema, and the skip when PostgreSQL is unreachable
	dir := os.Getenv("TWOFOLD_TEST_POSTGRES_SOCKET_DIR")
	if dir == "" {
		dir = "/var/run/postgresql"
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err != nil {
		t.Skipf("no PostgreSQL socket in %s (set TWOFOLD_TEST_POSTGRES_SOCKET_DIR): %v", dir, err)
	}
	u, err := url.Parse(tcp)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("sslmode") // the socket URL needs none: no TLS through a socket
	q.Set("host", dir)
	u.Host, u.RawQuery = "", q.Encode()
	for _, c := range []struct {
		url    string
		socket bool
	}{{tcp, false}, {u.String(), true}} {
		d := open(t, c.url)
		var local bool
		if err := d.NewRaw("SELECT inet_server_addr() IS NULL").Scan(context.Background(), &local); err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if local != c.socket {
			t.Errorf("%s: connected through the Unix socket: %v, want %v", c.url, local, c.socket)
		}
		// The schema of the URL's search_path is the one in use.
		var schema string
		if err := d.NewRaw("SELECT current_schema()").Scan(context.Background(), &schema); err != nil || schema != q.Get("search_path") {
			t.Errorf("%s: schema %q (%v), want %q", c.url, schema, err, q.Get("search_path"))
		}
	}
}
