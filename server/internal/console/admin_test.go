package console_test

// Tests of the administration API (API.md, "Administration"), through the
// real router on SQLite and PostgreSQL.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/account"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/session"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// adminServer is a server with a real SMTP server, and a client signed in
// as its admin (stepped up for 5 minutes by the password sign-in).
func adminServer(t *testing.T, url string, vars ...string) (*servertest.Env, *smtptest.Server, *servertest.Client) {
	t.Helper()
	mails := smtptest.Start(t)
	v := map[string]string{config.EnvSMTPURL: mails.URL()}
	for i := 0; i+1 < len(vars); i += 2 {
		v[vars[i]] = vars[i+1]
	}
	e := servertest.Start(t, url, servertest.Options{Vars: v})
	ad := e.NewClient()
	ad.Login(admin, servertest.AdminPassword)
	return e, mails, ad
}

// newUser creates a user directly and returns its id.
func newUser(t *testing.T, e *servertest.Env, nu account.NewUser) int64 {
	t.Helper()
	u, err := e.Server.Users.Create(context.Background(), e.Server.DB, nu)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// userPath is an admin path of user id.
func userPath(p string, id int64) string {
	return strings.Replace(p, "{id}", strconv.FormatInt(id, 10), 1)
}

// token creates a RustDesk bearer token of user id, as the RustDesk API
// will, and returns it.
func token(t *testing.T, e *servertest.Env, id int64) string {
	t.Helper()
	tok, _, err := e.Server.Sessions.Create(context.Background(), e.Server.DB, session.Spec{
		UserID: id, Level: db.LevelFull, Kind: db.KindRustDesk, Device: "laptop", IP: "192.0.2.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenAlive reports whether a bearer token still opens its session.
func tokenAlive(t *testing.T, e *servertest.Env, tok string) bool {
	t.Helper()
	_, err := e.Server.Sessions.Lookup(context.Background(), tok)
	switch {
	case err == nil:
		return true
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrExpired):
		return false
	}
	t.Fatal(err)
	return false
}

// snapshot is what an admin request could change, read from the database
// (counters without a count are no change: a right password sent as a
// step-up creates its counter's row at zero).
func snapshot(t *testing.T, e *servertest.Env) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, m := range []any{&[]db.User{}, &[]db.Session{}, &[]db.TOTPSecret{}, &[]db.BackupCode{}, &[]db.Throttle{}, &[]db.Event{}} {
		q := e.Server.DB.NewSelect().Model(m).OrderExpr("1")
		if _, ok := m.(*[]db.Throttle); ok {
			q = q.Where("failures > 0 OR prev_failures > 0 OR locked_until IS NOT NULL")
		}
		if err := q.Scan(ctx); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(m)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// adminEvents reads the events of the admin API with query q.
func adminEvents(t *testing.T, c *servertest.Client, q url.Values) api.AdminEvents {
	t.Helper()
	var ev api.AdminEvents
	c.Must(200, "GET", api.PathAdminEvents+"?"+q.Encode(), nil).JSON(t, &ev)
	return ev
}

// TestAdminRefusesOthers: on every admin endpoint, no session is 401, a
// non-admin's session (even with a malformed body, and with the right
// password as step-up) is 403 forbidden, and a bearer token is 401; the
// database is unchanged.
func TestAdminRefusesOthers(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		adminID := userID(t, e, admin)
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")
		// The admin's own cookie, with a bearer token of the admin: the
		// token is refused before the cookie is looked at.
		bearer := e.NewClient()
		bearer.Login(admin, servertest.AdminPassword)
		bearer.Headers["Authorization"] = "Bearer " + token(t, e, adminID)
		endpoints := []struct{ method, path, body string }{
			{"GET", api.PathAdminUsers, ""},
			{"GET", api.PathAdminUsers + "?q=a&page=1&per_page=10", ""},
			{"POST", api.PathAdminUsers, `{"username":"mallory","is_admin":true,"password":"bob password 1"}`},
			{"GET", userPath(api.PathAdminUser, adminID), ""},
			{"GET", userPath(api.PathAdminUser, 999999), ""},
			{"PATCH", userPath(api.PathAdminUser, bobID), `{"is_admin":true,"password":"bob password 1"}`},
			{"PATCH", userPath(api.PathAdminUser, adminID), `{"disabled":true}`},
			{"PATCH", userPath(api.PathAdminUser, adminID), `{"disabled":`},
			{"POST", userPath(api.PathAdminUserReset2FA, adminID), `{"reason":"x"}`},
			{"POST", userPath(api.PathAdminUserSignOut, adminID), ``},
			{"POST", userPath(api.PathAdminUserUnlock, adminID), `{}`},
			{"GET", api.PathAdminEvents, ""},
			{"GET", api.PathAdminEvents + "?limit=1000", ""},
		}
		before := snapshot(t, e)
		for _, ep := range endpoints {
			t.Run(ep.method+" "+ep.path, func(t *testing.T) {
				for _, c := range []struct {
					name   string
					client *servertest.Client
					status int
					code   string
				}{
					{"no session", e.NewClient(), 401, api.CodeUnauthorized},
					{"non-admin", bob, 403, api.CodeForbidden},
					{"bearer token", bearer, 401, api.CodeUnauthorized},
				} {
					r := c.client.Do(ep.method, ep.path, ep.body)
					if r.Status != c.status || r.Code() != c.code {
						t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
					}
				}
			})
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("the database changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// TestAdminStepUp: an administrator with TOTP and no step-up gets 403
// step_up_required on every changing endpoint, and nothing changes; a
// wrong code is invalid_code; a right code lets the change through.
func TestAdminStepUp(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		e, _, ad := adminServer(t, url)
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		en := enable(t, e, ad, nil)
		e.Clock.Advance(6 * time.Minute)
		ad.Must(200, "GET", api.PathAccount, nil) // the session's last-seen time moves now
		adminID := userID(t, e, admin)
		changes := []struct{ method, path, body string }{
			{"POST", api.PathAdminUsers, `{"username":"carol"}`},
			{"PATCH", userPath(api.PathAdminUser, bobID), `{"disabled":true}`},
			{"PATCH", userPath(api.PathAdminUser, bobID), `{"is_admin":true,"reason":"new colleague"}`},
			{"POST", userPath(api.PathAdminUserReset2FA, bobID), ``},
			{"POST", userPath(api.PathAdminUserReset2FA, adminID), `{}`},
			{"POST", userPath(api.PathAdminUserSignOut, bobID), `{"reason":"left"}`},
			{"POST", userPath(api.PathAdminUserUnlock, bobID), ``},
		}
		before := snapshot(t, e)
		for _, c := range changes {
			if r := ad.Do(c.method, c.path, c.body); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
				t.Errorf("%s %s without step-up: %d %s", c.method, c.path, r.Status, r.Body)
			}
			// The password does not replace the code while TOTP is on.
			withPassword := map[string]any{"password": servertest.AdminPassword}
			if c.path == api.PathAdminUsers {
				withPassword = map[string]any{"username": "carol", "current_password": servertest.AdminPassword}
			}
			if r := ad.Do(c.method, c.path, withPassword); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
				t.Errorf("%s %s with the password only: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("the database changed:\nbefore %s\nafter  %s", before, after)
		}
		r := ad.Do("PATCH", userPath(api.PathAdminUser, bobID), map[string]any{"disabled": true, "code": "000000"})
		if r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("wrong code: %d %s", r.Status, r.Body)
		}
		var u api.AdminUser
		ad.Must(200, "PATCH", userPath(api.PathAdminUser, bobID), map[string]any{"disabled": true, "code": code(t, en.secret, e.Clock.Now())}).JSON(t, &u)
		if !u.Disabled {
			t.Fatalf("after disabling with a code: %+v", u)
		}
		// The code elevated the session for 5 minutes.
		ad.Must(200, "PATCH", userPath(api.PathAdminUser, bobID), map[string]any{"disabled": false})
		var cr api.AdminUserCreated
		ad.Must(201, "POST", api.PathAdminUsers, map[string]any{"username": "carol"}).JSON(t, &cr)
	})
}
