package server_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/account"
	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/server"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
)

// TestServeRunsTheJobs: Serve runs the reminders and the purge on their
// intervals, under their leases, and waits for them before it returns.
func TestServeRunsTheJobs(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		mails := smtptest.Start(t)
		cfg := servertest.Config(t, dbURL, t.TempDir(), map[string]string{config.EnvSMTPURL: mails.URL()})
		logs := &servertest.SafeBuffer{}
		c := clock.NewFake(time.Now())
		s, err := server.Open(context.Background(), cfg, server.Options{
			Clock: c, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Stderr: &servertest.SafeBuffer{}, PurgeEvery: 20 * time.Millisecond, RemindersEvery: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		// A reminder is due: 2FA expires in 5 days.
		u, err := s.Users.Create(ctx, s.DB, account.NewUser{Username: "alice", Email: "alice@example.com", Password: "a long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		enabled := c.Now().Add(-cfg.TFAExpiry + 5*24*time.Hour)
		if _, err := s.DB.NewInsert().Model(&db.TOTPSecret{UserID: u.ID, Secret: []byte("sealed"), EnabledAt: &enabled, UpdatedAt: enabled}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ { // enough backup codes: that reminder is not due
			if _, err := s.DB.NewInsert().Model(&db.BackupCode{UserID: u.ID, Salt: []byte{byte(i)}, MAC: []byte{byte(i)}, CreatedAt: enabled}).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// An expired session for the purge.
		if _, err := s.DB.NewInsert().Model(&db.Session{TokenHash: []byte("expired"), UserID: u.ID, Level: db.LevelFull, Kind: db.KindConsole,
			CreatedAt: enabled, LastSeenAt: enabled, ExpiresAt: enabled}).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sctx, stop := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- s.Serve(sctx, ln) }()
		m := mails.Wait(0, smtptest.To("alice@example.com"))
		if !strings.Contains(m.Text, "(in 5 days)") {
			t.Fatalf("reminder:\n%s", m.Text)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := s.DB.NewSelect().Model((*db.Session)(nil)).Where("user_id = ?", u.ID).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the purge did not remove the expired session")
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Joined: no job holds a lease any more, and nothing more is sent.
		time.Sleep(60 * time.Millisecond)
		n, err := s.DB.NewSelect().Model((*db.Lease)(nil)).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("%d leases held after Serve returned (%v)", n, err)
		}
		if got := len(mails.Mails()); got != 1 {
			t.Fatalf("%d mails, want 1", got)
		}
		if !strings.Contains(logs.String(), "msg=reminders sent=1") {
			t.Errorf("the reminder run is not logged:\n%s", logs.String())
		}
	})
}
