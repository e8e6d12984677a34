package console_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/config"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// Tests of the security review's input findings (F9, F10, F11, F13, F14)
// through the real router.

// noErrorLogged fails the test if the server logged at ERROR level.
func noErrorLogged(t *testing.T, e *servertest.Env) {
	t.Helper()
	for line := range strings.Lines(e.Logs.String()) {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("ERROR in the server log: %s", line)
		}
	}
}

// apiError decodes an error body.
func apiError(t *testing.T, r *servertest.Response) api.Error {
	t.Helper()
	var ae api.Error
	r.JSON(t, &ae)
	return ae
}

// TestF9ControlCharactersRefused: NUL and the other control characters in
// a username or a code are a 400 (bad_request for NUL, which the JSON layer
// refuses; validation_failed with the nocontrol rule for the others),
// never a 503 nor an ERROR log line, and they cost nothing: no statement
// reaches the database before the answer on the sign-in steps (so no user
// look-up, no limiter, no argon2 work), and nothing is written anywhere.
// Before the fix, a NUL in the username gave 503 and an ERROR line, and
// the other control characters a counted 401.
func TestF9ControlCharactersRefused(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e := servertest.Start(t, url, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		adminClient := e.NewClient()
		adminClient.Login(admin, servertest.AdminPassword)
		en := enable(t, e, adminClient, nil)
		pending := loginTOTP(t, e, admin, servertest.AdminPassword)

		tests := []struct {
			name       string
			c          *servertest.Client
			method     string
			path, body string
			code, rule string // error code; rule of the field for validation_failed
			field      string
		}{
			{"NUL in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"al\u0000ice","password":"x"}`, api.CodeBadRequest, "", ""},
			{"NUL in the password", e.NewClient(), "POST", api.PathLogin, `{"username":"alice","password":"x\u0000"}`, api.CodeBadRequest, "", ""},
			{"SOH in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"al\u0001ice","password":"x"}`, api.CodeValidationFailed, "nocontrol", "username"},
			{"ESC in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"\u001badmin","password":"x"}`, api.CodeValidationFailed, "nocontrol", "username"},
			{"line break in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"admin\n","password":"x"}`, api.CodeValidationFailed, "nocontrol", "username"},
			{"DEL in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"admin\u007f","password":"x"}`, api.CodeValidationFailed, "nocontrol", "username"},
			{"C1 in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"ad\u009bmin","password":"x"}`, api.CodeValidationFailed, "nocontrol", "username"},
			{"line separator in the username", e.NewClient(), "POST", api.PathLogin, `{"username":"admin\u2028","password":"x"}`, api.CodeValidationFailed, "nocontrol", "username"},
			{"NUL in a sign-in code", pending, "POST", api.PathVerify, `{"code":"123\u0000456"}`, api.CodeBadRequest, "", ""},
			{"control character in a sign-in code", pending, "POST", api.PathVerify, `{"code":"123\u0007456"}`, api.CodeValidationFailed, "nocontrol=space", "code"},
			{"C1 in a sign-in code", pending, "POST", api.PathVerify, `{"code":"123456\u0090"}`, api.CodeValidationFailed, "nocontrol=space", "code"},
			{"control character in a step-up code", en.c, "PUT", api.PathAccount, `{"email":"","email_verification":false,"code":"\u0003123456"}`, api.CodeValidationFailed, "nocontrol=space", "code"},
			{"control character in an enable code", en.c, "POST", api.PathTOTPEnable, `{"code":"12345\u00016"}`, api.CodeValidationFailed, "nocontrol=space", "code"},
			{"control character in an elevation code", en.c, "POST", api.PathAccountVerify, `{"code":"12345\u007f6"}`, api.CodeValidationFailed, "nocontrol=space", "code"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				probe.Reset(0)
				r := tt.c.Do(tt.method, tt.path, tt.body)
				if r.Status != http.StatusBadRequest || r.Code() != tt.code {
					t.Fatalf("got %d %s, want 400 %s", r.Status, r.Body, tt.code)
				}
				if ae := apiError(t, r); tt.field != "" && (ae.Rules[tt.field] != tt.rule || ae.Fields[tt.field] == "") {
					t.Fatalf("rules %v fields %v, want %s: %s", ae.Rules, ae.Fields, tt.field, tt.rule)
				}
				signIn := tt.path == api.PathLogin || tt.path == api.PathVerify
				if st := probe.Statements(); signIn && len(st) != 0 {
					t.Fatalf("%d statements ran for a refused sign-in: %q", len(st), st)
				}
				if n := probe.Writes(); n != 0 {
					t.Fatalf("%d writes for a refused request: %q", n, probe.Statements())
				}
			})
		}
		if n := failures(t, e); n != 0 {
			t.Errorf("%d failures counted for refused requests", n)
		}
		// The pending sign-in and the session are still usable.
		e.Clock.Advance(30 * time.Second)
		pending.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		noErrorLogged(t, e)
	})
}

// TestF10JSONKeysExactOverHTTP: the review's reproductions (a key that
// differs in case, a duplicate key) are refused with 400 bad_request on
// sign-in and on a step-up request, and nothing changes.
func TestF10JSONKeysExactOverHTTP(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	pw := strconv.Quote(servertest.AdminPassword)
	tests := []struct {
		name, method, path, body, message string
	}{
		{"case variant", "POST", api.PathLogin, `{"USERNAME":"admin","Password":` + pw + `}`, `Unknown field "USERNAME".`},
		{"duplicate", "POST", api.PathLogin, `{"username":"nobody","username":"admin","password":` + pw + `}`, `Duplicate field "username".`},
		{"NUL", "POST", api.PathLogin, `{"username":"admin","password":` + pw + `,"x":"\u0000"}`, `NUL`},
		{"case variant of a step-up field", "PUT", api.PathAccount, `{"email":"new@example.com","email_verification":false,"PASSWORD":` + pw + `}`, `Unknown field "PASSWORD".`},
		{"duplicate step-up field", "PUT", api.PathAccount, `{"email":"new@example.com","email_verification":false,"password":"wrong","password":` + pw + `}`, `Duplicate field "password".`},
		{"duplicate setting", "PUT", api.PathAccount, `{"email":"","email":"new@example.com","email_verification":false}`, `Duplicate field "email".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Do(tt.method, tt.path, tt.body)
			if r.Status != http.StatusBadRequest || r.Code() != api.CodeBadRequest {
				t.Fatalf("got %d %s, want 400 bad_request", r.Status, r.Body)
			}
			if msg := apiError(t, r).Message; msg != tt.message && !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q, want %q", msg, tt.message)
			}
		})
	}
	if acc := c.Must(200, "GET", api.PathAccount, nil).Map(t); acc["email"] != "" {
		t.Fatalf("a refused request changed the email: %v", acc["email"])
	}
}

// TestF11HostHeader: a request whose Host is not the public URL's is
// refused with 403 forbidden before anything else, with or without a
// matching Origin (DNS rebinding), on every path but /api/health and
// /api/ready. Before the fix, Host: evil with Origin: http://evil passed.
func TestF11HostHeader(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	port := e.URL[strings.LastIndexByte(e.URL, ':')+1:]
	login := map[string]string{"username": admin, "password": servertest.AdminPassword}
	update := map[string]any{"email": "evil@example.com", "email_verification": false, "password": servertest.AdminPassword}
	for _, host := range []string{"evil.example:" + port, "localhost:" + port, "127.0.0.1", "127.0.0.2:" + port, "127.0.0.1:" + port + ".evil.example"} {
		for _, headers := range []map[string]string{
			{"Host": host},
			{"Host": host, "Origin": "http://" + host},
			{"Host": host, "Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"},
		} {
			t.Run(host+" "+headers["Origin"]+" "+headers["Sec-Fetch-Site"], func(t *testing.T) {
				c.Headers = headers
				for _, req := range []struct {
					method, path string
					body         any
				}{
					{"POST", api.PathLogin, login},
					{"PUT", api.PathAccount, update},
					{"GET", api.PathAccount, nil},
					{"POST", api.PathLogout, nil},
				} {
					r := c.Do(req.method, req.path, req.body)
					if r.Status != http.StatusForbidden || r.Code() != api.CodeForbidden {
						t.Fatalf("%s %s: got %d %s, want 403 forbidden", req.method, req.path, r.Status, r.Body)
					}
					if msg := apiError(t, r).Message; !strings.Contains(msg, e.URL+"/") {
						t.Errorf("the message does not name the address to use: %q", msg)
					}
				}
				for _, p := range []string{api.PathHealth, api.PathReady} {
					if r := c.Do("GET", p, nil); r.Status != http.StatusOK {
						t.Errorf("%s with Host %s: %d, want 200", p, host, r.Status)
					}
				}
				// A page: a small HTML page that links to the public URL.
				r := c.Do("GET", "/settings", nil)
				if r.Status != http.StatusForbidden || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
					!strings.Contains(string(r.Body), `href="`+e.URL+`/"`) {
					t.Fatalf("page under another host: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
				}
			})
		}
	}
	// Nothing changed, and the session still works under the right host.
	c.Headers = map[string]string{}
	if acc := c.Must(200, "GET", api.PathAccount, nil).Map(t); acc["email"] != "" {
		t.Fatalf("a refused request changed the email: %v", acc["email"])
	}
	noErrorLogged(t, e)
}

// The public URL's host is compared as host:port, case and a final dot
// aside, with the default port of its scheme.
func TestHostHeaderForms(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{Vars: map[string]string{config.EnvPublicURL: "https://Console.Example.com/"}})
	c := e.NewClient()
	for host, want := range map[string]int{
		"console.example.com":      http.StatusUnauthorized, // passes the Host check; no session
		"console.example.com:443":  http.StatusUnauthorized,
		"CONSOLE.example.COM":      http.StatusUnauthorized,
		"console.example.com.":     http.StatusUnauthorized,
		"console.example.com.:443": http.StatusUnauthorized,
		"console.example.com:80":   http.StatusForbidden,
		"console.example.com:8443": http.StatusForbidden,
		"example.com":              http.StatusForbidden,
		"www.console.example.com":  http.StatusForbidden,
		"console.example.com.evil": http.StatusForbidden,
		"127.0.0.1":                http.StatusForbidden,
	} {
		c.Headers = map[string]string{"Host": host}
		if r := c.Do("GET", api.PathAccount, nil); r.Status != want {
			t.Errorf("Host %q: got %d %s, want %d", host, r.Status, r.Body, want)
		}
	}
}

// TestF13ForwardedForWithPortInEvents: behind a trusted proxy, an
// X-Forwarded-For entry with a port is the client's address: it is the IP
// of the events and has its own password bucket. Before the fix, such
// entries fell back to the proxy's address.
func TestF13ForwardedForWithPortInEvents(t *testing.T) {
	t.Parallel()
	e := servertest.Start(t, testdb.SQLite(t), servertest.Options{Vars: map[string]string{config.EnvTrustedProxies: "127.0.0.1/32"}})
	for xff, want := range map[string]string{
		"198.51.100.12:5555":           "198.51.100.12",
		"[2001:db8::1]:443":            "2001:db8::1",
		"[2001:db8::2]":                "2001:db8::2",
		"203.0.113.9:80, 127.0.0.1:81": "203.0.113.9",
	} {
		c := e.NewClient()
		c.Headers["X-Forwarded-For"] = xff
		c.Login(admin, servertest.AdminPassword)
		var ev api.Events
		c.Must(200, "GET", api.PathEvents, nil).JSON(t, &ev)
		if len(ev.Events) == 0 || ev.Events[0].Type != "login" || ev.Events[0].IP != want {
			t.Errorf("X-Forwarded-For %q: newest event %+v, want a login from %s", xff, ev.Events[:min(1, len(ev.Events))], want)
		}
	}
	// Ten wrong passwords from one client lock that client only: another
	// client behind the same proxy still signs in.
	c := e.NewClient()
	c.Headers["X-Forwarded-For"] = "198.51.100.50:40000"
	for i := range 10 {
		if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": "wrong"}); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	if r := c.Do("POST", api.PathLogin, map[string]string{"username": admin, "password": servertest.AdminPassword}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("the locked client: %d %s, want 429", r.Status, r.Body)
	}
	other := e.NewClient()
	other.Headers["X-Forwarded-For"] = "198.51.100.51:40000"
	other.Login(admin, servertest.AdminPassword)
}

// TestF14BackupCodeWhitespace: a backup code with a line break (or a tab, a
// no-break space) inside signs in once; before the fix, the line break
// made it a wrong code.
func TestF14BackupCodeWhitespace(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		for i, sep := range []string{"\n", "\r\n", "\t", "\u00a0", " \n - "} {
			typed := strings.Replace(en.codes[i], "-", sep, 1)
			p := loginTOTP(t, e, admin, servertest.AdminPassword)
			p.Must(200, "POST", api.PathVerify, map[string]string{"code": typed})
			// Once only.
			p = loginTOTP(t, e, admin, servertest.AdminPassword)
			if r := p.Do("POST", api.PathVerify, map[string]string{"code": typed}); r.Status != http.StatusUnauthorized || r.Code() != api.CodeInvalidCode {
				t.Fatalf("backup code %q used twice: %d %s", typed, r.Status, r.Body)
			}
		}
		noErrorLogged(t, e)
	})
}
