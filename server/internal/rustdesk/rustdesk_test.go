package rustdesk_test

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

const alicePassword = "alice's long password"

// The client's bodies, as docs/RUSTDESK.md gives them ("pw" is replaced by
// Alice's password: the fixture's does not pass the password policy).
const (
	fixtureStep1      = `{"username":"alice","password":"pw","id":"123456789","uuid":"dXVpZA==","autoLogin":true,"type":"account","deviceInfo":{"os":"windows","type":"client","name":"ALICE-PC"}}`
	fixtureStep2TOTP  = `{"username":"alice","id":"123456789","uuid":"dXVpZA==","autoLogin":true,"type":"email_code","verificationCode":"287082","tfaCode":"287082","secret":"<secret>","deviceInfo":{"os":"windows","type":"client","name":"ALICE-PC"}}`
	fixtureStep2Email = `{"username":"alice","id":"123456789","uuid":"dXVpZA==","type":"email_code","verificationCode":"493021","tfaCode":"","secret":"<secret>","deviceInfo":{"os":"linux","type":"client","name":"pc"}}`
)

func step1() string {
	return strings.Replace(fixtureStep1, `"password":"pw"`, `"password":"`+alicePassword+`"`, 1)
}

func step2(fixture, code, secret string) string {
	s := strings.ReplaceAll(fixture, "287082", code)
	s = strings.ReplaceAll(s, "493021", code)
	return strings.Replace(s, "<secret>", secret, 1)
}

type env struct {
	*servertest.Env
	mails *smtptest.Server
	alice *db.User
}

func start(t *testing.T, url string, opts servertest.Options) *env {
	t.Helper()
	mails := smtptest.Start(t)
	if opts.Vars == nil {
		opts.Vars = map[string]string{}
	}
	opts.Vars[config.EnvSMTPURL] = mails.URL()
	e := servertest.Start(t, url, opts)
	u, err := e.Server.Users.Create(context.Background(), e.Server.DB, account.NewUser{Username: "alice", Email: "alice@example.org", Password: alicePassword})
	if err != nil {
		t.Fatal(err)
	}
	return &env{Env: e, mails: mails, alice: u}
}

// answer is a RustDesk answer, read as a map so that no field is missed.
type answer struct {
	status int
	header http.Header
	m      map[string]any
}

func (e *env) post(t *testing.T, path, body, token string) answer {
	t.Helper()
	c := e.NewClient()
	if token != "" {
		c.Headers["Authorization"] = "Bearer " + token
	}
	r := c.Do("POST", path, body)
	a := answer{status: r.Status, header: r.Header, m: map[string]any{}}
	if err := json.Unmarshal(r.Body, &a.m); err != nil {
		t.Fatalf("POST %s: not a JSON object: %s", path, r.Body)
	}
	return a
}

func (a answer) str(k string) string { s, _ := a.m[k].(string); return s }

func (e *env) console(t *testing.T) *servertest.Client {
	c := e.NewClient()
	c.Login("alice", alicePassword)
	return c
}

// enableTOTP turns TOTP on for Alice through the console and returns the
// secret and the backup codes.
func (e *env) enableTOTP(t *testing.T) (string, []string) {
	t.Helper()
	c := e.console(t)
	var setup api.TOTPSetup
	c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
	var res api.TOTPEnabled
	c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())}).JSON(t, &res)
	e.Clock.Advance(30 * time.Second)
	return setup.Secret, res.BackupCodes
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totp.Code(raw, at.Unix()/30, totp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantError(t *testing.T, what string, a answer, status int, msg string) {
	t.Helper()
	if a.status != status || a.str("error") != msg {
		t.Fatalf("%s: got %d %v, want %d {\"error\":%q}", what, a.status, a.m, status, msg)
	}
}

func wantToken(t *testing.T, what string, a answer) string {
	t.Helper()
	tok := a.str("access_token")
	user, _ := a.m["user"].(map[string]any)
	info, _ := user["info"].(map[string]any)
	if a.status != 200 || a.str("type") != "access_token" || len(tok) < 40 || user["name"] != "alice" ||
		user["status"] != float64(1) || info == nil {
		t.Fatalf("%s: got %d %v, want an access_token answer", what, a.status, a.m)
	}
	return tok
}

func wantChallenge(t *testing.T, what string, a answer, tfaType string) string {
	t.Helper()
	user, _ := a.m["user"].(map[string]any)
	if a.status != 200 || a.str("type") != "email_check" || a.str("tfa_type") != tfaType || a.str("secret") == "" ||
		a.m["access_token"] != "" || user["name"] != "alice" || user["email"] != "a***@example.org" {
		t.Fatalf("%s: got %d %v, want an email_check/%s challenge", what, a.status, a.m, tfaType)
	}
	return a.str("secret")
}

func TestFixturesWithoutSecondFactor(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{})
		tok := wantToken(t, "step 1", e.post(t, "/api/login", step1(), ""))
		cu := e.post(t, "/api/currentUser", `{"id":"123456789","uuid":"dXVpZA=="}`, tok)
		if cu.status != 200 || cu.m["name"] != "alice" || cu.m["email"] != "alice@example.org" {
			t.Fatalf("currentUser: %d %v", cu.status, cu.m)
		}
		if a := e.post(t, "/api/logout", `{"id":"123456789","uuid":"dXVpZA=="}`, tok); a.status != 200 {
			t.Fatalf("logout: %d %v", a.status, a.m)
		}
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("currentUser after logout: %d %v", a.status, a.m)
		}
		r := e.NewClient().Do("GET", "/api/login-options", nil)
		if r.Status != 200 || strings.TrimSpace(string(r.Body)) != "[]" {
			t.Fatalf("login-options: %d %s", r.Status, r.Body)
		}
		for _, p := range []string{"/api/ab", "/api/ab/get", "/api/heartbeat", "/api/sysinfo"} {
			if r := e.NewClient().Do("POST", p, "{}"); r.Status != 404 || r.Code() != api.CodeNotFound {
				t.Fatalf("%s: %d %s", p, r.Status, r.Body)
			}
		}
	})
}

// emailChallenge turns email verification on for Alice, signs her in with
// the client's step 1 and checks that a wrong code leaves the challenge
// usable; it returns the challenge and the mailed code.
func (e *env) emailChallenge(t *testing.T) (secret, mailed string) {
	t.Helper()
	if err := e.Server.Users.SetEmail(context.Background(), e.Server.DB, e.alice, e.alice.Email, true); err != nil {
		t.Fatal(err)
	}
	n := len(e.mails.Mails())
	secret = wantChallenge(t, "step 1", e.post(t, "/api/login", step1(), ""), "email_check")
	mailed = e.mails.Wait(n, smtptest.To("alice@example.org")).Code()
	wrong := "000000"
	if mailed == wrong {
		wrong = "111111"
	}
	wantError(t, "wrong code", e.post(t, "/api/login", step2(fixtureStep2Email, wrong, secret), ""), 401,
		"The verification code is incorrect or has expired")
	return secret, mailed
}

func TestFixturesWithEmailVerification(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{})
		secret, mailed := e.emailChallenge(t)
		tok := wantToken(t, "step 2", e.post(t, "/api/login", step2(fixtureStep2Email, mailed, secret), ""))
		wantError(t, "used challenge", e.post(t, "/api/login", step2(fixtureStep2Email, mailed, secret), ""), 401,
			"2FA status is expired, please try login first.")
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 200 {
			t.Fatalf("currentUser: %d %v", a.status, a.m)
		}
	})
}

// TestEnrollmentRequired: a user who must set up TOTP (TWOFOLD_ENFORCE_2FA)
// and has not is told to do it in the console, at the password step
// without email verification, and after a right email code with it; the
// client never gets a TOTP challenge it cannot answer, nor a token, and
// the challenge ends.
func TestEnrollmentRequired(t *testing.T) {
	const enroll = "Two-factor authentication must be set up in the web console before signing in."
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{Vars: map[string]string{config.EnvEnforce2FA: config.Enforce2FAAll}})
		ctx := context.Background()
		wantError(t, "step 1 without email verification", e.post(t, "/api/login", step1(), ""), 403, enroll)

		secret, mailed := e.emailChallenge(t)
		wantError(t, "right code", e.post(t, "/api/login", step2(fixtureStep2Email, mailed, secret), ""), 403, enroll)
		wantError(t, "the challenge again", e.post(t, "/api/login", step2(fixtureStep2Email, mailed, secret), ""), 401,
			"2FA status is expired, please try login first.")
		left, err := e.Server.DB.NewSelect().Model((*db.Session)(nil)).Where("user_id = ?", e.alice.ID).Count(ctx)
		if err != nil || left != 0 {
			t.Fatalf("alice's sessions after the refusals: %d %v, want none", left, err)
		}
		// The console still enrols after the email code.
		c := e.NewClient()
		var lr api.LoginResponse
		m := len(e.mails.Mails())
		c.Must(200, "POST", api.PathLogin, map[string]string{"username": "alice", "password": alicePassword}).JSON(t, &lr)
		if lr.Status != api.StatusVerify || lr.Method != api.MethodEmail {
			t.Fatalf("console sign-in: %+v, want an email code", lr)
		}
		mailed = e.mails.Wait(m, smtptest.To("alice@example.org")).Code()
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": mailed}).JSON(t, &lr)
		if lr.Status != api.StatusEnroll {
			t.Fatalf("console sign-in after the email code: %+v, want %s", lr, api.StatusEnroll)
		}
	})
}

func TestFixturesWithTOTPAndBackupCodes(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{})
		secret, codes := e.enableTOTP(t)
		first := e.post(t, "/api/login", step1(), "")
		if first.str("type") == "tfa_check" {
			t.Fatal("a top-level tfa_check")
		}
		challenge := wantChallenge(t, "step 1", first, "tfa_check")
		tok := wantToken(t, "step 2", e.post(t, "/api/login", step2(fixtureStep2TOTP, code(t, secret, e.Clock.Now()), challenge), ""))
		// A backup code in tfaCode works and is consumed; the older client
		// sends it in verificationCode.
		e.Clock.Advance(30 * time.Second)
		challenge = wantChallenge(t, "step 1 again", e.post(t, "/api/login", step1(), ""), "tfa_check")
		body := step2(fixtureStep2TOTP, "x", challenge)
		body = strings.Replace(body, `"verificationCode":"x","tfaCode":"x"`, `"verificationCode":"`+codes[0]+`","tfaCode":""`, 1)
		wantToken(t, "backup code", e.post(t, "/api/login", body, ""))
		challenge = wantChallenge(t, "step 1 again", e.post(t, "/api/login", step1(), ""), "tfa_check")
		wantError(t, "used backup code", e.post(t, "/api/login", strings.Replace(body, wantChallengeSecret(body), challenge, 1), ""), 401,
			"The verification code is incorrect or has expired")
		// The challenge survives a wrong code; it is bound to the client.
		other := strings.Replace(step2(fixtureStep2TOTP, code(t, secret, e.Clock.Now()), challenge), `"uuid":"dXVpZA=="`, `"uuid":"b3RoZXI="`, 1)
		wantError(t, "challenge of another client", e.post(t, "/api/login", other, ""), 401, "2FA status is expired, please try login first.")
		wantToken(t, "after a wrong code", e.post(t, "/api/login", step2(fixtureStep2TOTP, code(t, secret, e.Clock.Now()), challenge), ""))
		wantError(t, "unknown challenge", e.post(t, "/api/login", step2(fixtureStep2TOTP, "123456", "nope"), ""), 401,
			"2FA status is expired, please try login first.")

		// The token is one of Alice's sessions, listed with the device.
		e.Clock.Advance(30 * time.Second)
		c := e.console(t)
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, secret, e.Clock.Now())})
		var list api.Sessions
		c.Must(200, "GET", api.PathSessions, nil).JSON(t, &list)
		var found *api.SessionInfo
		for i, s := range list.Sessions {
			if s.Kind == api.SessionRustDesk {
				found = &list.Sessions[i]
				if strings.Contains(tok, strconv.FormatInt(s.ID, 10)) && s.ID > 999 {
					t.Fatalf("session id %d appears in the token", s.ID)
				}
			}
		}
		if found == nil || found.Device == nil || *found.Device != "ALICE-PC (windows)" || found.ClientID != "123456789" {
			t.Fatalf("sessions list: %+v", list.Sessions)
		}
		// The token is refused on the console's API, as header or cookie.
		b := e.NewClient()
		b.Headers["Authorization"] = "Bearer " + tok
		if r := b.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("bearer on the console: %d", r.Status)
		}
		k := e.NewClient()
		k.Headers["Cookie"] = "twofold_session=" + tok
		if r := k.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("token as a cookie: %d", r.Status)
		}
		// Revoked from the console (step-up with a code).
		e.Clock.Advance(30 * time.Second)
		c.Must(204, "DELETE", "/api/account/sessions/"+strconv.FormatInt(found.ID, 10), map[string]string{"code": code(t, secret, e.Clock.Now())})
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("currentUser after a console revoke: %d %v", a.status, a.m)
		}
	})
}

// wantChallengeSecret returns the "secret" of a second-step body.
func wantChallengeSecret(body string) string {
	var m map[string]any
	json.Unmarshal([]byte(body), &m)
	s, _ := m["secret"].(string)
	return s
}

// TestSharedLimitsAndReplay: wrong codes on /api/login and on the console's
// /api/auth/verify count together; a TOTP code used in the console is
// refused here in the same step.
func TestSharedLimitsAndReplay(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{})
		secret, _ := e.enableTOTP(t)
		console := e.NewClient()
		console.Login("alice", alicePassword)
		challenge := wantChallenge(t, "step 1", e.post(t, "/api/login", step1(), ""), "tfa_check")
		for i := 0; i < 10; i++ {
			if i%2 == 0 {
				console.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
			} else {
				e.post(t, "/api/login", step2(fixtureStep2TOTP, "000000", challenge), "")
			}
		}
		right := code(t, secret, e.Clock.Now())
		a := e.post(t, "/api/login", step2(fixtureStep2TOTP, right, challenge), "")
		wantError(t, "after 10 wrong codes", a, 429, "Too many attempts, please try again later.")
		if a.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		if r := console.Do("POST", api.PathVerify, map[string]string{"code": right}); r.Status != 429 {
			t.Fatalf("console after 10 wrong codes: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(31 * time.Second)
		// Replay across the two front ends.
		now := code(t, secret, e.Clock.Now())
		console = e.NewClient()
		console.Login("alice", alicePassword)
		console.Must(200, "POST", api.PathVerify, map[string]string{"code": now})
		challenge = wantChallenge(t, "step 1", e.post(t, "/api/login", step1(), ""), "tfa_check")
		wantError(t, "code used in the console", e.post(t, "/api/login", step2(fixtureStep2TOTP, now, challenge), ""), 401,
			"The verification code is incorrect or has expired")
	})
}

// TestTokensEndWithTheUsersSessions: a password change and ending the
// other sessions end bearer tokens too; lifetimes come from
// TWOFOLD_TOKEN_IDLE and TWOFOLD_TOKEN_MAX.
func TestTokensEndWithTheUsersSessions(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{Vars: map[string]string{config.EnvTokenIdle: "2h", config.EnvTokenMax: "3h"}})
		tok := wantToken(t, "sign-in", e.post(t, "/api/login", step1(), ""))
		c := e.console(t)
		c.Must(204, "POST", api.PathPassword, map[string]string{"current_password": alicePassword, "new_password": "alice's newer password"})
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("after a password change: %d", a.status)
		}
		body := strings.Replace(step1(), alicePassword, "alice's newer password", 1)
		tok = wantToken(t, "sign-in", e.post(t, "/api/login", body, ""))
		c.Must(204, "POST", api.PathSessionsEndOthers, nil)
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("after end-others: %d", a.status)
		}
		// An administrator's sign-out.
		tok = wantToken(t, "sign-in", e.post(t, "/api/login", body, ""))
		adm := e.NewClient()
		adm.Login("admin", servertest.AdminPassword)
		adm.Must(204, "POST", strings.Replace(api.PathAdminUserSignOut, "{id}", strconv.FormatInt(e.alice.ID, 10), 1),
			map[string]string{"reason": "lost laptop"})
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("after an admin's sign-out: %d", a.status)
		}
		tok = wantToken(t, "sign-in", e.post(t, "/api/login", body, ""))
		e.Clock.Advance(90 * time.Minute)
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 200 {
			t.Fatalf("within the idle time: %d", a.status)
		}
		e.Clock.Advance(2*time.Hour + time.Minute)
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("idle past TWOFOLD_TOKEN_IDLE: %d", a.status)
		}
		tok = wantToken(t, "sign-in", e.post(t, "/api/login", body, ""))
		for i := 0; i < 4; i++ {
			e.Clock.Advance(50 * time.Minute)
			e.post(t, "/api/currentUser", `{}`, tok)
		}
		if a := e.post(t, "/api/currentUser", `{}`, tok); a.status != 401 {
			t.Fatalf("past TWOFOLD_TOKEN_MAX: %d", a.status)
		}
	})
}

// TestBadInputAndFailures: wrong password, bad bodies, limits and outages
// give the client's exact strings.
func TestBadInputAndFailures(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e := start(t, url, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		wrongPw := strings.Replace(step1(), alicePassword, "not her password", 1)
		wantError(t, "wrong password", e.post(t, "/api/login", wrongPw, ""), 401, "Wrong credentials")
		unknown := strings.Replace(step1(), `"alice"`, `"nobody"`, 1)
		wantError(t, "unknown user", e.post(t, "/api/login", unknown, ""), 401, "Wrong credentials")
		// Unknown fields are tolerated; case variants are not the field.
		extra := strings.Replace(step1(), `"type":"account"`, `"type":"account","newField":{"x":[1,2]},"PASSWORD":"x"`, 1)
		wantToken(t, "unknown fields", e.post(t, "/api/login", extra, ""))
		caseOnly := strings.Replace(step1(), `"password"`, `"Password"`, 1)
		wantError(t, "a case variant of password", e.post(t, "/api/login", caseOnly, ""), 401, "Wrong credentials")
		dup := strings.Replace(step1(), `"username":"alice"`, `"username":"nobody","username":"alice"`, 1)
		wantError(t, "duplicate names", e.post(t, "/api/login", dup, ""), 400, "Bad request")
		nul := strings.Replace(step1(), `"username":"alice"`, `"username":"al\u0000ice"`, 1)
		wantError(t, "NUL in the username", e.post(t, "/api/login", nul, ""), 400, "Bad request")
		if a := e.post(t, "/api/login", `{"username":"`+strings.Repeat("a", 70<<10)+`"}`, ""); a.status != 413 {
			t.Fatalf("over 64 KiB: %d %v", a.status, a.m)
		}
		wantError(t, "not JSON", e.post(t, "/api/login", `{"username":`, ""), 400, "Bad request")

		// The database failing at any write of a sign-in: 503, nothing
		// half-written, then it works.
		for k := 1; ; k++ {
			probe.Reset(k)
			a := e.post(t, "/api/login", step1(), "")
			fired := probe.Fired()
			probe.Reset(0)
			if !fired {
				wantToken(t, "after the faults", a)
				break
			}
			wantError(t, "fault at write "+strconv.Itoa(k), a, 503, "Service unavailable, please try again later.")
		}

		// The mail server down: 503, and the next sign-in works.
		if err := e.Server.Users.SetEmail(context.Background(), e.Server.DB, e.alice, e.alice.Email, true); err != nil {
			t.Fatal(err)
		}
		e.mails.Stop()
		wantError(t, "SMTP down", e.post(t, "/api/login", step1(), ""), 503, "Service unavailable, please try again later.")
		e.mails.Restart()
		wantChallenge(t, "SMTP back", e.post(t, "/api/login", step1(), ""), "email_check")

		// Ten wrong passwords: the client's limit string.
		for i := 0; i < 10; i++ {
			e.post(t, "/api/login", wrongPw, "")
		}
		wantError(t, "locked", e.post(t, "/api/login", step1(), ""), 429, "Too many attempts, please try again later.")
	})
}

// TestKnownClientEscapesLockout: a RustDesk client that signed in as the
// user is counted on its own, like a browser's device cookie.
func TestKnownClientEscapesLockout(t *testing.T) {
	e := start(t, testdb.SQLite(t), servertest.Options{})
	wantToken(t, "first sign-in", e.post(t, "/api/login", step1(), ""))
	wrong := `{"username":"alice","password":"wrong one","id":"999","uuid":"eA==","deviceInfo":{"os":"linux","type":"client","name":"x"}}`
	for i := 0; i < 100; i++ {
		e.post(t, "/api/login", wrong, "")
	}
	stranger := strings.Replace(step1(), `"uuid":"dXVpZA=="`, `"uuid":"c3RyYW5nZXI="`, 1)
	wantError(t, "a new client after 100 failures", e.post(t, "/api/login", stranger, ""), 429, "Too many attempts, please try again later.")
	wantToken(t, "the known client", e.post(t, "/api/login", step1(), ""))
}

// TestParallelChallengeUse: of parallel right codes for one challenge,
// one gets a token.
func TestParallelChallengeUse(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := start(t, url, servertest.Options{})
		secret, codes := e.enableTOTP(t)
		challenge := wantChallenge(t, "step 1", e.post(t, "/api/login", step1(), ""), "tfa_check")
		var wg sync.WaitGroup
		var mu sync.Mutex
		tokens := 0
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := code(t, secret, e.Clock.Now())
				if i%2 == 1 {
					c = codes[i/2]
				}
				a := e.post(t, "/api/login", step2(fixtureStep2TOTP, c, challenge), "")
				if a.str("access_token") != "" {
					mu.Lock()
					tokens++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if tokens != 1 {
			t.Fatalf("%d tokens from one challenge, want 1", tokens)
		}
	})
}

// TestSignInStatementsPrepared: every statement of the client's TOTP
// sign-in, the known-client check and record included, is a prepared
// statement (no value written into its text), on both engines, also for
// a client that signed in before.
func TestSignInStatementsPrepared(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e := start(t, url, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		secret, _ := e.enableTOTP(t)
		for _, round := range []string{"first sign-in", "known client"} {
			e.Clock.Advance(30 * time.Second)
			probe.Reset(0)
			challenge := wantChallenge(t, round, e.post(t, "/api/login", step1(), ""), "tfa_check")
			wantToken(t, round, e.post(t, "/api/login", step2(fixtureStep2TOTP, code(t, secret, e.Clock.Now()), challenge), ""))
			var known bool
			for _, st := range probe.Statements() {
				if strings.Contains(st, "'") {
					t.Errorf("%s: a statement with a value in its text (not prepared):\n%s", round, st)
				}
				known = known || strings.Contains(st, "known_clients")
			}
			if !known {
				t.Fatalf("%s: the known clients were neither read nor written:\n%s", round, strings.Join(probe.Statements(), "\n"))
			}
		}
	})
}
