package deploydoc_test

import (
	"context"
	"encoding/base32"
	"log/slog"
	"testing"
	"time"

	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/server"
	"twofold/server/internal/servertest"
)

// totpCode is the code of a base32 secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totp.Code(raw, totp.Step(at), totp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openServer opens (and closes) a server on dbURL with the key in dir.
func openServer(t *testing.T, dbURL, dir string) (*server.Server, error) {
	t.Helper()
	cfg := servertest.Config(t, dbURL, dir, nil)
	s, err := server.Open(context.Background(), cfg, server.Options{Logger: slog.New(slog.DiscardHandler), Stderr: &servertest.SafeBuffer{}})
	if err == nil {
		s.Close()
	}
	return s, err
}
