package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/config"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// TestReminderMailsAndBanners: with the clock moved to 14 and then 3 days
// before 2FA turns "expired", one mail each and the banner data; with 2
// backup codes left, one mail and the banner data; running the job again
// sends nothing more.
func TestReminderMailsAndBanners(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		mails := smtptest.Start(t)
		e := servertest.Start(t, dbURL, servertest.Options{Vars: map[string]string{config.EnvSMTPURL: mails.URL()}})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		c.Must(200, "PUT", api.PathAccount, map[string]any{"email": adminEmail, "email_verification": false})
		en := enable(t, e, c, nil)
		expiresAt := e.Clock.Now().Add(e.Server.Config.TFAExpiry - 30*time.Second)
		e.Server.Notify.Wait()

		// signIn signs in again (the clock moved past the session) and
		// returns the account.
		signIn := func(t *testing.T) api.Account {
			t.Helper()
			e.Clock.Advance(30 * time.Second)
			p := loginTOTP(t, e, admin, servertest.AdminPassword)
			p.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
			var acc api.Account
			p.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
			c = p
			return acc
		}
		runJob := func(t *testing.T) []smtptest.Mail {
			t.Helper()
			e.Server.Notify.Wait()
			n := len(mails.Mails())
			for i := 0; i < 2; i++ { // twice: the second run sends nothing
				if _, err := e.Server.Reminders.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			return mails.Mails()[n:]
		}
		banner := func(acc api.Account) string {
			var s []string
			for _, n := range acc.Notices {
				s = append(s, n.Kind+":"+n.Action)
			}
			return strings.Join(s, ",")
		}

		if acc := signIn(t); banner(acc) != "" || acc.Notices == nil {
			t.Fatalf("fresh 2FA: notices %+v", acc.Notices)
		}
		for _, stage := range []struct {
			before time.Duration
			text   string
		}{{14 * 24 * time.Hour, "(in 14 days)"}, {3 * 24 * time.Hour, "(in 3 days)"}} {
			e.Clock.Set(expiresAt.Add(-stage.before + time.Minute))
			got := runJob(t)
			if len(got) != 1 || !smtptest.To(adminEmail)(got[0]) || !strings.Contains(got[0].Text, stage.text) ||
				!strings.Contains(got[0].Text, "/settings") {
				t.Fatalf("%s: %d mails", stage.text, len(got))
			}
			acc := signIn(t)
			if banner(acc) != "tfa_expiring:renew_tfa" || acc.Notices[0].ExpiresAt == nil || !acc.Notices[0].ExpiresAt.Equal(*acc.TFA.ExpiresAt) {
				t.Fatalf("%s: notices %+v", stage.text, acc.Notices)
			}
		}

		// Use backup codes down to 2.
		for i := 0; i < 4; i++ {
			e.Clock.Advance(30 * time.Second)
			p := loginTOTP(t, e, admin, servertest.AdminPassword)
			p.Must(200, "POST", api.PathVerify, map[string]string{"code": en.codes[i]})
		}
		e.Server.Notify.Wait()
		got := runJob(t)
		if len(got) != 1 || got[0].Subject != "Twofold: Few backup codes left" || !strings.Contains(got[0].Text, "Only 2 backup codes") {
			t.Fatalf("2 backup codes left: %d mails", len(got))
		}
		acc := signIn(t)
		if banner(acc) != "tfa_expiring:renew_tfa,backup_codes_low:regenerate_backup_codes" || *acc.Notices[1].BackupCodesRemaining != 2 {
			t.Fatalf("2 backup codes left: notices %s", banner(acc))
		}
		// Regenerating clears the banner.
		c.Must(200, "POST", api.PathBackupCodes, map[string]string{"code": code(t, en.secret, e.Clock.Now().Add(30*time.Second))})
		c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		if banner(acc) != "tfa_expiring:renew_tfa" {
			t.Fatalf("after regenerating: notices %s", banner(acc))
		}
		if got := runJob(t); len(got) != 0 {
			t.Fatalf("nothing more due: %d mails", len(got))
		}
	})
}
