package console_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/server"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

const admin = "admin"

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		big := `{"username":"` + strings.Repeat("a", 70<<10) + `","password":"x"}`
		tests := []struct {
			name, method, path, body string
			status                   int
			code                     string
		}{
			{"bad JSON", "POST", api.PathLogin, `{"username":`, 400, api.CodeBadRequest},
			{"not an object", "POST", api.PathLogin, `[1,2]`, 400, api.CodeBadRequest},
			{"wrong type", "POST", api.PathLogin, `{"username":1,"password":"x"}`, 400, api.CodeBadRequest},
			{"unknown field", "POST", api.PathLogin, `{"username":"a","password":"b","admin":true}`, 400, api.CodeBadRequest},
			{"trailing garbage", "POST", api.PathLogin, `{"username":"a","password":"b"} x`, 400, api.CodeBadRequest},
			{"two objects", "POST", api.PathLogin, `{"username":"a","password":"b"}{}`, 400, api.CodeBadRequest},
			{"empty body", "POST", api.PathLogin, ``, 400, api.CodeBadRequest},
			{"oversize body", "POST", api.PathLogin, big, 413, api.CodePayloadTooLarge},
			{"oversize account update", "PUT", api.PathAccount, `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, 413, api.CodePayloadTooLarge},
			{"unknown field in account update", "PUT", api.PathAccount, `{"email":"","email_verification":false,"role":"admin"}`, 400, api.CodeBadRequest},
			{"null email", "PUT", api.PathAccount, `{"email":null,"email_verification":false}`, 400, api.CodeValidationFailed},
			{"unknown API path", "GET", "/api/nothing", ``, 404, api.CodeNotFound},
			{"wrong method", "DELETE", api.PathAccount, ``, 405, api.CodeBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := c.Do(tt.method, tt.path, tt.body)
				if r.Status != tt.status || r.Code() != tt.code {
					t.Fatalf("got %d %q, want %d %q; body %s", r.Status, r.Code(), tt.status, tt.code, r.Body)
				}
				m := r.Map(t)
				if msg, _ := m["error"].(string); msg == "" {
					t.Errorf("error body without a message: %s", r.Body)
				}
			})
		}
		// Nothing changed.
		acc := c.Must(200, "GET", api.PathAccount, nil).Map(t)
		if acc["email"] != "" {
			t.Errorf("email changed by a refused request: %v", acc["email"])
		}
	})
}

func TestValidationErrorsCarryFieldsAndRules(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	tests := []struct {
		name, method, path string
		body               any
		rules              map[string]string
	}{
		{"login without fields", "POST", api.PathLogin, map[string]string{}, map[string]string{"username": "required", "password": "required"}},
		{"bad email", "PUT", api.PathAccount, map[string]any{"email": "not-an-email", "email_verification": false}, map[string]string{"email": "email"}},
		{"verification without email", "PUT", api.PathAccount, map[string]any{"email": "", "email_verification": true}, map[string]string{"email": "required"}},
		{"missing flag", "PUT", api.PathAccount, map[string]any{"email": "a@example.com"}, map[string]string{"email_verification": "required"}},
		{"short password", "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "short"}, map[string]string{"new_password": "min=8"}},
		{"common password", "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "password123"}, map[string]string{"new_password": "not_common"}},
		{"password is username", "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "ADMIN"}, map[string]string{"new_password": "min=8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Do(tt.method, tt.path, tt.body)
			if r.Status != 400 || r.Code() != api.CodeValidationFailed {
				t.Fatalf("got %d %s, want 400 validation_failed", r.Status, r.Body)
			}
			var ae api.Error
			r.JSON(t, &ae)
			for f, rule := range tt.rules {
				if ae.Rules[f] != rule {
					t.Errorf("rules[%s] = %q, want %q (body %s)", f, ae.Rules[f], rule, r.Body)
				}
				if ae.Fields[f] == "" {
					t.Errorf("fields[%s] has no message (body %s)", f, r.Body)
				}
			}
		})
	}
}

func TestPasswordEqualToUsernameRefused(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	ctx := context.Background()
	if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("longusername1", "an ok password")); err != nil {
		t.Fatal(err)
	}
	c := e.NewClient()
	c.Login("longusername1", "an ok password")
	r := c.Do("POST", api.PathPassword, map[string]string{"current_password": "an ok password", "new_password": "LongUserName1"})
	var ae api.Error
	r.JSON(t, &ae)
	if r.Status != 400 || ae.Rules["new_password"] != "not_username" {
		t.Fatalf("got %d %s, want 400 with rule not_username", r.Status, r.Body)
	}
}

func TestWrongPasswordAndUnknownUserLookTheSame(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		wrong := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "not the password"})
		unknown := c.Do("POST", api.PathLogin, map[string]string{"username": "nobody", "password": "not the password"})
		if wrong.Status != 401 || unknown.Status != 401 {
			t.Fatalf("statuses %d and %d, want 401", wrong.Status, unknown.Status)
		}
		if !bytes.Equal(wrong.Body, unknown.Body) {
			t.Fatalf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
		}
		if wrong.Code() != api.CodeInvalidCredentials {
			t.Fatalf("code %q, want invalid_credentials", wrong.Code())
		}
		if c.SessionCookie() != nil {
			t.Fatal("a failed login set a session cookie")
		}
	})
}

func TestUsernameIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	ctx := context.Background()
	if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("Élodie", "an ok password")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"élodie", "ÉLODIE", " Élodie "} {
		c := e.NewClient()
		var lr api.LoginResponse
		c.Login(name, "an ok password").JSON(t, &lr)
		if lr.User == nil || lr.User.Username != "Élodie" {
			t.Errorf("login as %q: got %+v", name, lr.User)
		}
	}
	if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("éLODIE", "an ok password")); err == nil {
		t.Fatal("a second user differing only by case was created")
	}
}

func TestCookieFlagsAndNoTokenInBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, publicURL, cookie string
		secure                  bool
	}{
		{"http", "http://127.0.0.1:8080", "twofold_session", false},
		{"https", "https://console.example.com", "__Host-twofold_session", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := servertest.Start(t, testdb.SQLite(t), servertest.Options{Vars: map[string]string{config.EnvPublicURL: tt.publicURL}})
			c := e.NewClient()
			r := c.Login(admin, servertest.AdminPassword)
			var set *http.Cookie
			for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
				if ck.Name == tt.cookie {
					set = ck
				}
			}
			if set == nil {
				t.Fatalf("no %s cookie in %v", tt.cookie, r.Header.Values("Set-Cookie"))
			}
			if !set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.Path != "/" || set.Secure != tt.secure {
				t.Errorf("cookie flags: %q", r.Header.Get("Set-Cookie"))
			}
			if len(set.Value) < 43 {
				t.Errorf("token %d characters, want at least 43 (256 bits)", len(set.Value))
			}
			hsts := r.Header.Get("Strict-Transport-Security")
			if (hsts != "") != tt.secure {
				t.Errorf("HSTS %q with public URL %s", hsts, tt.publicURL)
			}
			if bytes.Contains(r.Body, []byte(set.Value)) {
				t.Fatal("session token in the login body")
			}
			if tt.secure {
				return // the https cookie is not sent back over httptest's http
			}
			for _, p := range []string{api.PathAccount, api.PathEvents} {
				if b := c.Must(200, "GET", p, nil).Body; bytes.Contains(b, []byte(set.Value)) {
					t.Fatalf("session token in %s body", p)
				}
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	r := c.Must(200, "GET", api.PathHealth, nil)
	for h, want := range map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, part := range []string{"frame-ancestors 'none'", "'wasm-unsafe-eval'", "img-src 'self' data:", "default-src 'self'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("CSP allows inline code or eval: %q", csp)
	}
	c.Login(admin, servertest.AdminPassword)
	if got := c.Must(200, "GET", api.PathAccount, nil).Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("account Cache-Control %q, want no-store", got)
	}
}

func TestSessionRotationAndLogout(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		first := c.SessionCookie()
		c.Login(admin, servertest.AdminPassword)
		second := c.SessionCookie()
		if first == nil || second == nil || first.Value == second.Value {
			t.Fatal("the token did not change at sign-in")
		}
		// The first token died with the second sign-in.
		old := e.NewClient()
		old.Headers["Cookie"] = "twofold_session=" + first.Value
		if r := old.Do("GET", api.PathAccount, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
			t.Fatalf("old token after a new sign-in: %d %s", r.Status, r.Body)
		}
		// Logout deletes the session on the server: a copy of the cookie is useless.
		stolen := e.NewClient()
		stolen.Headers["Cookie"] = "twofold_session=" + second.Value
		stolen.Must(200, "GET", api.PathAccount, nil)
		c.Must(204, "POST", api.PathLogout, nil)
		if r := stolen.Do("GET", api.PathAccount, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
			t.Fatalf("cookie after logout: %d %s", r.Status, r.Body)
		}
		// Logout without a session, or with {}, is fine too.
		c.Must(204, "POST", api.PathLogout, "{}")
	})
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	// Used every 50 minutes: the idle timeout (1 h) never strikes, the
	// absolute one (24 h) does.
	start := e.Clock.Now()
	for e.Clock.Now().Sub(start) < 23*time.Hour {
		e.Clock.Advance(50 * time.Minute)
		c.Must(200, "GET", api.PathAccount, nil)
	}
	e.Clock.Advance(50 * time.Minute)
	if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 {
		t.Fatalf("after %s of use: %d, want 401", e.Clock.Now().Sub(start), r.Status)
	}
	// Idle for an hour: gone.
	c.Login(admin, servertest.AdminPassword)
	e.Clock.Advance(61 * time.Minute)
	if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 {
		t.Fatalf("after 61 idle minutes: %d, want 401", r.Status)
	}
}

func TestCrossSiteWritesRefused(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	body := map[string]any{"email": "evil@example.com", "email_verification": false}
	tests := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same-site sibling", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.com"}, 403},
		{"old browser, foreign origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.URL}, 200},
		{"same origin, scheme in capitals", map[string]string{"Origin": strings.Replace(e.URL, "http://", "HTTP://", 1)}, 200},
		{"no browser headers", nil, 200},
		// The standard check compares an Origin's host only.
		{"old browser, other scheme", map[string]string{"Origin": strings.Replace(e.URL, "http://", "https://", 1)}, 403},
		{"old browser, ws scheme", map[string]string{"Origin": strings.Replace(e.URL, "http://", "ws://", 1)}, 403},
		{"old browser, null origin", map[string]string{"Origin": "null"}, 403},
		{"same-origin claimed, foreign origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, 403},
		// Cross-site is refused before a bearer token is looked at.
		{"cross-site with a bearer token", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Authorization": "Bearer x"}, 403},
		{"old browser, foreign origin, bearer token", map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer x"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.Headers = maps.Clone(tt.headers)
			if c.Headers == nil {
				c.Headers = map[string]string{}
			}
			r := c.Do("PUT", api.PathAccount, body)
			if r.Status != tt.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tt.status)
			}
			if tt.status == 403 && r.Code() != api.CodeForbidden {
				t.Fatalf("code %q, want forbidden", r.Code())
			}
		})
	}
	// Refused before anything else: even a login with a right password.
	c.Headers = map[string]string{"Sec-Fetch-Site": "cross-site"}
	if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 403 {
		t.Fatalf("cross-site login: %d", r.Status)
	}
}

func TestBearerTokensRefusedOnConsoleAPI(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	c.Headers["Authorization"] = "Bearer " + c.SessionCookie().Value
	for _, p := range []string{api.PathAccount, api.PathEvents} {
		if r := c.Do("GET", p, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
			t.Errorf("%s with a bearer token: %d %s", p, r.Status, r.Body)
		}
	}
}

func TestStepUpWithoutTOTP(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		put := func(email string, extra map[string]any) *servertest.Response {
			b := map[string]any{"email": email, "email_verification": false}
			for k, v := range extra {
				b[k] = v
			}
			return c.Do("PUT", api.PathAccount, b)
		}
		// A fresh sign-in counts as a step-up.
		if r := put("fresh@example.com", nil); r.Status != 200 {
			t.Fatalf("fresh sign-in: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(6 * time.Minute)
		if r := put("late@example.com", nil); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("6 minutes later without password: %d %s", r.Status, r.Body)
		}
		if r := put("late@example.com", map[string]any{"password": "wrong password!"}); r.Status != 401 || r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("wrong step-up password: %d %s", r.Status, r.Body)
		}
		// The wrong password did not sign the user out.
		acc := c.Must(200, "GET", api.PathAccount, nil).Map(t)
		if acc["email"] != "fresh@example.com" {
			t.Fatalf("email %v after refused changes", acc["email"])
		}
		if r := put("late@example.com", map[string]any{"password": servertest.AdminPassword}); r.Status != 200 {
			t.Fatalf("with the password: %d %s", r.Status, r.Body)
		}
		// The password elevated the session for 5 minutes.
		e.Clock.Advance(4 * time.Minute)
		if r := put("later@example.com", nil); r.Status != 200 {
			t.Fatalf("4 minutes after a step-up: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(2 * time.Minute)
		if r := put("latest@example.com", nil); r.Status != 403 {
			t.Fatalf("6 minutes after a step-up: %d %s", r.Status, r.Body)
		}
		// POST /api/account/verify elevates for 5 minutes.
		if r := c.Do("POST", api.PathAccountVerify, map[string]string{"password": "nope nope nope"}); r.Status != 401 || r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("verify with a wrong password: %d %s", r.Status, r.Body)
		}
		if r := c.Do("POST", api.PathAccountVerify, map[string]string{}); r.Status != 400 || r.Code() != api.CodeValidationFailed {
			t.Fatalf("verify without a password: %d %s", r.Status, r.Body)
		}
		var el api.Elevation
		c.Must(200, "POST", api.PathAccountVerify, map[string]string{"password": servertest.AdminPassword}).JSON(t, &el)
		if want := e.Clock.Now().Add(5 * time.Minute); !el.ElevatedUntil.Equal(want) {
			t.Fatalf("elevated_until %v, want %v", el.ElevatedUntil, want)
		}
		if r := put("latest@example.com", nil); r.Status != 200 {
			t.Fatalf("after verify: %d %s", r.Status, r.Body)
		}
		// The password change counts its current password as a step-up.
		e.Clock.Advance(10 * time.Minute)
		c.Must(204, "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "a brand new secret"})
		c.Login(admin, "a brand new secret")
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		a, b := e.NewClient(), e.NewClient()
		a.Login(admin, servertest.AdminPassword)
		b.Login(admin, servertest.AdminPassword)
		if r := a.Do("POST", api.PathPassword, map[string]string{"current_password": "wrong one!!", "new_password": "another fine secret"}); r.Status != 401 || r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
		}
		a.Must(204, "POST", api.PathPassword, map[string]string{"current_password": servertest.AdminPassword, "new_password": "another fine secret"})
		a.Must(200, "GET", api.PathAccount, nil)
		if r := b.Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("other session after a password change: %d", r.Status)
		}
		if r := b.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 401 {
			t.Fatalf("old password still works: %d", r.Status)
		}
		b.Login(admin, "another fine secret")
		var ev api.Events
		a.Must(200, "GET", api.PathEvents, nil).JSON(t, &ev)
		if len(ev.Events) == 0 || ev.Events[0].Type != "login" || !hasEvent(ev, "password_changed") {
			t.Fatalf("events %+v", ev.Events)
		}
	})
}

func hasEvent(ev api.Events, typ string) bool {
	for _, e := range ev.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

func TestEmailSettings(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		ctx := context.Background()
		if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("bob", "bob's fine password", "Bob@Example.com")); err != nil {
			t.Fatal(err)
		}
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		var acc api.Account
		c.Must(200, "PUT", api.PathAccount, map[string]any{"email": "admin@example.com", "email_verification": true}).JSON(t, &acc)
		if acc.Email != "admin@example.com" || !acc.EmailVerification || acc.User.Email != "admin@example.com" || acc.TFA.State != api.TFANotEnabled {
			t.Fatalf("account after update: %+v", acc)
		}
		if r := c.Do("PUT", api.PathAccount, map[string]any{"email": "BOB@example.com", "email_verification": false}); r.Status != 409 || r.Code() != api.CodeConflict {
			t.Fatalf("taken email: %d %s", r.Status, r.Body)
		}
		c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		if acc.Email != "admin@example.com" || !acc.EmailVerification {
			t.Fatalf("a refused update changed the account: %+v", acc)
		}
		// Clearing the email needs the flag off.
		c.Must(200, "PUT", api.PathAccount, map[string]any{"email": "", "email_verification": false})
		c.Must(200, "PUT", api.PathAccount, map[string]any{"email": "", "email_verification": false})
	})
}

func TestPasswordLimits(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{Vars: map[string]string{config.EnvTrustedProxies: "127.0.0.1/32"}})
		for _, name := range []string{admin, "nobody-here"} {
			t.Run(name, func(t *testing.T) {
				c := e.NewClient()
				c.Headers["X-Forwarded-For"] = "203.0.113.7"
				for i := 1; i <= 10; i++ {
					if r := c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "wrong password " + strconv.Itoa(i)}); r.Status != 401 {
						t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
					}
				}
				r := c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "wrong password 11"})
				if r.Status != 429 || r.Code() != api.CodeRateLimited {
					t.Fatalf("11th attempt: %d %s", r.Status, r.Body)
				}
				ra, _ := strconv.Atoi(r.Header.Get("Retry-After"))
				if ra < 30 || ra > 900 {
					t.Fatalf("Retry-After %q, want 30..900", r.Header.Get("Retry-After"))
				}
				// Even the right password waits, and the answer does not say whether the user exists.
				if r := c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": servertest.AdminPassword}); r.Status != 429 {
					t.Fatalf("right password while limited: %d", r.Status)
				}
				// Another client IP is not limited by this one's failures.
				other := e.NewClient()
				other.Headers["X-Forwarded-For"] = "198.51.100.9"
				if r := other.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "wrong"}); r.Status != 401 {
					t.Fatalf("other IP: %d %s", r.Status, r.Body)
				}
				// After the wait, attempts go through again, with a longer lock at the next failure.
				e.Clock.Advance(time.Duration(ra) * time.Second)
				if r := c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "wrong again"}); r.Status != 401 {
					t.Fatalf("after the wait: %d %s", r.Status, r.Body)
				}
				r = c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "wrong again"})
				if ra2, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != 429 || ra2 <= ra {
					t.Fatalf("second lock: %d Retry-After %q (first %d)", r.Status, r.Header.Get("Retry-After"), ra)
				}
			})
		}
	})
}

func TestSpoofedForwardedForIgnored(t *testing.T) {
	t.Parallel()
	// No trusted proxy: X-Forwarded-For must not reset or dodge the limit.
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	for i := 1; i <= 10; i++ {
		c.Headers["X-Forwarded-For"] = "192.0.2." + strconv.Itoa(i)
		if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong"}); r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	c.Headers["X-Forwarded-For"] = "192.0.2.200"
	if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 429 {
		t.Fatalf("a new X-Forwarded-For dodged the limit: %d %s", r.Status, r.Body)
	}
}

func TestSuccessResetsPasswordCounter(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	for round := 0; round < 3; round++ {
		for i := 0; i < 9; i++ {
			if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong"}); r.Status != 401 {
				t.Fatalf("round %d attempt %d: %d", round, i, r.Status)
			}
		}
		c.Login(admin, servertest.AdminPassword)
	}
}

func TestParallelWrongPasswordsCannotExceedLimit(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong"})
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[401] != 10 || statuses[429] != 6 {
		t.Fatalf("statuses %v, want 10×401 and 6×429", statuses)
	}
}

func TestReadyAndHealth(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Must(200, "GET", api.PathHealth, nil)
	c.Must(200, "GET", api.PathReady, nil)
	e.Server.DB.Close()
	if r := c.Do("GET", api.PathReady, nil); r.Status != 503 || r.Code() != api.CodeUnavailable {
		t.Fatalf("ready with the database closed: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != 503 {
		t.Fatalf("login with the database closed: %d %s", r.Status, r.Body)
	}
	c.Must(200, "GET", api.PathHealth, nil)
}

func TestWrongKeyFileRefusesToStart(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		dir := t.TempDir()
		e := servertest.Start(t, url, servertest.Options{Dir: dir})
		e.Server.Close()
		cfg := servertest.Config(t, url, dir, nil)
		keyFile := cfg.SecretKeyFile
		orig, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
		}
		open := func() error {
			s, err := server.Open(context.Background(), cfg, server.Options{Clock: clock.NewFake(time.Now()), Stderr: &bytes.Buffer{}})
			if err == nil {
				s.Close()
			}
			return err
		}
		// Another key.
		if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := open(); !errors.Is(err, server.ErrKeyMismatch) {
			t.Fatalf("another key: %v, want ErrKeyMismatch", err)
		}
		// No key file: refused, and no new key is written.
		os.Remove(keyFile)
		if err := open(); !errors.Is(err, server.ErrKeyMismatch) {
			t.Fatalf("missing key: %v, want ErrKeyMismatch", err)
		}
		if _, err := os.Stat(keyFile); err == nil {
			t.Fatal("a new key file was created for a database set up with another key")
		}
		// The original key works again.
		os.WriteFile(keyFile, orig, 0o600)
		if err := open(); err != nil {
			t.Fatalf("original key: %v", err)
		}
	})
}
