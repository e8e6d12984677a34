package reset_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/reset"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
)

// TestSend: an administrator's reset link is mailed at once, names the
// administrator, counts toward the account's 3 mails an hour, and is
// withdrawn (and not counted) when the mail server refuses it.
func TestSend(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		mails := smtptest.Start(t)
		e := servertest.Start(t, dbURL, servertest.Options{Vars: map[string]string{config.EnvSMTPURL: mails.URL()}})
		ctx := context.Background()
		users := map[string]*db.User{}
		for _, u := range []struct{ name, email string }{{"alice", "alice@example.com"}, {"bob", ""}, {"carol", "carol@example.com"}} {
			nu, err := e.Server.Users.Create(ctx, e.Server.DB, account.NewUser{Username: u.name, Email: u.email, Password: "a long enough password"})
			if err != nil {
				t.Fatal(err)
			}
			users[u.name] = nu
		}
		users["carol"].Disabled = true
		o := audit.Origin{IP: "192.0.2.1", Actor: "root", Reason: "asked by phone"}
		links := func() int {
			n, err := e.Server.DB.NewSelect().Model((*db.PasswordReset)(nil)).Where("user_id = ?", users["alice"].ID).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		if err := e.Server.Reset.Send(ctx, users["bob"], o); !errors.Is(err, reset.ErrNoEmail) {
			t.Fatalf("no email: %v", err)
		}
		if err := e.Server.Reset.Send(ctx, users["carol"], o); !errors.Is(err, reset.ErrDisabled) {
			t.Fatalf("disabled: %v", err)
		}
		mails.Refuse(true)
		var me *reset.MailError
		if err := e.Server.Reset.Send(ctx, users["alice"], o); !errors.As(err, &me) {
			t.Fatalf("mail server refusing: %v", err)
		}
		if n := links(); n != 0 {
			t.Fatalf("%d links kept after a failed mail", n)
		}
		mails.Refuse(false)
		for i := 0; i < 3; i++ { // the failed one did not count
			if err := e.Server.Reset.Send(ctx, users["alice"], o); err != nil {
				t.Fatalf("send %d: %v", i+1, err)
			}
		}
		var le *ratelimit.LimitedError
		if err := e.Server.Reset.Send(ctx, users["alice"], o); !errors.As(err, &le) {
			t.Fatalf("fourth mail of the hour: %v", err)
		}
		if got := len(mails.Mails()); got != 3 || links() != 3 {
			t.Fatalf("%d mails, %d links; want 3", got, links())
		}
		if m := mails.Mails()[0]; !strings.Contains(m.Text, "An administrator (root) sent you this link.") {
			t.Fatalf("mail:\n%s", m.Text)
		}
	})
}
