package console_test

// Regression tests of the outside security review of commit 2115272
// (../shared/reviews/security-2115272.md), named after its findings, and
// of issue 8's atomicity and fault points.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
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

// userID returns the id of a user.
func userID(t *testing.T, e *servertest.Env, name string) int64 {
	t.Helper()
	u, err := e.Server.Users.ByUsername(context.Background(), e.Server.DB, name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// unusedCodes counts a user's unused backup codes in the database.
func unusedCodes(t *testing.T, e *servertest.Env, uid int64) int {
	t.Helper()
	n, err := e.Server.DB.NewSelect().Model((*db.BackupCode)(nil)).Where("user_id = ?", uid).Where("used_at IS NULL").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// failures sums the failure counters of passwords and codes.
func failures(t *testing.T, e *servertest.Env) int {
	t.Helper()
	var rows []db.Throttle
	if err := e.Server.DB.NewSelect().Model(&rows).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if strings.HasPrefix(r.Key, "pw:") || strings.HasPrefix(r.Key, "2fa:") {
			n += r.Failures
		}
	}
	return n
}

// elevate steps a TOTP session up with a fresh code.
func elevate(t *testing.T, e *servertest.Env, en enrolled) {
	t.Helper()
	e.Clock.Advance(30 * time.Second)
	en.c.Must(200, "POST", api.PathAccountVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
}

// TestF1ParallelRegenerationLeavesOneSet: parallel backup-code
// regenerations, or a renewal racing them, leave exactly six valid codes.
func TestF1ParallelRegenerationLeavesOneSet(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		uid := userID(t, e, admin)
		for round := 0; round < 3; round++ {
			elevate(t, e, en)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var sets [][]string
			for i := 0; i < 30; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := c.Do("POST", api.PathBackupCodes, nil)
					if r.Status == 200 {
						var bc api.BackupCodes
						r.JSON(t, &bc)
						mu.Lock()
						sets = append(sets, bc.BackupCodes)
						mu.Unlock()
					} else if r.Status != 503 {
						t.Errorf("regenerate: %d %s", r.Status, r.Body)
					}
				}()
			}
			wg.Wait()
			if n := unusedCodes(t, e, uid); n != 6 {
				t.Fatalf("round %d: %d valid backup codes after %d parallel regenerations, want 6", round, n, len(sets))
			}
		}
		// A renewal racing regenerations: still one set.
		elevate(t, e, en)
		var setup api.TOTPSetup
		c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
		elevate(t, e, en)
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i == 5 {
					c.Do("POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())})
					return
				}
				c.Do("POST", api.PathBackupCodes, nil)
			}(i)
		}
		wg.Wait()
		if n := unusedCodes(t, e, uid); n != 6 {
			t.Fatalf("%d valid backup codes after a renewal raced regenerations, want 6", n)
		}
	})
}

// faultEach sends a request again and again with a database fault injected
// at its 1st, 2nd, ... write, until it succeeds; after every fault it
// expects 503 and calls unchanged, which checks that nothing was written.
// It returns the successful answer.
func faultEach(t *testing.T, e *servertest.Env, probe *testdb.Probe, send func() *servertest.Response, unchanged func(k int)) *servertest.Response {
	t.Helper()
	for k := 1; k <= 60; k++ {
		probe.Reset(k)
		r := send()
		if !probe.Fired() {
			probe.Reset(0)
			return r
		}
		probe.Reset(0)
		if r.Status != 503 || r.Code() != api.CodeUnavailable {
			t.Fatalf("fault at write %d: got %d %s, want 503 unavailable", k, r.Status, r.Body)
		}
		unchanged(k)
	}
	t.Fatal("the request never succeeded")
	return nil
}

// TestF2FaultsLeaveNothingHalfDone: a database fault at any write of the
// sign-in and step-up paths answers 503, consumes no code, counts no
// failure and changes nothing; the same request then succeeds.
func TestF2FaultsLeaveNothingHalfDone(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e := servertest.Start(t, url, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		uid := userID(t, e, admin)

		// Password step of a TOTP-off user (and a password step-up).
		c := e.NewClient()
		r := faultEach(t, e, probe, func() *servertest.Response {
			return c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword})
		}, func(k int) {
			if n := failures(t, e); n != 0 {
				t.Fatalf("login, fault at write %d: %d failures counted", k, n)
			}
			if c.SessionCookie() != nil {
				t.Fatalf("login, fault at write %d: a session cookie was set", k)
			}
		})
		if r.Status != 200 {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(6 * time.Minute) // the sign-in no longer counts as a step-up
		r = faultEach(t, e, probe, func() *servertest.Response {
			return c.Do("PUT", api.PathAccount, map[string]any{"email": "a@example.com", "email_verification": false, "password": servertest.AdminPassword})
		}, func(k int) {
			acc := c.Must(200, "GET", api.PathAccount, nil).Map(t)
			if acc["email"] != "" || acc["elevated_until"] != nil || failures(t, e) != 0 {
				t.Fatalf("password step-up, fault at write %d: %v, %d failures", k, acc, failures(t, e))
			}
		})
		if r.Status != 200 {
			t.Fatalf("password step-up: %d %s", r.Status, r.Body)
		}

		// Enabling TOTP: nothing enabled after a fault.
		var setup api.TOTPSetup
		c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
		r = faultEach(t, e, probe, func() *servertest.Response {
			return c.Do("POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())})
		}, func(k int) {
			acc := c.Must(200, "GET", api.PathAccount, nil).Map(t)
			if st := acc["tfa"].(map[string]any)["state"]; st != api.TFANotEnabled || unusedCodes(t, e, uid) != 0 || failures(t, e) != 0 {
				t.Fatalf("enable, fault at write %d: state %v, %d codes, %d failures", k, st, unusedCodes(t, e, uid), failures(t, e))
			}
		})
		var enabled api.TOTPEnabled
		r.JSON(t, &enabled)
		if r.Status != 200 || len(enabled.BackupCodes) != 6 {
			t.Fatalf("enable: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(30 * time.Second)

		// Second step with a backup code: the code stays unused and the
		// pending session stays until the sign-in succeeds.
		v := loginTOTP(t, e, admin, servertest.AdminPassword)
		backup := enabled.BackupCodes[0]
		r = faultEach(t, e, probe, func() *servertest.Response {
			return v.Do("POST", api.PathVerify, map[string]string{"code": backup})
		}, func(k int) {
			if n := unusedCodes(t, e, uid); n != 6 {
				t.Fatalf("verify, fault at write %d: %d unused codes, want 6", k, n)
			}
			if n := failures(t, e); n != 0 {
				t.Fatalf("verify, fault at write %d: %d failures counted", k, n)
			}
		})
		if r.Status != 200 || unusedCodes(t, e, uid) != 5 {
			t.Fatalf("verify after the faults: %d %s, %d codes left", r.Status, r.Body, unusedCodes(t, e, uid))
		}

		// Step-up with a backup code inside the change.
		backup = enabled.BackupCodes[1]
		r = faultEach(t, e, probe, func() *servertest.Response {
			return v.Do("PUT", api.PathAccount, map[string]any{"email": "b@example.com", "email_verification": false, "code": backup})
		}, func(k int) {
			acc := v.Must(200, "GET", api.PathAccount, nil).Map(t)
			if acc["email"] != "a@example.com" || unusedCodes(t, e, uid) != 5 || failures(t, e) != 0 || acc["elevated_until"] != nil {
				t.Fatalf("code step-up, fault at write %d: %v, %d codes, %d failures", k, acc, unusedCodes(t, e, uid), failures(t, e))
			}
		})
		if r.Status != 200 || unusedCodes(t, e, uid) != 4 {
			t.Fatalf("code step-up after the faults: %d %s", r.Status, r.Body)
		}

		// A wrong code under a fault is not counted either.
		w := loginTOTP(t, e, admin, servertest.AdminPassword)
		probe.Reset(1)
		if r := w.Do("POST", api.PathVerify, map[string]string{"code": "000000"}); r.Status != 503 || failures(t, e) != 0 {
			t.Fatalf("wrong code under a fault: %d %s, %d failures", r.Status, r.Body, failures(t, e))
		}
		probe.Reset(0)
	})
}

// TestF2EmailSignInFaults: the same for an email sign-in; a fault mails no
// code and keeps no pending session; the second step under faults keeps
// the code usable.
func TestF2EmailSignInFaults(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e, mails := emailEnv(t, url, probe)
		c := e.NewClient()
		sent := len(mails.Mails())
		r := faultEach(t, e, probe, func() *servertest.Response {
			return c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword})
		}, func(k int) {
			if n := len(mails.Mails()); n != sent {
				t.Fatalf("email login, fault at write %d: %d mails sent", k, n-sent)
			}
			if failures(t, e) != 0 || c.SessionCookie() != nil {
				t.Fatalf("email login, fault at write %d: %d failures, cookie %v", k, failures(t, e), c.SessionCookie())
			}
		})
		if r.Status != 200 {
			t.Fatalf("email login: %d %s", r.Status, r.Body)
		}
		code := mails.Wait(sent, codeMail).Code()
		r = faultEach(t, e, probe, func() *servertest.Response {
			return c.Do("POST", api.PathVerify, map[string]string{"code": code})
		}, func(k int) {
			if failures(t, e) != 0 {
				t.Fatalf("email verify, fault at write %d: %d failures", k, failures(t, e))
			}
		})
		if r.Status != 200 {
			t.Fatalf("email verify after the faults: %d %s", r.Status, r.Body)
		}
	})
}

// TestF4FirstEnrolmentNeedsStepUp: a session whose sign-in is older than 5
// minutes cannot put an authenticator on a TOTP-off account without the
// password.
func TestF4FirstEnrolmentNeedsStepUp(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		e.Clock.Advance(6 * time.Minute)
		if r := c.Do("POST", api.PathTOTPSetup, nil); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("setup without step-up: %d %s", r.Status, r.Body)
		}
		if r := c.Do("POST", api.PathTOTPSetup, map[string]string{"password": "wrong password 1"}); r.Status != 401 || r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("setup with a wrong password: %d %s", r.Status, r.Body)
		}
		if r := c.Do("POST", api.PathTOTPEnable, map[string]string{"code": "123456"}); r.Status != 400 {
			t.Fatalf("enable without a setup: %d %s", r.Status, r.Body)
		}
		enable(t, e, c, map[string]string{"password": servertest.AdminPassword})
		// Right after a sign-in it needs nothing more (the sign-in is the
		// step-up).
		ctx := context.Background()
		if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("fresh", "fresh password 1")); err != nil {
			t.Fatal(err)
		}
		f := e.NewClient()
		f.Login("fresh", "fresh password 1")
		f.Must(200, "POST", api.PathTOTPSetup, nil)
	})
}

// TestF5DeviceCookieEscapesLockout: strangers who lock a username out (100
// wrong passwords from anywhere, or 10 from the owner's IP) do not lock
// out a browser that signed in as that user before; its own wrong
// passwords are counted on their own.
func TestF5DeviceCookieEscapesLockout(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{Vars: map[string]string{config.EnvTrustedProxies: "127.0.0.1/32"}})
		owner := e.NewClient()
		owner.Headers["X-Forwarded-For"] = "192.0.2.10"
		owner.Login(admin, servertest.AdminPassword)
		owner.Must(204, "POST", api.PathLogout, nil)
		if !hasCookie(owner, "twofold_device") {
			t.Fatal("no device cookie after a sign-in")
		}
		// Ten wrong passwords from the owner's IP lock (username, IP)...
		stranger := e.NewClient()
		stranger.Headers["X-Forwarded-For"] = "192.0.2.10"
		for i := 0; i < 10; i++ {
			stranger.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong password"})
		}
		if r := stranger.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 429 {
			t.Fatalf("stranger after 10 failures from the IP: %d %s", r.Status, r.Body)
		}
		owner.Login(admin, servertest.AdminPassword)
		owner.Must(204, "POST", api.PathLogout, nil)
		// ... and 100 from 100 IPs lock the username.
		for i := 0; i < 100; i++ {
			s := e.NewClient()
			s.Headers["X-Forwarded-For"] = fmt.Sprintf("198.51.100.%d", i+1)
			s.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong password"})
		}
		fresh := e.NewClient()
		fresh.Headers["X-Forwarded-For"] = "203.0.113.7"
		if r := fresh.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 429 {
			t.Fatalf("a new browser after 100 failures: %d %s", r.Status, r.Body)
		}
		owner.Login(admin, servertest.AdminPassword)
		// The device's own failures lock only the device.
		owner.Must(204, "POST", api.PathLogout, nil)
		for i := 0; i < 10; i++ {
			owner.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong password"})
		}
		if r := owner.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 429 {
			t.Fatalf("device after its own 10 failures: %d %s", r.Status, r.Body)
		}
		// A tampered device cookie is worth nothing.
		forged := e.NewClient()
		forged.Headers["X-Forwarded-For"] = "203.0.113.8"
		forged.Headers["Cookie"] = "twofold_device=" + strings.Repeat("A", 59)
		if r := forged.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 429 {
			t.Fatalf("forged device cookie: %d %s", r.Status, r.Body)
		}
	})
}

func hasCookie(c *servertest.Client, name string) bool {
	u, _ := http.NewRequest("GET", c.Base+"/", nil)
	for _, ck := range c.HTTP.Jar.Cookies(u.URL) {
		if ck.Name == name {
			return true
		}
	}
	return false
}

// TestF6CodeMailsCapped: at most 10 code mails per account per hour,
// sign-ins and resends together; then a right password answers 429
// without mailing.
func TestF6CodeMailsCapped(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e, mails := emailEnv(t, url)
		first := len(mails.Mails())
		c, _ := loginEmail(t, e, mails)
		e.Clock.Advance(61 * time.Second)
		c.Must(204, "POST", api.PathResend, nil)
		mails.Wait(first+1, codeMail)
		for i := 3; i <= 10; i++ {
			loginEmail(t, e, mails)
		}
		n := len(mails.Mails())
		d := e.NewClient()
		r := d.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword})
		if r.Status != 429 || r.Code() != api.CodeRateLimited || r.Header.Get("Retry-After") == "" {
			t.Fatalf("11th code mail within the hour: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(61 * time.Second)
		if r := c.Do("POST", api.PathResend, nil); r.Status != 429 {
			t.Fatalf("resend past the cap: %d %s", r.Status, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
		if got := len(mails.Mails()); got != n {
			t.Fatalf("%d mails sent past the cap", got-n)
		}
		if d.SessionCookie() != nil {
			t.Fatal("a pending session was opened past the cap")
		}
		// The right password was not counted as a failure.
		if f := failures(t, e); f != 0 {
			t.Fatalf("%d failures counted for right passwords", f)
		}
		e.Clock.Advance(time.Hour)
		loginEmail(t, e, mails)
	})
}

// TestF7EmailSignInCountsAsStepUp: a sign-in with password and email code
// (TOTP off) elevates the session like a password sign-in.
func TestF7EmailSignInCountsAsStepUp(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e, mails := emailEnv(t, url)
		c, code := loginEmail(t, e, mails)
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code})
		if acc := c.Must(200, "GET", api.PathAccount, nil).Map(t); acc["elevated_until"] == nil {
			t.Fatalf("not elevated after an email sign-in: %v", acc)
		}
		c.Must(200, "PUT", api.PathAccount, map[string]any{"email": "other@example.com", "email_verification": true})
	})
}

// TestF8SentPasswordAlwaysChecked: a wrong "password" field is refused even
// when current_password is right.
func TestF8SentPasswordAlwaysChecked(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		r := c.Do("POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword,
			"new_password": "Another-Strong-Pass-42", "password": "definitely-wrong"})
		if r.Status != 401 || r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("wrong password field: %d %s", r.Status, r.Body)
		}
		e.NewClient().Login(admin, servertest.AdminPassword) // unchanged
		c.Must(204, "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword,
			"new_password": "Another-Strong-Pass-42", "password": servertest.AdminPassword})
	})
}

// TestF15LogoutClearsSiteData: logout asks the browser to drop its cache.
func TestF15LogoutClearsSiteData(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	r := c.Must(204, "POST", api.PathLogout, nil)
	if got := r.Header.Get("Clear-Site-Data"); !strings.Contains(got, `"cache"`) {
		t.Fatalf("Clear-Site-Data = %q", got)
	}
}

// TestParallelResendsCannotPassTheCooldown: of parallel resends after the
// cooldown exactly one sends a mail.
func TestParallelResendsCannotPassTheCooldown(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e, mails := emailEnv(t, url)
		c, _ := loginEmail(t, e, mails)
		e.Clock.Advance(61 * time.Second)
		n := len(mails.Mails())
		var wg sync.WaitGroup
		var mu sync.Mutex
		status := map[int]int{}
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := c.Do("POST", api.PathResend, nil)
				mu.Lock()
				status[r.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if status[204] != 1 || status[429] != 9 {
			t.Fatalf("parallel resends: %v, want one 204 and nine 429", status)
		}
		time.Sleep(100 * time.Millisecond)
		if got := len(mails.Mails()) - n; got != 1 {
			t.Fatalf("%d mails for parallel resends, want 1", got)
		}
		var ch db.EmailChallenge
		if err := e.Server.DB.NewSelect().Model(&ch).Order("session_id DESC").Limit(1).Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if ch.Sends != 2 {
			t.Fatalf("sends = %d, want 2", ch.Sends)
		}
	})
}

// TestSignInWritesAtMostThreeTransactions: a full sign-in (password and
// second step together) commits at most three write transactions, and
// GET /api/account runs at most two statements.
func TestSignInWritesAtMostThreeTransactions(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		mails := smtptest.Start(t)
		probe := &testdb.Probe{}
		e := servertest.Start(t, url, servertest.Options{Vars: map[string]string{config.EnvSMTPURL: mails.URL()},
			DBHooks: []bun.QueryHook{probe}})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)

		probe.Reset(0)
		v := loginTOTP(t, e, admin, servertest.AdminPassword)
		if e.Server.DB.Kind == db.Postgres {
			// The password step writes its count, then everything else in
			// one statement (the user's lock, the counters' reset, the
			// pending session): one round trip instead of five.
			if n := probe.Writes(); n != 2 {
				t.Fatalf("TOTP password step: %d write statements, want 2:\n%s", n, strings.Join(probe.Statements(), "\n"))
			}
		}
		v.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		if n := probe.WriteTransactions(); n > 3 {
			t.Fatalf("TOTP sign-in: %d write transactions, want at most 3:\n%s", n, strings.Join(probe.Statements(), "\n"))
		}
		probe.Reset(0)
		v.Must(200, "GET", api.PathAccount, nil)
		if st := probe.Statements(); len(st) > 2 {
			t.Fatalf("GET /api/account: %d statements, want at most 2:\n%s", len(st), strings.Join(st, "\n"))
		}

		ctx := context.Background()
		u, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("mailer", "mailer password 1", "m@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Server.Users.SetEmail(ctx, e.Server.DB, u, u.Email, true); err != nil {
			t.Fatal(err)
		}
		probe.Reset(0)
		n := len(mails.Mails())
		m := e.NewClient()
		m.Login("mailer", "mailer password 1")
		got := mails.Wait(n, smtptest.To("m@example.com")).Code()
		m.Must(200, "POST", api.PathVerify, map[string]string{"code": got})
		if n := probe.WriteTransactions(); n > 3 {
			t.Fatalf("email sign-in: %d write transactions, want at most 3:\n%s", n, strings.Join(probe.Statements(), "\n"))
		}
	})
}

// TestOwnSessions: the sessions list, ending one and ending the others.
func TestOwnSessions(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		ctx := context.Background()
		if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("bob", "bob password 1")); err != nil {
			t.Fatal(err)
		}
		a1, a2, a3 := e.NewClient(), e.NewClient(), e.NewClient()
		for _, c := range []*servertest.Client{a1, a2, a3} {
			c.Headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
			c.Login(admin, servertest.AdminPassword)
			e.Clock.Advance(time.Second)
		}
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")
		var list api.Sessions
		a3.Must(200, "GET", api.PathSessions, nil).JSON(t, &list)
		if len(list.Sessions) != 3 || !list.Sessions[0].Current || list.Sessions[1].Current || list.Sessions[0].Kind != api.SessionConsole || list.Sessions[0].Device != nil {
			t.Fatalf("sessions: %+v", list.Sessions)
		}
		tokens := []string{a1.SessionCookie().Value, a2.SessionCookie().Value, a3.SessionCookie().Value}
		for _, s := range list.Sessions {
			for _, tok := range tokens {
				if strings.Contains(tok, strconv.FormatInt(s.ID, 10)) && len(strconv.FormatInt(s.ID, 10)) > 3 {
					t.Fatalf("session id %d appears in a token", s.ID)
				}
			}
		}
		// Bob's session id is not ours to end.
		var bobs api.Sessions
		bob.Must(200, "GET", api.PathSessions, nil).JSON(t, &bobs)
		if r := a3.Do("DELETE", "/api/account/sessions/"+strconv.FormatInt(bobs.Sessions[0].ID, 10), nil); r.Status != 404 {
			t.Fatalf("ending another user's session: %d %s", r.Status, r.Body)
		}
		bob.Must(200, "GET", api.PathAccount, nil)
		if r := a3.Do("DELETE", "/api/account/sessions/999999", nil); r.Status != 404 {
			t.Fatalf("unknown id: %d %s", r.Status, r.Body)
		}
		// Step-up: an old sign-in must confirm.
		e.Clock.Advance(6 * time.Minute)
		first := list.Sessions[2].ID
		if r := a3.Do("DELETE", "/api/account/sessions/"+strconv.FormatInt(first, 10), nil); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("end without step-up: %d %s", r.Status, r.Body)
		}
		a3.Must(204, "DELETE", "/api/account/sessions/"+strconv.FormatInt(first, 10), map[string]string{"password": servertest.AdminPassword})
		if r := a1.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("ended session still works: %d", r.Status)
		}
		a2.Must(200, "GET", api.PathAccount, nil)
		a3.Must(204, "POST", api.PathSessionsEndOthers, nil) // still elevated
		if r := a2.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("other session after end-others: %d", r.Status)
		}
		a3.Must(200, "GET", api.PathAccount, nil)
		bob.Must(200, "GET", api.PathAccount, nil)
		// Ending the current session is a logout.
		r := a3.Must(204, "DELETE", "/api/account/sessions/"+strconv.FormatInt(list.Sessions[0].ID, 10), nil)
		if !strings.Contains(r.Header.Get("Clear-Site-Data"), "cache") {
			t.Fatal("ending the current session is no logout")
		}
		if r := a3.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("current session after ending it: %d", r.Status)
		}
	})
}
