package console_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/db"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/qrtest"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// code computes the TOTP code of a base32 secret at t, independently of
// the server (the test only shares the RFC's algorithm through pquerna/otp).
func code(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", secret, err)
	}
	c, err := totp.Code(raw, at.Unix()/30, totp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolled is a user with TOTP on.
type enrolled struct {
	c      *servertest.Client
	secret string
	codes  []string
}

// enable runs setup and enable on a signed-in client.
func enable(t *testing.T, e *servertest.Env, c *servertest.Client, stepUp map[string]string) enrolled {
	t.Helper()
	var setup api.TOTPSetup
	var body any
	if stepUp != nil {
		body = stepUp
	}
	c.Must(200, "POST", api.PathTOTPSetup, body).JSON(t, &setup)
	var res api.TOTPEnabled
	c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}).JSON(t, &res)
	// Move to the next time step so the next code is not a replay.
	e.Clock.Advance(30 * time.Second)
	return enrolled{c: c, secret: setup.Secret, codes: res.BackupCodes}
}

func loginTOTP(t *testing.T, e *servertest.Env, username, password string) *servertest.Client {
	t.Helper()
	c := e.NewClient()
	var lr api.LoginResponse
	c.Login(username, password).JSON(t, &lr)
	if lr.Status != api.StatusVerify || lr.Method != api.MethodTOTP || lr.User != nil {
		t.Fatalf("login with TOTP on: %+v", lr)
	}
	return c
}

func TestEnrolEndToEnd(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		var setup api.TOTPSetup
		c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(setup.Secret) {
			t.Fatalf("secret %q: want 32 base32 characters (160 bits)", setup.Secret)
		}
		want := "otpauth://totp/Twofold:admin?secret=" + setup.Secret + "&issuer=Twofold"
		if setup.OTPAuthURL != want {
			t.Fatalf("otpauth URL %q, want %q", setup.OTPAuthURL, want)
		}
		if got := decodeQR(t, setup.QRPNG); got != setup.OTPAuthURL {
			t.Fatalf("QR code decodes to %q, want %q", got, setup.OTPAuthURL)
		}
		// Nothing changed yet.
		var acc api.Account
		c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		if acc.TFA.State != api.TFANotEnabled {
			t.Fatalf("state after setup: %s", acc.TFA.State)
		}
		// A wrong code and a code of another secret are refused.
		if r := c.Do("POST", api.PathTOTPEnable, map[string]string{"code": "000000"}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("wrong confirming code: %d %s", r.Status, r.Body)
		}
		var res api.TOTPEnabled
		c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}).JSON(t, &res)
		if len(res.BackupCodes) != 6 {
			t.Fatalf("%d backup codes", len(res.BackupCodes))
		}
		seen := map[string]bool{}
		for _, bc := range res.BackupCodes {
			if !regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`).MatchString(bc) || seen[bc] {
				t.Fatalf("backup code %q malformed or repeated", bc)
			}
			seen[bc] = true
		}
		tfa := res.Account.TFA
		if tfa.State != api.TFAEnabled || tfa.BackupCodesRemaining != 6 || tfa.EnabledAt == nil || tfa.ExpiresAt == nil ||
			!tfa.ExpiresAt.Equal(tfa.EnabledAt.Add(180*24*time.Hour)) || !tfa.EnabledAt.Equal(e.Clock.Now()) {
			t.Fatalf("account after enable: %+v", tfa)
		}
		// Enabling ended the elevation of the sign-in: the confirming code does not elevate.
		if res.Account.ElevatedUntil != nil {
			t.Fatalf("elevated after enable: %v", res.Account.ElevatedUntil)
		}
		// The pending secret was consumed.
		if r := c.Do("POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}); r.Status != 400 {
			t.Fatalf("second enable: %d %s", r.Status, r.Body)
		}
		assertNoSecretsStored(t, e, dbURL, setup.Secret, res.BackupCodes)

		// Sign in with TOTP: pending session, then a new full session.
		e.Clock.Advance(30 * time.Second)
		c2 := loginTOTP(t, e, admin, servertest.AdminPassword)
		pending := c2.SessionCookie().Value
		if r := c2.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("pending session reached the account: %d", r.Status)
		}
		var lr api.LoginResponse
		c2.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}).JSON(t, &lr)
		if lr.Status != api.StatusOK || lr.User == nil || lr.User.Username != admin {
			t.Fatalf("verify: %+v", lr)
		}
		if c2.SessionCookie().Value == pending {
			t.Fatal("the token did not change after the second factor")
		}
		c2.Must(200, "GET", api.PathAccount, nil)
		// Verify without a pending session.
		if r := c2.Do("POST", api.PathVerify, map[string]string{"code": "123456"}); r.Status != 401 || r.Code() != api.CodeLoginExpired {
			t.Fatalf("verify on a full session: %d %s", r.Status, r.Body)
		}
		if r := e.NewClient().Do("POST", api.PathVerify, map[string]string{"code": "123456"}); r.Status != 401 || r.Code() != api.CodeLoginExpired {
			t.Fatalf("verify without a session: %d %s", r.Status, r.Body)
		}
	})
}

func decodeQR(t *testing.T, dataURL string) string {
	t.Helper()
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(dataURL, prefix) {
		t.Fatalf("qr_png %.40q is not a PNG data URL", dataURL)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(dataURL, prefix))
	if err != nil {
		t.Fatal(err)
	}
	text, err := qrtest.Decode(raw)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return text
}

// assertNoSecretsStored looks through every stored byte for the secret (as
// base32 and raw) and the backup codes (with and without the dash).
func assertNoSecretsStored(t *testing.T, e *servertest.Env, dbURL, secret string, codes []string) {
	t.Helper()
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	needles := [][]byte{[]byte(secret), []byte(strings.ToLower(secret)), raw}
	for _, c := range codes {
		needles = append(needles, []byte(c), []byte(strings.ReplaceAll(c, "-", "")))
	}
	var hay [][]byte
	if strings.HasPrefix(dbURL, "sqlite:") {
		path := strings.TrimPrefix(dbURL, "sqlite:")
		for _, f := range []string{path, path + "-wal"} {
			if b, err := os.ReadFile(f); err == nil {
				hay = append(hay, b)
			}
		}
	}
	// Every column of every table, as the database returns it.
	ctx := context.Background()
	for _, table := range []string{"users", "sessions", "totp_secrets", "backup_codes", "events", "meta", "throttles"} {
		rows, err := e.Server.DB.QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					hay = append(hay, x)
				default:
					hay = append(hay, []byte(fmt.Sprint(x)))
				}
			}
		}
		rows.Close()
	}
	if len(hay) == 0 {
		t.Fatal("nothing dumped")
	}
	for _, h := range hay {
		for _, n := range needles {
			if len(n) > 0 && bytes.Contains(bytes.ToLower(h), bytes.ToLower(n)) {
				t.Fatalf("the database holds %q in clear", n)
			}
		}
	}
}

func TestParallelBackupCodeAndTOTPReplay(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)

		// 20 pending sign-ins race with one backup code: exactly one wins.
		clients := make([]*servertest.Client, 20)
		for i := range clients {
			clients[i] = loginTOTP(t, e, admin, servertest.AdminPassword)
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(clients))
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = cl.Do("POST", api.PathVerify, map[string]string{"code": en.codes[0]}).Status
			}()
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 200 {
				ok++
			} else if s != 401 && s != 429 {
				// 429: the account's limit (10 failures) stops the rest.
				t.Errorf("status %d", s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 20 parallel verifications with one backup code succeeded, want 1 (%v)", ok, statuses)
		}
		// Let any lock from the losers' failures pass.
		e.Clock.Advance(16 * time.Minute)

		// The same TOTP code in two sessions: one success.
		a := loginTOTP(t, e, admin, servertest.AdminPassword)
		b := loginTOTP(t, e, admin, servertest.AdminPassword)
		now := code(t, en.secret, e.Clock.Now())
		ra := a.Do("POST", api.PathVerify, map[string]string{"code": now})
		rb := b.Do("POST", api.PathVerify, map[string]string{"code": now})
		if (ra.Status == 200) == (rb.Status == 200) {
			t.Fatalf("same TOTP code in two sessions: %d and %d, want one 200", ra.Status, rb.Status)
		}
		// A code of the previous step (older than the accepted one) is refused.
		e.Clock.Advance(30 * time.Second)
		if r := b.Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now().Add(-30*time.Second))}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("code of an already used step: %d %s", r.Status, r.Body)
		}
		// A code from two steps ago is refused.
		e.Clock.Advance(60 * time.Second)
		if r := b.Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now().Add(-60*time.Second))}); r.Status != 401 {
			t.Fatalf("code from two steps ago: %d %s", r.Status, r.Body)
		}
		// Parallel verifications with one fresh TOTP code: one success.
		fresh := code(t, en.secret, e.Clock.Now())
		for i := range clients[:10] {
			clients[i] = loginTOTP(t, e, admin, servertest.AdminPassword)
		}
		for i, cl := range clients[:10] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = cl.Do("POST", api.PathVerify, map[string]string{"code": fresh}).Status
			}()
		}
		wg.Wait()
		ok = 0
		for _, s := range statuses[:10] {
			if s == 200 {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 10 parallel verifications with one TOTP code succeeded, want 1", ok)
		}
		var acc api.Account
		c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		if acc.TFA.BackupCodesRemaining != 5 {
			t.Fatalf("backup codes remaining %d, want 5", acc.TFA.BackupCodesRemaining)
		}
		// Backup codes are accepted in any case, with or without the dash.
		d := loginTOTP(t, e, admin, servertest.AdminPassword)
		d.Must(200, "POST", api.PathVerify, map[string]string{"code": strings.ToUpper(strings.ReplaceAll(en.codes[1], "-", " "))})
		// Used backup codes stay used.
		d = loginTOTP(t, e, admin, servertest.AdminPassword)
		if r := d.Do("POST", api.PathVerify, map[string]string{"code": en.codes[1]}); r.Status != 401 {
			t.Fatalf("reused backup code: %d", r.Status)
		}
	})
}

func TestSecondFactorLimits(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		p := loginTOTP(t, e, admin, servertest.AdminPassword)
		for i := 1; i <= 10; i++ {
			if r := p.Do("POST", api.PathVerify, map[string]string{"code": fmt.Sprintf("%06d", i)}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Body)
			}
		}
		// The limit is per account: a new sign-in (another session) is limited too.
		q := loginTOTP(t, e, admin, servertest.AdminPassword)
		r := q.Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		ra, _ := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.Status != 429 || r.Code() != api.CodeRateLimited || ra < 30 {
			t.Fatalf("right code while limited: %d %s Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		// The counters live in the database: a restarted server still limits.
		e.HTTP.Close()
		e.Server.Close()
		e2 := servertest.Start(t, dbURL, servertest.Options{Dir: dir, Clock: e.Clock})
		q.Base = e2.URL
		if r := q.Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())}); r.Status != 429 {
			t.Fatalf("after a restart: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(time.Duration(ra) * time.Second)
		if r := q.Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())}); r.Status != 200 {
			t.Fatalf("after the wait: %d %s", r.Status, r.Body)
		}
	})
}

func TestStepUpWithTOTP(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		// Sign in again: signing in does not count as a step-up.
		c = loginTOTP(t, e, admin, servertest.AdminPassword)
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		e.Clock.Advance(30 * time.Second)

		type req struct {
			method, path string
			body         map[string]any
			status       int
		}
		sensitive := []req{
			{"PUT", api.PathAccount, map[string]any{"email": "a@example.com", "email_verification": false}, 200},
			{"POST", api.PathPassword, map[string]any{"current_password": servertest.AdminPassword, "new_password": "a new fine secret"}, 204},
			{"POST", api.PathBackupCodes, map[string]any{}, 200},
			{"POST", api.PathTOTPSetup, map[string]any{}, 200},
			{"POST", api.PathTOTPDisable, map[string]any{}, 200},
		}
		password := servertest.AdminPassword
		for i, s := range sensitive {
			if s.path == api.PathPassword {
				s.body["current_password"] = password
			}
			if r := c.Do(s.method, s.path, s.body); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
				t.Fatalf("%s without code: %d %s", s.path, r.Status, r.Body)
			}
			s.body["code"] = "000000"
			if r := c.Do(s.method, s.path, s.body); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("%s with a wrong code: %d %s", s.path, r.Status, r.Body)
			}
			// Alternate TOTP and backup codes.
			if i%2 == 0 {
				s.body["code"] = code(t, en.secret, e.Clock.Now())
			} else {
				s.body["code"] = en.codes[i]
			}
			if r := c.Do(s.method, s.path, s.body); r.Status != s.status {
				t.Fatalf("%s with a code: %d %s", s.path, r.Status, r.Body)
			}
			if s.path == api.PathPassword {
				password = "a new fine secret"
			}
			if s.path == api.PathBackupCodes {
				break // the old backup codes died
			}
			e.Clock.Advance(6 * time.Minute) // past the elevation of the inline code
		}
		// After POST /api/account/verify, 5 minutes need no code.
		e.Clock.Advance(30 * time.Second)
		if r := c.Do("POST", api.PathAccountVerify, map[string]string{"password": password}); r.Status != 400 || r.Code() != api.CodeValidationFailed {
			t.Fatalf("verify with a password while TOTP is on: %d %s", r.Status, r.Body)
		}
		if r := c.Do("POST", api.PathAccountVerify, map[string]string{"code": "999999"}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("verify with a wrong code: %d %s", r.Status, r.Body)
		}
		c.Must(200, "POST", api.PathAccountVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		for _, email := range []string{"b@example.com", "c@example.com"} {
			e.Clock.Advance(2 * time.Minute)
			c.Must(200, "PUT", api.PathAccount, map[string]any{"email": email, "email_verification": false})
		}
		// An invalid code is checked even on an elevated session, and the UI stays signed in.
		if r := c.Do("PUT", api.PathAccount, map[string]any{"email": "d@example.com", "email_verification": false, "code": "123123"}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("wrong code on an elevated session: %d %s", r.Status, r.Body)
		}
		c.Must(200, "GET", api.PathAccount, nil)
		e.Clock.Advance(2 * time.Minute)
		if r := c.Do("PUT", api.PathAccount, map[string]any{"email": "d@example.com", "email_verification": false}); r.Status != 403 {
			t.Fatalf("6 minutes after verify: %d %s", r.Status, r.Body)
		}
		var ev api.Events
		c.Must(200, "GET", api.PathEvents, nil).JSON(t, &ev)
		for _, typ := range []string{"tfa_enabled", "code_failed", "step_up", "backup_code_used", "backup_codes_regenerated", "password_changed", "email_changed", "login"} {
			if !hasEvent(ev, typ) {
				t.Errorf("no %s event in %+v", typ, ev.Events)
			}
		}
	})
}

func TestRenewRightAfterStepUpAndExpiry(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)

		// Expiry: past 180 days, state expired; TOTP still works.
		e.Clock.Advance(181 * 24 * time.Hour)
		c = loginTOTP(t, e, admin, servertest.AdminPassword)
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		var acc api.Account
		c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		if acc.TFA.State != api.TFAExpired {
			t.Fatalf("state after 181 days: %s", acc.TFA.State)
		}
		// Renew right after a step-up, with a code of the same time step.
		e.Clock.Advance(30 * time.Second)
		c.Must(200, "POST", api.PathAccountVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		var setup api.TOTPSetup
		c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
		if setup.Secret == en.secret {
			t.Fatal("renewal kept the secret")
		}
		var res api.TOTPEnabled
		c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}).JSON(t, &res)
		if res.Account.TFA.State != api.TFAEnabled || !res.Account.TFA.EnabledAt.Equal(e.Clock.Now()) {
			t.Fatalf("after renewal: %+v", res.Account.TFA)
		}
		// Renewing ended the elevation; the old secret and codes died.
		if r := c.Do("PUT", api.PathAccount, map[string]any{"email": "", "email_verification": false}); r.Status != 403 {
			t.Fatalf("elevation after renewal: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(30 * time.Second)
		p := loginTOTP(t, e, admin, servertest.AdminPassword)
		for _, old := range []string{code(t, en.secret, e.Clock.Now()), en.codes[0]} {
			if r := p.Do("POST", api.PathVerify, map[string]string{"code": old}); r.Status != 401 {
				t.Fatalf("old credential %q after renewal: %d", old, r.Status)
			}
		}
		p.Must(200, "POST", api.PathVerify, map[string]string{"code": res.BackupCodes[0]})
		var ev api.Events
		p.Must(200, "GET", api.PathEvents, nil).JSON(t, &ev)
		if !hasEvent(ev, "tfa_renewed") {
			t.Fatalf("no tfa_renewed event: %+v", ev.Events)
		}
	})
}

func TestEnableDisableEndOtherSessions(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		a, b := e.NewClient(), e.NewClient()
		a.Login(admin, servertest.AdminPassword)
		b.Login(admin, servertest.AdminPassword)
		en := enable(t, e, a, nil)
		if r := b.Do("GET", api.PathAccount, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
			t.Fatalf("other session after enable: %d %s", r.Status, r.Body)
		}
		a.Must(200, "GET", api.PathAccount, nil)
		// Disable: step-up, then secret and codes are gone.
		b = loginTOTP(t, e, admin, servertest.AdminPassword)
		b.Must(200, "POST", api.PathVerify, map[string]string{"code": en.codes[0]})
		var acc api.Account
		a.Must(200, "POST", api.PathTOTPDisable, map[string]string{"code": code(t, en.secret, e.Clock.Now())}).JSON(t, &acc)
		if acc.TFA.State != api.TFANotEnabled || acc.TFA.BackupCodesRemaining != 0 {
			t.Fatalf("after disable: %+v", acc.TFA)
		}
		if r := b.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("other session after disable: %d", r.Status)
		}
		var lr api.LoginResponse
		e.NewClient().Login(admin, servertest.AdminPassword).JSON(t, &lr)
		if lr.Status != api.StatusOK {
			t.Fatalf("login after disable: %+v", lr)
		}
		n, err := e.Server.DB.NewSelect().Model((*db.TOTPSecret)(nil)).Count(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("totp rows after disable: %d %v", n, err)
		}
		// Backup codes need 2FA on.
		if r := a.Do("POST", api.PathBackupCodes, nil); r.Status != 400 {
			t.Fatalf("backup codes without 2FA: %d %s", r.Status, r.Body)
		}
	})
}

func TestEnforcedAccountEnrols(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	ctx := context.Background()
	if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("tfa_enforced = ?", true).Where("username_key = ?", admin).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.NewClient()
	var lr api.LoginResponse
	c.Login(admin, servertest.AdminPassword).JSON(t, &lr)
	if lr.Status != api.StatusEnroll {
		t.Fatalf("enforced login: %+v", lr)
	}
	if r := c.Do("PUT", api.PathAccount, map[string]any{"email": "", "email_verification": false}); r.Status != 403 || r.Code() != api.CodeEnrollmentRequired {
		t.Fatalf("enrolment session elsewhere: %d %s", r.Status, r.Body)
	}
	// The second step's calls are "anything else" too (API.md), not a
	// sign-in that expired; the session stays.
	for _, call := range []struct{ method, path, body string }{
		{"POST", api.PathVerify, `{"code":"123456"}`},
		{"POST", api.PathResend, ``},
		{"GET", api.PathPending, ``},
	} {
		if r := c.Do(call.method, call.path, call.body); r.Status != 403 || r.Code() != api.CodeEnrollmentRequired {
			t.Fatalf("enrolment session, %s %s: %d %s", call.method, call.path, r.Status, r.Body)
		}
	}
	var acc api.Account
	c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
	if !acc.TFA.Enforced || acc.Session != "enroll" {
		t.Fatalf("enrolment account: enforced %v, session %q", acc.TFA.Enforced, acc.Session)
	}
	enrolToken := c.SessionCookie().Value
	en := enable(t, e, c, nil)
	if c.SessionCookie().Value == enrolToken {
		t.Fatal("enrolment session kept its token when it became full")
	}
	c.Must(200, "GET", api.PathEvents, nil)
	if r := c.Do("POST", api.PathTOTPDisable, map[string]string{"code": code(t, en.secret, e.Clock.Now())}); r.Status != 403 || r.Code() != api.CodeForbidden {
		t.Fatalf("disable while enforced: %d %s", r.Status, r.Body)
	}
	// An enrolment session lasts 10 minutes.
	if _, err := e.Server.DB.NewDelete().Model((*db.TOTPSecret)(nil)).Where("1 = 1").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	late := e.NewClient()
	late.Login(admin, servertest.AdminPassword).JSON(t, &lr)
	if lr.Status != api.StatusEnroll {
		t.Fatalf("enforced login without TOTP: %+v", lr)
	}
	e.Clock.Advance(11 * time.Minute)
	if r := late.Do("POST", api.PathTOTPSetup, nil); r.Status != 401 {
		t.Fatalf("enrolment session after 11 minutes: %d %s", r.Status, r.Body)
	}
}

// TestLogsHoldNoSecrets runs a whole flow and looks for every secret it
// handled in the server's structured log.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	tokens := []string{c.SessionCookie().Value}
	en := enable(t, e, c, nil)
	tokens = append(tokens, c.SessionCookie().Value)
	p := loginTOTP(t, e, admin, servertest.AdminPassword)
	tokens = append(tokens, p.SessionCookie().Value)
	p.Do("POST", api.PathVerify, map[string]string{"code": "123456"})
	p.Must(200, "POST", api.PathVerify, map[string]string{"code": en.codes[2]})
	tokens = append(tokens, p.SessionCookie().Value)
	p.Must(204, "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "brand new words", "code": code(t, en.secret, e.Clock.Now())})
	logs := e.Logs.String()
	if !strings.Contains(logs, "/api/auth/verify") {
		t.Fatal("the log is empty: nothing was checked")
	}
	secrets := append([]string{servertest.AdminPassword, "brand new words", en.secret, code(t, en.secret, e.Clock.Now())}, en.codes...)
	for _, s := range append(secrets, tokens...) {
		if strings.Contains(logs, s) || strings.Contains(logs, strings.ReplaceAll(s, "-", "")) {
			t.Errorf("the log holds %q", s)
		}
	}
}

// TestCodeFailureCauseLogged: every wrong code gets the same answer, and
// its cause goes to the log (API.md: "the cause is logged, not told"):
// a wrong TOTP code, a replayed one, a device clock behind, a backup code
// that is used or unknown; the codes themselves never do.
func TestCodeFailureCauseLogged(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	en := enable(t, e, c, nil)
	e.Clock.Advance(30 * time.Second)
	used := code(t, en.secret, e.Clock.Now())
	v := loginTOTP(t, e, admin, servertest.AdminPassword)
	v.Must(200, "POST", api.PathVerify, map[string]string{"code": used})
	v.Must(200, "POST", api.PathBackupCodes, map[string]string{"code": en.codes[0]})

	wrong := code(t, en.secret, e.Clock.Now().Add(time.Hour))
	behind := code(t, en.secret, e.Clock.Now().Add(-5*time.Minute))
	for _, tt := range []struct{ name, code, cause string }{
		{"replayed", used, totp.CauseReplay},
		{"wrong", wrong, totp.CauseWrong},
		{"clock behind", behind, totp.CauseBehind},
		{"used backup code", en.codes[0], "no unused backup code matches"},
	} {
		p := loginTOTP(t, e, admin, servertest.AdminPassword)
		before := len(e.Logs.String())
		r := p.Do("POST", api.PathVerify, map[string]string{"code": tt.code})
		if r.Status != 401 || r.Code() != api.CodeInvalidCode || strings.Contains(string(r.Body), tt.cause) {
			t.Fatalf("%s: %d %s, want 401 %s without its cause", tt.name, r.Status, r.Body, api.CodeInvalidCode)
		}
		logged := e.Logs.String()[before:]
		if !strings.Contains(logged, `msg="second-factor code refused"`) || !strings.Contains(logged, `cause="`+tt.cause+`"`) {
			t.Fatalf("%s: the log does not give the cause %q:\n%s", tt.name, tt.cause, logged)
		}
		if strings.Contains(logged, tt.code) {
			t.Fatalf("%s: the code is in the log:\n%s", tt.name, logged)
		}
	}
}
