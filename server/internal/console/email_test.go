package console_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

const adminEmail = "admin@example.com"

// emailEnv is a server whose admin has email verification on, with a real
// SMTP server in the test process.
func emailEnv(t *testing.T, dbURL string, hooks ...bun.QueryHook) (*servertest.Env, *smtptest.Server) {
	t.Helper()
	mails := smtptest.Start(t)
	e := servertest.Start(t, dbURL, servertest.Options{Vars: map[string]string{config.EnvSMTPURL: mails.URL()}, DBHooks: hooks})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	c.Must(200, "PUT", api.PathAccount, map[string]any{"email": adminEmail, "email_verification": true})
	return e, mails
}

// loginEmail signs in with the password and returns the client and the
// code mailed for it.
func loginEmail(t *testing.T, e *servertest.Env, mails *smtptest.Server) (*servertest.Client, string) {
	t.Helper()
	n := len(mails.Mails())
	c := e.NewClient()
	var lr api.LoginResponse
	c.Login(admin, servertest.AdminPassword).JSON(t, &lr)
	if lr.Status != api.StatusVerify || lr.Method != api.MethodEmail || lr.EmailHint != "a***@example.com" || lr.User != nil {
		t.Fatalf("login with email verification: %+v", lr)
	}
	m := mails.Wait(n, codeMail)
	code := m.Code()
	if code == "" {
		t.Fatalf("no code in the mail:\n%s", m.Text)
	}
	return c, code
}

func TestEmailLoginVerification(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails := emailEnv(t, dbURL)
		c, code := loginEmail(t, e, mails)
		m := mails.Mails()[len(mails.Mails())-1]
		if m.Subject == "" || m.HTML == "" || !strings.Contains(m.HTML, code) || m.From == "" {
			t.Fatalf("mail: subject %q, html %d bytes, from %q", m.Subject, len(m.HTML), m.From)
		}
		assertCodeNotStored(t, e, code)
		if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("pending email session reached the account: %d", r.Status)
		}
		if r := c.Do("POST", api.PathVerify, map[string]string{"code": wrongCode(code)}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("wrong code: %d %s", r.Status, r.Body)
		}
		pending := *c.SessionCookie()
		var lr api.LoginResponse
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code}).JSON(t, &lr)
		if lr.Status != api.StatusOK || lr.User == nil {
			t.Fatalf("verify: %+v", lr)
		}
		if c.SessionCookie().Value == pending.Value {
			t.Fatal("token not replaced after the email code")
		}
		c.Must(200, "GET", api.PathAccount, nil)
		// The code used twice: the pending session is gone.
		old := e.NewClient()
		old.Headers["Cookie"] = pending.Name + "=" + pending.Value
		if r := old.Do("POST", api.PathVerify, map[string]string{"code": code}); r.Status != 401 {
			t.Fatalf("code used twice: %d %s", r.Status, r.Body)
		}
	})
}

// codeMail matches the sign-in code mails to the admin (security notices,
// sent in the background, may arrive in between).
func codeMail(m smtptest.Mail) bool {
	return smtptest.To(adminEmail)(m) && m.Subject == "Your Twofold sign-in code"
}

func wrongCode(code string) string {
	return fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// assertCodeNotStored looks for the code in the email challenge and every
// text column that could hold it.
func assertCodeNotStored(t *testing.T, e *servertest.Env, code string) {
	t.Helper()
	var rows []db.EmailChallenge
	if err := e.Server.DB.NewSelect().Model(&rows).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no email challenge stored")
	}
	for _, r := range rows {
		if strings.Contains(string(r.MAC), code) || strings.Contains(string(r.Salt), code) || len(r.MAC) != 32 {
			t.Fatalf("challenge holds the code or no MAC: %+v", r)
		}
	}
	var events []db.Event
	e.Server.DB.NewSelect().Model(&events).Scan(context.Background())
	for _, ev := range events {
		if strings.Contains(ev.Detail, code) {
			t.Fatalf("event %s holds the code", ev.Type)
		}
	}
	if strings.Contains(e.Logs.String(), code) {
		t.Fatal("the log holds the code")
	}
}

func TestEmailCodeRules(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails := emailEnv(t, dbURL)

		// A code from another pending session is refused.
		a, codeA := loginEmail(t, e, mails)
		b, codeB := loginEmail(t, e, mails)
		if codeA != codeB {
			if r := a.Do("POST", api.PathVerify, map[string]string{"code": codeB}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("code of another session: %d %s", r.Status, r.Body)
			}
		}
		// After 10 minutes the code is refused.
		e.Clock.Advance(10*time.Minute + time.Second)
		if r := b.Do("POST", api.PathVerify, map[string]string{"code": codeB}); r.Status != 401 {
			t.Fatalf("code after 10 minutes: %d %s", r.Status, r.Body)
		}

		// Resend: not before 60 s; then the old code stops working.
		c, code1 := loginEmail(t, e, mails)
		if r := c.Do("POST", api.PathResend, nil); r.Status != 429 || r.Code() != api.CodeRateLimited || r.Header.Get("Retry-After") == "" {
			t.Fatalf("resend within 60 s: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(61 * time.Second)
		n := len(mails.Mails())
		c.Must(204, "POST", api.PathResend, "{}")
		code2 := mails.Wait(n, codeMail).Code()
		if code1 != code2 {
			if r := c.Do("POST", api.PathVerify, map[string]string{"code": code1}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("old code after resend: %d %s", r.Status, r.Body)
			}
		}
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code2})
		// Resend needs a pending email session.
		if r := c.Do("POST", api.PathResend, nil); r.Status != 401 || r.Code() != api.CodeLoginExpired {
			t.Fatalf("resend on a full session: %d %s", r.Status, r.Body)
		}

		// 5 sends per pending sign-in at most (the first one included).
		d, _ := loginEmail(t, e, mails)
		for i := 2; i <= 5; i++ {
			e.Clock.Advance(61 * time.Second)
			d.Must(204, "POST", api.PathResend, nil)
		}
		e.Clock.Advance(61 * time.Second)
		if r := d.Do("POST", api.PathResend, nil); r.Status != 429 {
			t.Fatalf("6th send: %d %s", r.Status, r.Body)
		}

		// 5 wrong tries end the pending sign-in. (An hour later: ten code
		// mails went out for this account so far, its hourly cap.)
		e.Clock.Advance(61 * time.Minute)
		f, code := loginEmail(t, e, mails)
		for i := 1; i <= 5; i++ {
			if r := f.Do("POST", api.PathVerify, map[string]string{"code": wrongCode(code)}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Body)
			}
		}
		if r := f.Do("POST", api.PathVerify, map[string]string{"code": code}); r.Status != 401 || r.Code() != api.CodeLoginExpired {
			t.Fatalf("right code after 5 wrong ones: %d %s", r.Status, r.Body)
		}
		// Signing in again does not buy more guesses: the account's
		// second-factor counter goes on (10 failures → 429).
		g, _ := loginEmail(t, e, mails)
		for i := 6; i <= 10; i++ {
			g.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
		}
		h, code := loginEmail(t, e, mails)
		if r := h.Do("POST", api.PathVerify, map[string]string{"code": code}); r.Status != 429 {
			t.Fatalf("after 10 wrong email codes in all: %d %s", r.Status, r.Body)
		}
	})
}

func TestParallelEmailCode(t *testing.T) {
	t.Parallel()
	e, mails := emailEnv(t, testdb.SQLite(t))
	c, code := loginEmail(t, e, mails)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = c.Do("POST", api.PathVerify, map[string]string{"code": code}).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 8 parallel uses of one email code succeeded: %v", ok, statuses)
	}
}

func TestMailServerDown(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails := emailEnv(t, dbURL)
		mails.Stop()
		c := e.NewClient()
		r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword})
		var ae api.Error
		r.JSON(t, &ae)
		if r.Status != 503 || ae.Code != api.CodeUnavailable || ae.EmailHint != "a***@example.com" || ae.Message == "" {
			t.Fatalf("login with SMTP down: %d %s", r.Status, r.Body)
		}
		if c.SessionCookie() == nil {
			t.Fatal("the pending session was not kept")
		}
		// A refusing server is a failure too, and a failed send starts no cooldown.
		mails.Restart()
		mails.Refuse(true)
		if r := c.Do("POST", api.PathResend, nil); r.Status != 503 {
			t.Fatalf("resend to a refusing server: %d %s", r.Status, r.Body)
		}
		mails.Refuse(false)
		n := len(mails.Mails())
		c.Must(204, "POST", api.PathResend, nil)
		code := mails.Wait(n, codeMail).Code()
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code})
	})
}

func TestNoEmailWithTOTP(t *testing.T) {
	t.Parallel()
	e, mails := emailEnv(t, testdb.SQLite(t))
	c, code := loginEmail(t, e, mails)
	c.Must(200, "POST", api.PathVerify, map[string]string{"code": code})
	enable(t, e, c, map[string]string{"password": servertest.AdminPassword})
	e.Server.Notify.Wait()
	n := len(mails.Mails())
	loginTOTP(t, e, admin, servertest.AdminPassword)
	loginTOTP(t, e, admin, servertest.AdminPassword)
	e.Server.Notify.Wait()
	time.Sleep(100 * time.Millisecond)
	if got := mails.Mails()[n:]; len(got) != 0 {
		t.Fatalf("%d mails sent at sign-in with TOTP on: %q", len(got), got[0].Subject)
	}
	// Resend is not for TOTP sign-ins.
	p := loginTOTP(t, e, admin, servertest.AdminPassword)
	if r := p.Do("POST", api.PathResend, nil); r.Status != 400 || r.Code() != api.CodeBadRequest {
		t.Fatalf("resend on a TOTP sign-in: %d %s", r.Status, r.Body)
	}
}

func TestSecurityNotifications(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		mails := smtptest.Start(t)
		e := servertest.Start(t, dbURL, servertest.Options{Vars: map[string]string{config.EnvSMTPURL: mails.URL()}})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		c.Headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"
		c.Must(200, "PUT", api.PathAccount, map[string]any{"email": "old@example.com", "email_verification": false})
		type step struct {
			name    string
			do      func()
			to      string
			subject string
			body    string
		}
		var en enrolled
		steps := []step{
			{"email changed", func() {
				c.Must(200, "PUT", api.PathAccount, map[string]any{"email": adminEmail, "email_verification": false})
			}, "old@example.com", "email address was changed", "no longer receive"},
			{"password changed", func() {
				c.Must(204, "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "the next secret"})
			}, adminEmail, "password was changed", "other sessions were signed out"},
			{"2FA enabled", func() { en = enable(t, e, c, map[string]string{"password": "the next secret"}) }, adminEmail, "turned on", "six new backup codes"},
			{"backup code used", func() {
				p := loginTOTP(t, e, admin, "the next secret")
				p.Headers["User-Agent"] = c.Headers["User-Agent"]
				p.Must(200, "POST", api.PathVerify, map[string]string{"code": en.codes[0]})
			}, adminEmail, "backup code was used", "5 backup codes are left"},
			{"failed codes", func() {
				p := loginTOTP(t, e, admin, "the next secret")
				for i := 0; i < 6; i++ {
					p.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
				}
				e.Clock.Advance(16 * time.Minute)
			}, adminEmail, "Failed sign-in codes", "5 wrong two-factor codes"},
			{"backup codes regenerated", func() {
				c.Must(200, "POST", api.PathBackupCodes, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
			}, adminEmail, "New backup codes", "no longer work"},
			{"2FA renewed", func() {
				e.Clock.Advance(6 * time.Minute)
				var setup api.TOTPSetup
				c.Must(200, "POST", api.PathTOTPSetup, map[string]string{"code": code(t, en.secret, e.Clock.Now())}).JSON(t, &setup)
				var res api.TOTPEnabled
				c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}).JSON(t, &res)
				en.secret, en.codes = setup.Secret, res.BackupCodes
				e.Clock.Advance(30 * time.Second)
			}, adminEmail, "renewed", "replace the old ones"},
			{"2FA disabled", func() {
				c.Must(200, "POST", api.PathTOTPDisable, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
			}, adminEmail, "turned off", "only your password"},
		}
		for _, s := range steps {
			e.Server.Notify.Wait()
			n := len(mails.Mails())
			s.do()
			e.Server.Notify.Wait()
			got := mails.Mails()[n:]
			if len(got) != 1 {
				subjects := []string{}
				for _, m := range got {
					subjects = append(subjects, m.Subject)
				}
				t.Fatalf("%s: %d mails %q, want 1", s.name, len(got), subjects)
			}
			m := got[0]
			if !smtptest.To(s.to)(m) || !strings.Contains(m.Subject, s.subject) || !strings.Contains(m.Text, s.body) {
				t.Fatalf("%s: mail to %v %q:\n%s", s.name, m.To, m.Subject, m.Text)
			}
			for _, want := range []string{"IP address: 127.0.0.1", "Time: ", "If it was not you", "change your password"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("%s: mail lacks %q:\n%s", s.name, want, m.Text)
				}
			}
			if s.name != "failed codes" && s.name != "backup code used" && s.name != "2FA enabled" && !strings.Contains(m.Text, "Chrome on Linux") {
				t.Errorf("%s: browser not named:\n%s", s.name, m.Text)
			}
		}
	})
}

func TestMailsInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	e, mails := emailEnv(t, testdb.SQLite(t))
	c := e.NewClient()
	c.Headers["Accept-Language"] = "fr-FR,fr;q=0.9,en;q=0.5"
	n := len(mails.Mails())
	c.Login(admin, servertest.AdminPassword)
	m := mails.Wait(n, smtptest.To(adminEmail))
	if m.Subject != "Votre code de connexion Twofold" || !strings.Contains(m.Text, "valable 10\u00a0minutes") || m.Code() == "" {
		t.Fatalf("French code mail: %q\n%s", m.Subject, m.Text)
	}
	c.Must(200, "POST", api.PathVerify, map[string]string{"code": m.Code()})
	// Stored: a later notice, from a request without the header, is French too.
	c.Headers = map[string]string{}
	c.Must(204, "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "encore un secret"})
	e.Server.Notify.Wait()
	last := mails.Mails()[len(mails.Mails())-1]
	if last.Subject != "Twofold\u00a0: Votre mot de passe a été modifié" || !strings.Contains(last.Text, "Adresse IP") {
		t.Fatalf("French notice: %q\n%s", last.Subject, last.Text)
	}
	// English again when the user switches.
	c.Headers["Accept-Language"] = "en"
	c.Must(200, "GET", api.PathAccount, nil)
	c.Headers = map[string]string{}
	n = len(mails.Mails())
	c.Login(admin, "encore un secret")
	if m := mails.Wait(n, smtptest.To(adminEmail)); m.Subject != "Your Twofold sign-in code" {
		t.Fatalf("after switching to English: %q", m.Subject)
	}
}

func TestPendingDescribesTheSignIn(t *testing.T) {
	t.Parallel()
	e, mails := emailEnv(t, testdb.SQLite(t))
	c, _ := loginEmail(t, e, mails)
	var p api.Pending
	c.Must(200, "GET", api.PathPending, nil).JSON(t, &p)
	if p.Method != api.MethodEmail || p.EmailHint != "a***@example.com" || p.ResendAfter != 60 || !p.ExpiresAt.Equal(e.Clock.Now().Add(10*time.Minute)) {
		t.Fatalf("pending: %+v", p)
	}
	e.Clock.Advance(45 * time.Second)
	c.Must(200, "GET", api.PathPending, nil).JSON(t, &p)
	if p.ResendAfter != 15 {
		t.Fatalf("resend_after after 45 s: %d", p.ResendAfter)
	}
	if r := e.NewClient().Do("GET", api.PathPending, nil); r.Status != 401 || r.Code() != api.CodeLoginExpired {
		t.Fatalf("no pending sign-in: %d %s", r.Status, r.Body)
	}
	// A full session is not pending; its account tells its level and the server's time.
	var acc api.Account
	c2, code2 := loginEmail(t, e, mails)
	c2.Must(200, "POST", api.PathVerify, map[string]string{"code": code2})
	c2.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
	if acc.Session != "full" || !acc.ServerTime.Equal(e.Clock.Now()) {
		t.Fatalf("account session %q server_time %v", acc.Session, acc.ServerTime)
	}
	if r := c2.Do("GET", api.PathPending, nil); r.Status != 401 {
		t.Fatalf("pending on a full session: %d", r.Status)
	}
}
