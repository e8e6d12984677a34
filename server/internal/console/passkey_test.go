package console_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/passkeytest"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
	sp "twofold/shared/passkey"
)

// keysURL is the public URL of the security-key tests: WebAuthn needs a
// host name (the test servers' own address is an IP address).
const (
	keysURL  = "http://keys.test"
	keysRPID = "keys.test"
)

type keysEnv struct {
	*servertest.Env
	mails *smtptest.Server
}

func startKeys(t *testing.T, dbURL string) keysEnv {
	t.Helper()
	mails := smtptest.Start(t)
	e := servertest.Start(t, dbURL, servertest.Options{Vars: map[string]string{
		config.EnvPublicURL: keysURL, config.EnvSMTPURL: mails.URL()}})
	return keysEnv{Env: e, mails: mails}
}

// keyUser signs in as a new user name (with an email) and registers a key
// of a new software authenticator; it returns the signed-in client.
func keyUser(t *testing.T, e keysEnv, name string) (*servertest.Client, *passkeytest.Authenticator, api.PasskeyRegistered) {
	t.Helper()
	password := "a long password for " + name
	if _, err := e.Server.Users.Create(context.Background(), e.Server.DB, userNamed(name, password, name+"@example.com")); err != nil {
		t.Fatal(err)
	}
	c := e.NewClient()
	c.Login(name, password)
	auth := passkeytest.New(keysURL, keysRPID)
	reg := register(t, c, auth, "Blue key", nil)
	return c, auth, reg
}

// register registers a key of auth on c's account (stepUp: the step-up
// fields of the begin request).
func register(t *testing.T, c *servertest.Client, auth *passkeytest.Authenticator, name string, stepUp any) api.PasskeyRegistered {
	t.Helper()
	var begin api.PasskeyCreation
	c.Must(200, "POST", api.PathPasskeyRegister, stepUp).JSON(t, &begin)
	att, _ := auth.Create(t, begin.PublicKey)
	var reg api.PasskeyRegistered
	c.Must(201, "POST", api.PathPasskeys, api.PasskeyRegister{Name: name, Credential: *att}).JSON(t, &reg)
	return reg
}

// stepUpAssertion asks c's session for a challenge and signs it.
func stepUpAssertion(t *testing.T, c *servertest.Client, auth *passkeytest.Authenticator) *sp.Assertion {
	t.Helper()
	var req api.PasskeyRequest
	c.Must(200, "POST", api.PathPasskeyChallenge, nil).JSON(t, &req)
	return auth.Get(t, req.PublicKey, nil)
}

// passwordStep signs in with the password and expects a key to be asked.
func passwordStep(t *testing.T, e keysEnv, name string) *servertest.Client {
	t.Helper()
	c := e.NewClient()
	var lr api.LoginResponse
	c.Login(name, "a long password for "+name).JSON(t, &lr)
	if lr.Status != api.StatusVerify || lr.Method != api.MethodPasskey || lr.User != nil {
		t.Fatalf("login of a user with a key: %+v", lr)
	}
	if want := []string{api.MethodPasskey, api.MethodBackupCode}; !slices.Equal(lr.Methods, want) {
		t.Fatalf("methods = %v, want %v", lr.Methods, want)
	}
	return c
}

// signInWithKey completes a pending sign-in with auth's key.
func signInWithKey(t *testing.T, c *servertest.Client, auth *passkeytest.Authenticator) *servertest.Response {
	t.Helper()
	var req api.PasskeyRequest
	c.Must(200, "POST", api.PathAuthPasskeyChallenge, nil).JSON(t, &req)
	return c.Do("POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *auth.Get(t, req.PublicKey, nil)})
}

func eventCount(t *testing.T, c *servertest.Client, typ string) int {
	t.Helper()
	var ev api.Events
	c.Must(200, "GET", api.PathEvents, nil).JSON(t, &ev)
	n := 0
	for _, e := range ev.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func accountOf(t *testing.T, c *servertest.Client) api.Account {
	t.Helper()
	var acc api.Account
	c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
	return acc
}

func TestPasskeyRegisterSignInAndRemove(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		c, auth, reg := keyUser(t, e, "ann")
		// The first second factor comes with six backup codes.
		if len(reg.BackupCodes) != 6 || reg.Passkey.Name != "Blue key" || reg.Passkey.LastUsedAt != nil || !reg.Passkey.Discoverable {
			t.Fatalf("registered: %+v", reg)
		}
		tfa := reg.Account.TFA
		if tfa.State != api.TFAEnabled || tfa.Passkeys != 1 || tfa.TOTP || tfa.ExpiresAt != nil || tfa.BackupCodesRemaining != 6 {
			t.Fatalf("2FA after the first key: %+v", tfa)
		}
		if !reg.Account.PasskeysAvailable || !reg.Account.Passwordless {
			t.Fatalf("account: %+v", reg.Account)
		}
		e.mails.Wait(0, func(m smtptest.Mail) bool {
			return smtptest.To("ann@example.com")(m) && strings.Contains(m.Subject, "A security key was added") && strings.Contains(m.Text, "Blue key")
		})
		if eventCount(t, c, "passkey_added") != 1 {
			t.Fatal("no passkey_added event")
		}

		// Sign out, then password + key.
		c.Must(204, "POST", api.PathLogout, nil)
		c2 := passwordStep(t, e, "ann")
		var pending api.Pending
		c2.Must(200, "GET", api.PathPending, nil).JSON(t, &pending)
		if pending.Method != api.MethodPasskey || len(pending.Methods) != 2 {
			t.Fatalf("pending: %+v", pending)
		}
		// The pending session cannot register keys.
		if r := c2.Do("POST", api.PathPasskeyRegister, nil); r.Status != 401 {
			t.Fatalf("register from a pending session: %d %s", r.Status, r.Body)
		}
		if r := c2.Do("POST", api.PathPasskeys, map[string]any{"name": "x", "credential": map[string]any{}}); r.Status != 401 {
			t.Fatalf("finish from a pending session: %d %s", r.Status, r.Body)
		}
		r := signInWithKey(t, c2, auth)
		if r.Status != 200 {
			t.Fatalf("sign-in with the key: %d %s", r.Status, r.Body)
		}
		var lr api.LoginResponse
		r.JSON(t, &lr)
		if lr.Status != api.StatusOK || lr.User == nil || lr.User.Username != "ann" {
			t.Fatalf("answer: %+v", lr)
		}
		if eventCount(t, c2, "passkey_used") != 1 {
			t.Fatal("no passkey_used event")
		}
		e.mails.Wait(0, func(m smtptest.Mail) bool {
			return smtptest.To("ann@example.com")(m) && strings.Contains(m.Subject, "Sign-in with a security key")
		})
		var list api.Passkeys
		c2.Must(200, "GET", api.PathPasskeys, nil).JSON(t, &list)
		if len(list.Passkeys) != 1 || list.Passkeys[0].LastUsedAt == nil {
			t.Fatalf("keys: %+v", list)
		}
		id := list.Passkeys[0].ID
		path := strings.Replace(api.PathPasskey, "{id}", fmt.Sprint(id), 1)

		// Rename and remove need a step-up: the key itself gives it.
		if r := c2.Do("PATCH", path, map[string]any{"name": "Red key"}); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("rename without step-up: %d %s", r.Status, r.Body)
		}
		var renamed api.Passkey
		c2.Must(200, "PATCH", path, map[string]any{"name": " Red key ", "passkey": stepUpAssertion(t, c2, auth)}).JSON(t, &renamed)
		if renamed.Name != "Red key" {
			t.Fatalf("renamed: %+v", renamed)
		}
		// Another user's key id is not found.
		if r := c2.Do("DELETE", strings.Replace(api.PathPasskey, "{id}", fmt.Sprint(id+1000), 1), nil); r.Status != 404 {
			t.Fatalf("unknown key: %d %s", r.Status, r.Body)
		}
		var acc api.Account
		c2.Must(200, "DELETE", path, nil).JSON(t, &acc) // elevated by the rename's assertion
		if acc.TFA.State != api.TFANotEnabled || acc.TFA.Passkeys != 0 {
			t.Fatalf("2FA after removing the only key: %+v", acc.TFA)
		}
		e.mails.Wait(0, func(m smtptest.Mail) bool {
			return smtptest.To("ann@example.com")(m) && strings.Contains(m.Subject, "A security key was removed") && strings.Contains(m.Text, "Red key")
		})

		// A removed key no longer signs in: the password alone does now,
		// and a passkey sign-in with it is refused.
		c3 := e.NewClient()
		var lr3 api.LoginResponse
		c3.Login("ann", "a long password for ann").JSON(t, &lr3)
		if lr3.Status != api.StatusOK {
			t.Fatalf("login after removing the key: %+v", lr3)
		}
		c4 := e.NewClient()
		var begin api.PasskeyRequest
		c4.Must(200, "POST", api.PathPasskeyLoginBegin, nil).JSON(t, &begin)
		if r := c4.Do("POST", api.PathPasskeyLogin, api.PasskeyAssertion{Credential: *auth.Get(t, begin.PublicKey, nil)}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("passkey sign-in with a removed key: %d %s", r.Status, r.Body)
		}
	})
}

func TestPasskeyAssertionsRefusedAndCounted(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		_, auth, _ := keyUser(t, e, "ann")
		_, bobAuth, _ := keyUser(t, e, "bob")
		failures := func() int {
			t.Helper()
			var n int
			if err := e.Server.DB.NewSelect().Model((*db.Event)(nil)).ColumnExpr("count(*)").
				Where("type = 'code_failed'").Where("user_id = (SELECT id FROM users WHERE username_key = 'ann')").Scan(context.Background(), &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		tests := []struct {
			name   string
			forge  func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion
			before func(c *servertest.Client)
		}{
			{"another user's credential", func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion {
				return bobAuth.Sign(t, bobAuth.Creds[0], opts.Challenge, bobAuth.Creds[0].Counter)
			}, nil},
			{"wrong origin", func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion {
				evil := *auth
				evil.Origin = "http://keys.test.evil.example"
				return evil.Sign(t, auth.Creds[0], opts.Challenge, auth.Creds[0].Counter)
			}, nil},
			{"wrong relying party id", func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion {
				evil := *auth
				evil.RPID = "evil.example"
				return evil.Sign(t, auth.Creds[0], opts.Challenge, auth.Creds[0].Counter)
			}, nil},
			{"sign counter going backwards", func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion {
				c0 := auth.Creds[0]
				next := c0.Counter
				defer func() { c0.Counter = next }()
				return auth.Sign(t, c0, opts.Challenge, next-2) // below the stored counter
			}, nil},
			{"challenge of another session", func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion {
				other := passwordStep(t, e, "ann")
				var req api.PasskeyRequest
				other.Must(200, "POST", api.PathAuthPasskeyChallenge, nil).JSON(t, &req)
				return auth.Sign(t, auth.Creds[0], req.PublicKey.Challenge, auth.Creds[0].Counter)
			}, nil},
			{"signature over something else", func(t *testing.T, c *servertest.Client, opts sp.RequestOptions) *sp.Assertion {
				a := auth.Get(t, opts, nil)
				a.Response.Signature = auth.Get(t, sp.RequestOptions{Challenge: []byte("other"), AllowCredentials: opts.AllowCredentials}, nil).Response.Signature
				return a
			}, nil},
		}
		// One right sign-in first, so that the counter is above 1.
		if r := signInWithKey(t, passwordStep(t, e, "ann"), auth); r.Status != 200 {
			t.Fatalf("right key: %d %s", r.Status, r.Body)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := passwordStep(t, e, "ann")
				var req api.PasskeyRequest
				c.Must(200, "POST", api.PathAuthPasskeyChallenge, nil).JSON(t, &req)
				before := failures()
				r := c.Do("POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *tt.forge(t, c, req.PublicKey)})
				if r.Status != 401 || r.Code() != api.CodeInvalidCode {
					t.Fatalf("got %d %s, want 401 invalid_code", r.Status, r.Body)
				}
				if got := failures(); got != before+1 {
					t.Fatalf("failures %d → %d, want one more", before, got)
				}
				// The challenge was used: the right key fails now too.
				if r := c.Do("POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *auth.Get(t, req.PublicKey, nil)}); r.Status != 401 {
					t.Fatalf("replay of a used challenge: %d %s", r.Status, r.Body)
				}
				// A new challenge signs in (the failures were under 10).
				if r := signInWithKey(t, c, auth); r.Status != 200 {
					t.Fatalf("right key after a refusal: %d %s", r.Status, r.Body)
				}
			})
		}

		t.Run("replayed assertion", func(t *testing.T) {
			c := passwordStep(t, e, "ann")
			var req api.PasskeyRequest
			c.Must(200, "POST", api.PathAuthPasskeyChallenge, nil).JSON(t, &req)
			a := auth.Get(t, req.PublicKey, nil)
			c.Must(200, "POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *a})
			// The same assertion, on a new pending sign-in.
			c2 := passwordStep(t, e, "ann")
			c2.Must(200, "POST", api.PathAuthPasskeyChallenge, nil)
			before := failures()
			if r := c2.Do("POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *a}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("replayed assertion: %d %s", r.Status, r.Body)
			}
			if failures() != before+1 {
				t.Fatal("replay not counted")
			}
		})

		t.Run("challenge older than 5 minutes", func(t *testing.T) {
			c := passwordStep(t, e, "ann")
			var req api.PasskeyRequest
			c.Must(200, "POST", api.PathAuthPasskeyChallenge, nil).JSON(t, &req)
			e.Clock.Advance(5*time.Minute + time.Second)
			if r := c.Do("POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *auth.Get(t, req.PublicKey, nil)}); r.Status != 401 {
				t.Fatalf("expired challenge: %d %s", r.Status, r.Body)
			}
		})
	})
}

func TestPasskeyTenFailuresLock(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		_, auth, _ := keyUser(t, e, "ann")
		c := passwordStep(t, e, "ann")
		for i := 1; i <= 10; i++ {
			var req api.PasskeyRequest
			c.Must(200, "POST", api.PathAuthPasskeyChallenge, nil).JSON(t, &req)
			a := auth.Get(t, req.PublicKey, nil)
			a.Response.Signature[len(a.Response.Signature)-1] ^= 1
			if r := c.Do("POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *a}); r.Status != 401 {
				t.Fatalf("failure %d: %d %s", i, r.Status, r.Body)
			}
		}
		// Locked, even for the right key, like codes.
		r := signInWithKey(t, c, auth)
		if r.Status != http.StatusTooManyRequests || r.Code() != api.CodeRateLimited || r.Header.Get("Retry-After") == "" {
			t.Fatalf("11th try with the right key: %d %s", r.Status, r.Body)
		}
		// Backup codes are locked too: one counter per account.
		if r := c.Do("POST", api.PathVerify, map[string]string{"code": "aaaaa-bbbbb"}); r.Status != 429 {
			t.Fatalf("code after 10 failed keys: %d %s", r.Status, r.Body)
		}
	})
}

func TestPasskeyStepUpAndVerify(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		c, auth, reg := keyUser(t, e, "ann")
		e.Clock.Advance(6 * time.Minute) // the sign-in's elevation is over
		// With a key on, the password is no step-up any more.
		off := false
		if r := c.Do("PUT", api.PathPasswordless, map[string]any{"enabled": off, "password": "a long password for ann"}); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("password as step-up with a key on: %d %s", r.Status, r.Body)
		}
		// A backup code is one.
		var acc api.Account
		c.Must(200, "PUT", api.PathPasswordless, map[string]any{"enabled": off, "code": reg.BackupCodes[0]}).JSON(t, &acc)
		if acc.Passwordless {
			t.Fatal("passwordless still on")
		}
		e.Clock.Advance(6 * time.Minute)
		// POST /api/account/verify with the key elevates the session.
		var el api.Elevation
		c.Must(200, "POST", api.PathAccountVerify, map[string]any{"passkey": stepUpAssertion(t, c, auth)}).JSON(t, &el)
		if !el.ElevatedUntil.After(e.Clock.Now()) {
			t.Fatalf("elevated until %v", el.ElevatedUntil)
		}
		e.Clock.Advance(6 * time.Minute)
		// An inline assertion is a step-up; a refused one is invalid_code.
		bad := stepUpAssertion(t, c, auth)
		bad.Response.Signature[len(bad.Response.Signature)-1] ^= 1
		if r := c.Do("PUT", api.PathPasswordless, map[string]any{"enabled": true, "passkey": bad}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("bad inline assertion: %d %s", r.Status, r.Body)
		}
		c.Must(200, "PUT", api.PathPasswordless, map[string]any{"enabled": true, "passkey": stepUpAssertion(t, c, auth)}).JSON(t, &acc)
		if !acc.Passwordless {
			t.Fatal("passwordless still off")
		}
		// A second key needs a step-up to begin.
		e.Clock.Advance(6 * time.Minute)
		if r := c.Do("POST", api.PathPasskeyRegister, nil); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("register without step-up: %d %s", r.Status, r.Body)
		}
		reg2 := register(t, c, auth, "Second", map[string]any{"passkey": stepUpAssertion(t, c, auth)})
		if reg2.BackupCodes != nil || reg2.Account.TFA.Passkeys != 2 {
			t.Fatalf("second key: %+v", reg2)
		}
		// Registering the same credential twice is refused.
		var begin api.PasskeyCreation
		c.Must(200, "POST", api.PathPasskeyRegister, nil).JSON(t, &begin)
		if len(begin.PublicKey.ExcludeCredentials) != 2 {
			t.Fatalf("exclude list: %+v", begin.PublicKey.ExcludeCredentials)
		}
	})
}

func TestPasswordlessSignIn(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		c, auth, reg := keyUser(t, e, "ann")
		begin := func(c *servertest.Client) sp.RequestOptions {
			var req api.PasskeyRequest
			c.Must(200, "POST", api.PathPasskeyLoginBegin, nil).JSON(t, &req)
			if req.PublicKey.UserVerification != "required" || len(req.PublicKey.AllowCredentials) != 0 {
				t.Fatalf("passwordless options: %+v", req.PublicKey)
			}
			return req.PublicKey
		}
		// A passkey alone gives a full session.
		p := e.NewClient()
		var lr api.LoginResponse
		p.Must(200, "POST", api.PathPasskeyLogin, api.PasskeyAssertion{Credential: *auth.Get(t, begin(p), nil)}).JSON(t, &lr)
		if lr.Status != api.StatusOK || lr.User == nil || lr.User.Username != "ann" {
			t.Fatalf("passwordless: %+v", lr)
		}
		if acc := accountOf(t, p); acc.Session != "full" {
			t.Fatalf("session %q", acc.Session)
		}
		// Without a challenge of this browser: login_expired.
		if r := e.NewClient().Do("POST", api.PathPasskeyLogin, api.PasskeyAssertion{Credential: *auth.Get(t, sp.RequestOptions{Challenge: []byte("x")}, nil)}); r.Status != 401 || r.Code() != api.CodeLoginExpired {
			t.Fatalf("no challenge: %d %s", r.Status, r.Body)
		}
		// User verification is required.
		noUV := *auth
		noUV.UV = false
		p2 := e.NewClient()
		if r := p2.Do("POST", api.PathPasskeyLogin, api.PasskeyAssertion{Credential: *noUV.Get(t, begin(p2), nil)}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("without user verification: %d %s", r.Status, r.Body)
		}
		// The user turns passwordless off: the passkey alone is refused.
		c.Must(200, "PUT", api.PathPasswordless, map[string]any{"enabled": false, "code": reg.BackupCodes[0]})
		p3 := e.NewClient()
		if r := p3.Do("POST", api.PathPasskeyLogin, api.PasskeyAssertion{Credential: *auth.Get(t, begin(p3), nil)}); r.Status != 403 || r.Code() != api.CodeForbidden {
			t.Fatalf("passwordless off: %d %s", r.Status, r.Body)
		}
		// As a second factor it still works.
		if r := signInWithKey(t, passwordStep(t, e, "ann"), auth); r.Status != 200 {
			t.Fatalf("key as second factor: %d %s", r.Status, r.Body)
		}
	})
}

func TestDisableAndAdminResetRemoveKeys(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		c, auth, _ := keyUser(t, e, "ann")
		var acc api.Account
		c.Must(200, "POST", api.PathTOTPDisable, map[string]any{"passkey": stepUpAssertion(t, c, auth)}).JSON(t, &acc)
		if acc.TFA.State != api.TFANotEnabled || acc.TFA.Passkeys != 0 || acc.TFA.BackupCodesRemaining != 0 {
			t.Fatalf("after disabling 2FA: %+v", acc.TFA)
		}
		// Register again, then an administrator resets 2FA.
		c2 := e.NewClient()
		c2.Login("ann", "a long password for ann")
		register(t, c2, auth, "Again", nil)
		ad := e.NewClient()
		ad.Login(admin, servertest.AdminPassword)
		var bob struct {
			ID int64 `json:"id"`
		}
		var users api.AdminUsers
		ad.Must(200, "GET", api.PathAdminUsers+"?q=ann", nil).JSON(t, &users)
		if len(users.Users) != 1 || users.Users[0].TFA.State != api.TFAEnabled || users.Users[0].TFA.Passkeys != 1 {
			t.Fatalf("admin list: %+v", users.Users)
		}
		bob.ID = users.Users[0].ID
		ad.Must(200, "POST", strings.Replace(api.PathAdminUserReset2FA, "{id}", fmt.Sprint(bob.ID), 1), map[string]any{})
		n, err := e.Server.DB.NewSelect().Model((*db.Passkey)(nil)).Count(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("keys after the admin reset: %d %v", n, err)
		}
	})
}

func TestPasskeysNeedAHostName(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	if acc := accountOf(t, c); acc.PasskeysAvailable {
		t.Fatal("keys available on an IP address")
	}
	if r := c.Do("POST", api.PathPasskeyRegister, nil); r.Status != 400 || !strings.Contains(string(r.Body), "host name") {
		t.Fatalf("register on an IP address: %d %s", r.Status, r.Body)
	}
}

// The 2FA expiry applies to TOTP only: keys do not turn 2FA "expired".
func TestPasskeysDoNotExpire(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		_, auth, _ := keyUser(t, e, "ann")
		e.Clock.Advance(200 * 24 * time.Hour)
		c := passwordStep(t, e, "ann")
		if r := signInWithKey(t, c, auth); r.Status != 200 {
			t.Fatalf("sign-in after 200 days: %d %s", r.Status, r.Body)
		}
		acc := accountOf(t, c)
		if acc.TFA.State != api.TFAEnabled || acc.TFA.ExpiresAt != nil {
			t.Fatalf("2FA with a key after 200 days: %+v", acc.TFA)
		}
		for _, n := range acc.Notices {
			if n.Kind == api.NoticeTFAExpired || n.Kind == api.NoticeTFAExpiring {
				t.Fatalf("expiry notice for a key: %+v", n)
			}
		}
	})
}

// A registration challenge works once, even for a refused credential, and
// a credential made for another origin is refused.
func TestPasskeyRegistrationRefused(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := startKeys(t, dbURL)
		password := "a long password for ann"
		if _, err := e.Server.Users.Create(context.Background(), e.Server.DB, userNamed("ann", password)); err != nil {
			t.Fatal(err)
		}
		c := e.NewClient()
		c.Login("ann", password)
		// No registration begun: nothing to finish.
		auth := passkeytest.New(keysURL, keysRPID)
		att, _ := auth.Create(t, sp.CreationOptions{Challenge: []byte("made up"), User: sp.User{ID: []byte{1}}})
		if r := c.Do("POST", api.PathPasskeys, api.PasskeyRegister{Name: "k", Credential: *att}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("finish without begin: %d %s", r.Status, r.Body)
		}
		var begin api.PasskeyCreation
		c.Must(200, "POST", api.PathPasskeyRegister, nil).JSON(t, &begin)
		evil := passkeytest.New("http://evil.example", keysRPID)
		bad, _ := evil.Create(t, begin.PublicKey)
		if r := c.Do("POST", api.PathPasskeys, api.PasskeyRegister{Name: "k", Credential: *bad}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("credential of another origin: %d %s", r.Status, r.Body)
		}
		good, _ := auth.Create(t, begin.PublicKey)
		if r := c.Do("POST", api.PathPasskeys, api.PasskeyRegister{Name: "k", Credential: *good}); r.Status != 401 {
			t.Fatalf("second answer to one challenge: %d %s", r.Status, r.Body)
		}
		if acc := accountOf(t, c); acc.TFA.Passkeys != 0 {
			t.Fatalf("keys: %d", acc.TFA.Passkeys)
		}
	})
}
