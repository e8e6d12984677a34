package console_test

// Tests of the administration API (API.md, "Administration"), through the
// real router on SQLite and PostgreSQL.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
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
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		adminID := userID(t, e, admin)
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")
		bob.Headers["Accept-Language"] = "fr" // not even the language is stored
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
			// An unknown path, or a known one with another method: the
			// caller is checked before it hears which.
			{"GET", "/api/admin/nonexistent", ""},
			{"POST", "/api/admin/users/1/nonexistent", "{}"},
			{"DELETE", api.PathAdminUsers, ""},
			{"PUT", userPath(api.PathAdminUser, adminID), "{}"},
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
		// An administrator hears 404 and 405.
		adm := e.NewClient()
		adm.Login(admin, servertest.AdminPassword)
		if r := adm.Do("GET", "/api/admin/nonexistent", nil); r.Status != 404 || r.Code() != api.CodeNotFound {
			t.Errorf("admin, unknown path: %d %s", r.Status, r.Body)
		}
		if r := adm.Do("DELETE", api.PathAdminUsers, nil); r.Status != 405 || r.Header.Get("Allow") != "GET, POST" {
			t.Errorf("admin, other method: %d %v %s", r.Status, r.Header, r.Body)
		}
	})
}

// TestAdminStepUp: an administrator with TOTP and no step-up gets 403
// step_up_required on every changing endpoint, and nothing changes; a
// wrong code is invalid_code; a right code lets the change through.
func TestAdminStepUp(t *testing.T) {
	t.Parallel()
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

// TestAdminListUsers: search by a substring of the username or the email,
// case-insensitively in any script, by username, paged, with total; the
// bounds of the query are checked; every field of AdminUser.
func TestAdminListUsers(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, _, ad := adminServer(t, dbURL)
		ctx := context.Background()
		for _, nu := range []account.NewUser{
			userNamed("Émilie", "emilie password", "Emilie.Durand@Example.ORG"),
			userNamed("ZOË", "zoe password 1"),
			userNamed("bob", "bob password 1", "bob@example.com"),
			userNamed("Ünal_50", "unal password 1", "u%50@example.net"),
		} {
			newUser(t, e, nu)
		}
		list := func(q string) api.AdminUsers {
			t.Helper()
			var out api.AdminUsers
			ad.Must(200, "GET", api.PathAdminUsers+q, nil).JSON(t, &out)
			return out
		}
		names := func(l api.AdminUsers) string {
			var n []string
			for _, u := range l.Users {
				n = append(n, u.Username)
			}
			return strings.Join(n, ",")
		}
		for _, tt := range []struct{ q, want string }{
			{"", "admin,bob,ZOË,Émilie,Ünal_50"},
			{"?q=ÉMI", "Émilie"},
			{"?q=" + url.QueryEscape("zoë"), "ZOË"},
			{"?q=" + url.QueryEscape("üNAL"), "Ünal_50"},
			{"?q=DURAND%40example.org", "Émilie"},
			{"?q=EXAMPLE", "bob,Émilie,Ünal_50"},
			{"?q=_50", "Ünal_50"},
			{"?q=" + url.QueryEscape("%"), "Ünal_50"},
			{"?q=_", "Ünal_50"},
			{"?q=" + url.QueryEscape("%50@"), "Ünal_50"},
			{"?q=nobody", ""},
		} {
			l := list(tt.q)
			if got := names(l); got != tt.want || l.Total != int64(len(l.Users)) {
				t.Errorf("%s: %q (total %d), want %q", tt.q, got, l.Total, tt.want)
			}
		}
		// Pages of two, by username (code-point order, the same on both
		// engines).
		var pages []string
		for p := 1; p <= 3; p++ {
			l := list("?per_page=2&page=" + strconv.Itoa(p))
			if l.Total != 5 || l.Page != p || l.PerPage != 2 {
				t.Fatalf("page %d: total %d page %d per_page %d", p, l.Total, l.Page, l.PerPage)
			}
			pages = append(pages, names(l))
		}
		if got := strings.Join(pages, "|"); got != "admin,bob|ZOË,Émilie|Ünal_50" {
			t.Fatalf("pages: %s", got)
		}
		if l := list("?page=4&per_page=2"); len(l.Users) != 0 || l.Total != 5 {
			t.Fatalf("past the last page: %+v", l)
		}
		if l := list("?per_page=200"); len(l.Users) != 5 || l.PerPage != 200 {
			t.Fatalf("per_page=200: %d users", len(l.Users))
		}
		for _, q := range []string{"?per_page=201", "?per_page=0", "?page=0", "?page=-1", "?per_page=abc", "?page=1.5",
			"?per_page=99999999999999999999", "?q=" + strings.Repeat("a", 255)} {
			r := ad.Do("GET", api.PathAdminUsers+q, nil)
			if r.Status != 400 || r.Code() != api.CodeValidationFailed {
				t.Errorf("%s: %d %s, want 400 validation_failed", q, r.Status, r.Body)
			}
		}

		// Every field: bob with TOTP, signed in once, locked, disabled.
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")
		enable(t, e, bob, nil)
		var acc api.Account
		bob.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		p := loginTOTP(t, e, "bob", "bob password 1")
		for i := 0; i < 10; i++ {
			p.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
		}
		bobID := userID(t, e, "bob")
		if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("disabled = TRUE").Where("id = ?", bobID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		var u api.AdminUser
		ad.Must(200, "GET", userPath(api.PathAdminUser, bobID), nil).JSON(t, &u)
		stored, _ := e.Server.Users.ByID(ctx, e.Server.DB, bobID)
		tfa, _ := json.Marshal(u.TFA)
		want, _ := json.Marshal(acc.TFA)
		if u.ID != bobID || u.Username != "bob" || u.Email != "bob@example.com" || u.IsAdmin || !u.Disabled || u.EmailVerification ||
			u.TFAEnforced || string(tfa) != string(want) || u.TFA.State != api.TFAEnabled || u.TFA.BackupCodesRemaining != 6 ||
			u.LastLogin == nil || !u.LastLogin.Equal(*stored.LastLoginAt) || !u.CreatedAt.Equal(stored.CreatedAt) ||
			u.LockedUntil == nil || !u.LockedUntil.Equal(e.Clock.Now().Add(30*time.Second)) {
			t.Fatalf("bob: %+v\ntfa %s, account's %s", u, tfa, want)
		}
		r := ad.Do("GET", api.PathAdminUsers+"?q=bob", nil)
		for _, field := range []string{`"disabled":true`, `"created_at":"`, `"last_login":"`, `"email_verification":false`,
			`"tfa":{"state":"enabled"`, `"locked_until":"`, `"is_admin":false`, `"total":1`} {
			if !strings.Contains(string(r.Body), field) {
				t.Errorf("list lacks %s: %s", field, r.Body)
			}
		}
		// Expired 2FA and no lock, in the list too.
		e.Clock.Advance(181 * 24 * time.Hour)
		ad.Login(admin, servertest.AdminPassword)
		l := list("?q=bob")
		if got := l.Users[0]; got.TFA.State != api.TFAExpired || got.LockedUntil != nil {
			t.Fatalf("bob after 181 days: %+v", got)
		}
		if r := ad.Do("GET", userPath(api.PathAdminUser, 999999), nil); r.Status != 404 || r.Code() != api.CodeNotFound {
			t.Fatalf("unknown user: %d %s", r.Status, r.Body)
		}
		if r := ad.Do("GET", "/api/admin/users/abc", nil); r.Status != 404 {
			t.Fatalf("user abc: %d %s", r.Status, r.Body)
		}
	})
}

// TestAdminCreateUser: a generated password (shown once, ≥ 16 characters)
// or a given one that passes the policy; taken usernames and emails are
// 409; the event names the admin and the reason; the user gets a notice.
func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails, ad := adminServer(t, dbURL)
		newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		before := snapshot(t, e)
		for _, tt := range []struct {
			name  string
			body  any
			code  string
			field string
		}{
			{"no username", map[string]any{"email": "x@example.com"}, api.CodeValidationFailed, "username"},
			{"bad username", map[string]any{"username": "a b"}, api.CodeValidationFailed, "username"},
			{"bad email", map[string]any{"username": "carol", "email": "nope"}, api.CodeValidationFailed, "email"},
			{"short password", map[string]any{"username": "carol", "password": "short"}, api.CodeValidationFailed, "password"},
			{"common password", map[string]any{"username": "carol", "password": "password123"}, api.CodeValidationFailed, "password"},
			{"password is the username", map[string]any{"username": "carolcarol", "password": "CarolCarol"}, api.CodeValidationFailed, "password"},
			{"reason too long", map[string]any{"username": "carol", "reason": strings.Repeat("é", 501)}, api.CodeValidationFailed, "reason"},
			{"taken username", map[string]any{"username": "BOB"}, api.CodeConflict, ""},
			{"taken email", map[string]any{"username": "carol", "email": "Bob@Example.com"}, api.CodeConflict, ""},
			{"unknown field", map[string]any{"username": "carol", "role": "admin"}, api.CodeBadRequest, ""},
		} {
			r := ad.Do("POST", api.PathAdminUsers, tt.body)
			var ae api.Error
			r.JSON(t, &ae)
			if ae.Code != tt.code || (tt.field != "" && ae.Fields[tt.field] == "") {
				t.Errorf("%s: %d %s, want %s on %q", tt.name, r.Status, r.Body, tt.code, tt.field)
			}
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("refused creations changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// A reason of 500 characters is fine; the password is made.
		reason := strings.Repeat("é", 499) + "!"
		var cr api.AdminUserCreated
		r := ad.Must(201, "POST", api.PathAdminUsers, map[string]any{"username": " Carol ", "email": "carol@example.com", "reason": reason})
		r.JSON(t, &cr)
		if len(cr.Password) < 16 || cr.User.Username != "Carol" || cr.User.Email != "carol@example.com" || cr.User.IsAdmin ||
			cr.User.TFA.State != api.TFANotEnabled || cr.User.LastLogin != nil || cr.User.Disabled {
			t.Fatalf("created: %s", r.Body)
		}
		if strings.Contains(e.Logs.String(), cr.Password) {
			t.Fatal("the generated password is in the log")
		}
		var lr api.LoginResponse
		e.NewClient().Login("carol", cr.Password).JSON(t, &lr)
		if lr.Status != api.StatusOK {
			t.Fatalf("sign-in with the generated password: %+v", lr)
		}
		m := mails.Wait(0, smtptest.To("carol@example.com"))
		if !strings.Contains(m.Subject, "account was created") || !strings.Contains(m.Text, "Changed by: admin") ||
			!strings.Contains(m.Text, "Reason: "+reason) || strings.Contains(m.Text, cr.Password) || strings.Contains(m.HTML, cr.Password) {
			t.Fatalf("notice: %s\n%s", m.Subject, m.Text)
		}
		// A given password, an administrator, no email (no mail).
		var dave api.AdminUserCreated
		ad.Must(201, "POST", api.PathAdminUsers, map[string]any{"username": "dave", "password": "dave password 1", "is_admin": true}).JSON(t, &dave)
		if dave.Password != "" || !dave.User.IsAdmin || dave.User.Email != "" {
			t.Fatalf("created with a password: %+v", dave)
		}
		e.NewClient().Login("dave", "dave password 1")
		ev := adminEvents(t, ad, url.Values{"type": {"user_created"}})
		if len(ev.Events) != 2 || ev.Events[0].Username != "dave" || ev.Events[0].Actor != admin || ev.Events[0].Detail != "admin" ||
			ev.Events[1].Username != "Carol" || ev.Events[1].Reason != reason || ev.Events[1].Actor != admin {
			t.Fatalf("events: %+v", ev.Events)
		}
		// Without TOTP, the admin's step-up is a recent sign-in or the
		// current password (current_password: password names the new
		// user's here).
		e.Clock.Advance(6 * time.Minute)
		if r := ad.Do("POST", api.PathAdminUsers, map[string]any{"username": "erin"}); r.Code() != api.CodeStepUpRequired {
			t.Fatalf("without step-up: %d %s", r.Status, r.Body)
		}
		if r := ad.Do("POST", api.PathAdminUsers, map[string]any{"username": "erin", "current_password": "wrong one"}); r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
		}
		ad.Must(201, "POST", api.PathAdminUsers, map[string]any{"username": "erin", "current_password": servertest.AdminPassword})
		e.Server.Notify.Wait()
		if n := len(mails.Mails()); n != 1 {
			t.Fatalf("%d mails, want 1 (dave and erin have no email)", n)
		}
	})
}

// TestAdminPatchUser: only the fields sent change, each recorded with the
// actor and the reason and told to the user in one mail; email
// verification needs an email; a disabled user's right password is 403,
// a wrong one invalid_credentials, and every cookie and bearer token of
// theirs dies at once.
func TestAdminPatchUser(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails, ad := adminServer(t, dbURL)
		ctx := context.Background()
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		noMailID := newUser(t, e, userNamed("nomail", "nomail password"))
		path := userPath(api.PathAdminUser, bobID)
		stored := func(id int64) *db.User {
			u, err := e.Server.Users.ByID(ctx, e.Server.DB, id)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}

		// Email verification needs an email: 400, nothing changes.
		before := snapshot(t, e)
		r := ad.Do("PATCH", userPath(api.PathAdminUser, noMailID), map[string]any{"email_verification": true, "tfa_enforced": true})
		var ae api.Error
		r.JSON(t, &ae)
		if r.Status != 400 || ae.Code != api.CodeValidationFailed || ae.Fields["email_verification"] == "" {
			t.Fatalf("email verification without email: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{`{"disabled":"yes"}`, `{"disabled":true,"reason":"` + strings.Repeat("x", 501) + `"}`, `{"username":"x"}`, ``} {
			if r := ad.Do("PATCH", path, bad); r.Status != 400 {
				t.Errorf("PATCH %s: %d %s", bad, r.Status, r.Body)
			}
		}
		if r := ad.Do("PATCH", userPath(api.PathAdminUser, 999999), map[string]any{"disabled": true}); r.Status != 404 {
			t.Fatalf("unknown user: %d %s", r.Status, r.Body)
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("refused changes changed the database:\nbefore %s\nafter  %s", before, after)
		}

		// Two fields at once: one mail, two events; the rest stays.
		var u api.AdminUser
		ad.Must(200, "PATCH", path, map[string]any{"email_verification": true, "tfa_enforced": true, "reason": "policy"}).JSON(t, &u)
		if !u.EmailVerification || !u.TFAEnforced || !u.TFA.Enforced || u.Disabled || u.IsAdmin {
			t.Fatalf("after PATCH: %+v", u)
		}
		m := mails.Wait(0, smtptest.To("bob@example.com"))
		if !strings.Contains(m.Subject, "changed by an administrator") || !strings.Contains(m.Text, "email login verification") ||
			!strings.Contains(m.Text, "required for your account") || !strings.Contains(m.Text, "Reason: policy") || !strings.Contains(m.Text, "contact your administrator") {
			t.Fatalf("notice: %s\n%s", m.Subject, m.Text)
		}
		ev := adminEvents(t, ad, url.Values{"user_id": {strconv.FormatInt(bobID, 10)}})
		if len(ev.Events) != 2 || ev.Events[0].Type != "settings_changed" || ev.Events[0].Detail != "email_verification_on" ||
			ev.Events[1].Type != "tfa_enforced" || ev.Events[0].Actor != admin || ev.Events[1].Reason != "policy" {
			t.Fatalf("events: %+v", ev.Events)
		}
		// The same values again: nothing changes, no event, no mail.
		ad.Must(200, "PATCH", path, map[string]any{"email_verification": true})
		if ev := adminEvents(t, ad, url.Values{"user_id": {strconv.FormatInt(bobID, 10)}}); len(ev.Events) != 2 {
			t.Fatalf("an unchanged setting was recorded: %+v", ev.Events)
		}
		ad.Must(200, "PATCH", path, map[string]any{"email_verification": false, "tfa_enforced": false})
		if s := stored(bobID); s.EmailVerification || s.TFAEnforced {
			t.Fatalf("stored: %+v", s)
		}

		// Disable: every cookie and bearer token of bob dies.
		b1, b2 := e.NewClient(), e.NewClient()
		b1.Login("bob", "bob password 1")
		b2.Login("bob", "bob password 1")
		tok := token(t, e, bobID)
		adminTok := token(t, e, userID(t, e, admin))
		ad.Must(200, "PATCH", path, map[string]any{"disabled": true, "reason": "left the company"}).JSON(t, &u)
		if !u.Disabled {
			t.Fatalf("after disabling: %+v", u)
		}
		for i, c := range []*servertest.Client{b1, b2} {
			if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
				t.Fatalf("bob's session %d after disabling: %d %s", i, r.Status, r.Body)
			}
		}
		if tokenAlive(t, e, tok) || !tokenAlive(t, e, adminTok) {
			t.Fatal("bob's bearer token survived, or the admin's died")
		}
		if n, _ := e.Server.DB.NewSelect().Model((*db.Session)(nil)).Where("user_id = ?", bobID).Count(ctx); n != 0 {
			t.Fatalf("%d sessions of bob left in the database", n)
		}
		r = e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "bob password 1"})
		if r.Status != 403 || r.Code() != api.CodeForbidden {
			t.Fatalf("disabled user, right password: %d %s", r.Status, r.Body)
		}
		r = e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "wrong password"})
		if r.Status != 401 || r.Code() != api.CodeInvalidCredentials {
			t.Fatalf("disabled user, wrong password: %d %s", r.Status, r.Body)
		}
		// A session made while disabled (it cannot be, but a token row
		// could be written by another path) is refused at lookup.
		if tokenAlive(t, e, token(t, e, bobID)) {
			t.Fatal("a token of a disabled user opened its session")
		}
		ad.Must(200, "PATCH", path, map[string]any{"disabled": false})
		e.NewClient().Login("bob", "bob password 1")
		ev = adminEvents(t, ad, url.Values{"user_id": {strconv.FormatInt(bobID, 10)}, "type": {"user_disabled"}})
		if len(ev.Events) != 1 || ev.Events[0].Reason != "left the company" || ev.Events[0].Actor != admin {
			t.Fatalf("disable event: %+v", ev.Events)
		}
		e.Server.Notify.Wait()
		var subjects []string
		for _, m := range mails.Mails() {
			subjects = append(subjects, m.Subject)
		}
		// Each notice is sent on its own: their order is the mail
		// server's.
		slices.Sort(subjects)
		want := "Twofold: Your account was changed by an administrator|Twofold: Your account was changed by an administrator|" +
			"Twofold: Your account was disabled|Twofold: Your account was enabled again"
		if got := strings.Join(subjects, "|"); got != want {
			t.Fatalf("mails:\n%s\nwant\n%s", got, want)
		}
		// Granting and removing administrator rights.
		ad.Must(200, "PATCH", path, map[string]any{"is_admin": true}).JSON(t, &u)
		if !u.IsAdmin || !stored(bobID).IsAdmin {
			t.Fatal("bob is no admin")
		}
		bobAdmin := e.NewClient()
		bobAdmin.Login("bob", "bob password 1")
		bobAdmin.Must(200, "GET", api.PathAdminUsers, nil)
		ad.Must(200, "PATCH", path, map[string]any{"is_admin": false})
		if r := bobAdmin.Do("GET", api.PathAdminUsers, nil); r.Status != 403 {
			t.Fatalf("demoted admin: %d %s", r.Status, r.Body)
		}
	})
}

// TestLastAdminStays: disabling or demoting the last enabled administrator,
// oneself included, is 409 and changes nothing; a disabled administrator
// does not count.
func TestLastAdminStays(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, _, ad := adminServer(t, dbURL)
		adminID := userID(t, e, admin)
		self := userPath(api.PathAdminUser, adminID)
		before := snapshot(t, e)
		for _, body := range []map[string]any{{"is_admin": false}, {"disabled": true}, {"disabled": true, "is_admin": false}, {"tfa_enforced": true, "is_admin": false}} {
			if r := ad.Do("PATCH", self, body); r.Status != 409 || r.Code() != api.CodeConflict {
				t.Fatalf("removing the last admin %v: %d %s", body, r.Status, r.Body)
			}
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("a refused change changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// A disabled admin is no enabled admin.
		bob := newUser(t, e, account.NewUser{Username: "bob", Password: "bob password 1", IsAdmin: true})
		ad.Must(200, "PATCH", userPath(api.PathAdminUser, bob), map[string]any{"disabled": true})
		if r := ad.Do("PATCH", self, map[string]any{"is_admin": false}); r.Status != 409 {
			t.Fatalf("demoting the last enabled admin beside a disabled one: %d %s", r.Status, r.Body)
		}
		// Demoting a disabled admin removes no enabled one.
		ad.Must(200, "PATCH", userPath(api.PathAdminUser, bob), map[string]any{"is_admin": false})
		// With a second enabled admin, one may go: oneself.
		carol := newUser(t, e, account.NewUser{Username: "carol", Password: "carol password", IsAdmin: true})
		var u api.AdminUser
		ad.Must(200, "PATCH", self, map[string]any{"is_admin": false}).JSON(t, &u)
		if u.IsAdmin {
			t.Fatal("still admin")
		}
		c := e.NewClient()
		c.Login("carol", "carol password")
		if r := c.Do("PATCH", userPath(api.PathAdminUser, carol), map[string]any{"disabled": true}); r.Status != 409 {
			t.Fatalf("carol disabling herself, the last admin: %d %s", r.Status, r.Body)
		}
	})
}

// TestLastAdminRace: two administrators removing each other at the same
// moment (demote or disable) never leave zero enabled administrators:
// exactly one wins; the other is refused (409, or 403 when it lost its own
// rights first).
func TestLastAdminRace(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, _, ad := adminServer(t, dbURL)
		ctx := context.Background()
		adminID := userID(t, e, admin)
		bobID := newUser(t, e, account.NewUser{Username: "bob", Password: "bob password 1", IsAdmin: true})
		bob := e.NewClient()
		for round := 0; round < 20; round++ {
			if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("is_admin = TRUE").Set("disabled = FALSE").
				Where("id IN (?, ?)", adminID, bobID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			// Sign in again: disabling ended the loser's sessions; a
			// password sign-in is a step-up for 5 minutes.
			ad.Login(admin, servertest.AdminPassword)
			bob.Login("bob", "bob password 1")
			field := []string{"is_admin", "disabled"}[round%2]
			value := field == "disabled"
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			for i, c := range []struct {
				client *servertest.Client
				target int64
			}{{ad, bobID}, {bob, adminID}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = c.client.Do("PATCH", userPath(api.PathAdminUser, c.target), map[string]any{field: value}).Status
				}()
			}
			wg.Wait()
			n, err := e.Server.DB.NewSelect().Model((*db.User)(nil)).Where("is_admin").Where("NOT disabled").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ok := 0
			for _, s := range statuses {
				switch s {
				case 200:
					ok++
				case 409, 403, 401:
				default:
					t.Fatalf("round %d: status %d", round, s)
				}
			}
			if n != 1 || ok != 1 {
				t.Fatalf("round %d (%s): %d enabled admins, statuses %v", round, field, n, statuses)
			}
		}
	})
}

// TestAdminReset2FA: after an administrator's reset the user signs in with
// the password alone; the old TOTP secret and backup codes are refused
// once 2FA is on again; every session and token of the user got 401; the
// account's failure counters are gone; email verification stays; one
// notice reaches the user over SMTP; the event carries actor and reason.
func TestAdminReset2FA(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails, ad := adminServer(t, dbURL)
		ctx := context.Background()
		carolID := newUser(t, e, userNamed("carol", "carol password", "carol@example.com"))
		daveID := newUser(t, e, userNamed("dave", "dave password 1", "dave@example.com"))
		carol := e.NewClient()
		carol.Login("carol", "carol password")
		old := enable(t, e, carol, nil)
		other := loginTOTP(t, e, "carol", "carol password")
		other.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, old.secret, e.Clock.Now())})
		e.Clock.Advance(30 * time.Second)
		tok := token(t, e, carolID)
		// A streak of wrong codes and passwords on carol's account.
		p := loginTOTP(t, e, "carol", "carol password")
		for i := 0; i < 4; i++ {
			p.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
			e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "carol", "password": "wrong"})
		}
		// Dave has email verification on: it stays.
		ad.Must(200, "PATCH", userPath(api.PathAdminUser, daveID), map[string]any{"email_verification": true})
		e.Server.Notify.Wait()
		sent := len(mails.Mails())

		var u api.AdminUser
		ad.Must(200, "POST", userPath(api.PathAdminUserReset2FA, carolID), map[string]any{"reason": "lost her phone"}).JSON(t, &u)
		if u.TFA.State != api.TFANotEnabled || u.TFA.BackupCodesRemaining != 0 || u.LockedUntil != nil {
			t.Fatalf("after reset: %+v", u)
		}
		for i, c := range []*servertest.Client{carol, other} {
			if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
				t.Fatalf("carol's session %d after reset: %d %s", i, r.Status, r.Body)
			}
		}
		if r := p.Do("POST", api.PathVerify, map[string]string{"code": code(t, old.secret, e.Clock.Now())}); r.Code() != api.CodeLoginExpired {
			t.Fatalf("carol's pending sign-in after reset: %d %s", r.Status, r.Body)
		}
		if tokenAlive(t, e, tok) {
			t.Fatal("carol's bearer token survived the reset")
		}
		for _, m := range []any{(*db.TOTPSecret)(nil), (*db.BackupCode)(nil)} {
			if n, _ := e.Server.DB.NewSelect().Model(m).Where("user_id = ?", carolID).Count(ctx); n != 0 {
				t.Fatalf("%T rows of carol left: %d", m, n)
			}
		}
		var left []db.Throttle
		e.Server.DB.NewSelect().Model(&left).Where("key LIKE ? OR key LIKE ?", "%carol%", "2fa:u:"+strconv.FormatInt(carolID, 10)).Scan(ctx)
		for _, r := range left {
			if r.Failures > 0 {
				t.Fatalf("counter %s still counts %d failures", r.Key, r.Failures)
			}
		}
		ad.Must(200, "POST", userPath(api.PathAdminUserReset2FA, daveID), nil)
		if d, _ := e.Server.Users.ByID(ctx, e.Server.DB, daveID); !d.EmailVerification {
			t.Fatal("reset turned dave's email verification off")
		}

		// The password alone signs carol in.
		carol = e.NewClient()
		var lr api.LoginResponse
		carol.Login("carol", "carol password").JSON(t, &lr)
		if lr.Status != api.StatusOK {
			t.Fatalf("sign-in after reset: %+v", lr)
		}
		// With a new secret, the old secret's codes and the old backup
		// codes are refused.
		fresh := enable(t, e, carol, nil)
		for _, c := range []string{code(t, old.secret, e.Clock.Now()), old.codes[1], old.codes[2]} {
			p := loginTOTP(t, e, "carol", "carol password")
			if r := p.Do("POST", api.PathVerify, map[string]string{"code": c}); r.Status != 401 || r.Code() != api.CodeInvalidCode {
				t.Fatalf("old code %q after reset: %d %s", c, r.Status, r.Body)
			}
			p.Must(200, "POST", api.PathVerify, map[string]string{"code": fresh.codes[0]})
			fresh.codes = fresh.codes[1:]
		}

		// One notice to carol (and one to dave).
		e.Server.Notify.Wait()
		var toCarol []smtptest.Mail
		for _, m := range mails.Mails()[sent:] {
			if smtptest.To("carol@example.com")(m) && strings.Contains(m.Subject, "reset") {
				toCarol = append(toCarol, m)
			}
		}
		if len(toCarol) != 1 {
			t.Fatalf("%d reset notices to carol", len(toCarol))
		}
		m := toCarol[0]
		if !strings.Contains(m.Subject, "two-factor authentication was reset") || !strings.Contains(m.Text, "Changed by: admin") ||
			!strings.Contains(m.Text, "Reason: lost her phone") || !strings.Contains(m.HTML, "lost her phone") {
			t.Fatalf("reset notice: %s\n%s", m.Subject, m.Text)
		}
		ev := adminEvents(t, ad, url.Values{"user_id": {strconv.FormatInt(carolID, 10)}, "type": {"tfa_reset"}})
		if len(ev.Events) != 1 || ev.Events[0].Actor != admin || ev.Events[0].Reason != "lost her phone" || ev.Events[0].Username != "carol" || ev.Events[0].IP != "127.0.0.1" {
			t.Fatalf("reset event: %+v", ev.Events)
		}
	})
}

// TestAdminResetsOwn2FA: an administrator resetting their own 2FA or
// signing themselves out keeps the current session; the others end.
func TestAdminResetsOwn2FA(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, _, ad := adminServer(t, dbURL)
		adminID := userID(t, e, admin)
		en := enable(t, e, ad, nil)
		other := loginTOTP(t, e, admin, servertest.AdminPassword)
		other.Must(200, "POST", api.PathVerify, map[string]string{"code": en.codes[0]})
		tok := token(t, e, adminID)
		ad.Must(200, "POST", userPath(api.PathAdminUserReset2FA, adminID), map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		ad.Must(200, "GET", api.PathAccount, nil)
		if r := other.Do("GET", api.PathAccount, nil); r.Status != 401 || tokenAlive(t, e, tok) {
			t.Fatalf("the admin's other session after their own reset: %d", r.Status)
		}
		other.Login(admin, servertest.AdminPassword)
		tok = token(t, e, adminID)
		ad.Must(204, "POST", userPath(api.PathAdminUserSignOut, adminID), nil)
		ad.Must(200, "GET", api.PathAccount, nil)
		if r := other.Do("GET", api.PathAccount, nil); r.Status != 401 || tokenAlive(t, e, tok) {
			t.Fatalf("the admin's other session after signing themselves out: %d", r.Status)
		}
	})
}

// TestAdminSignOut: every cookie and bearer token of the user → 401; other
// users keep theirs; the user gets a notice.
func TestAdminSignOut(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails, ad := adminServer(t, dbURL)
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		newUser(t, e, userNamed("carol", "carol password"))
		b1, b2, carol := e.NewClient(), e.NewClient(), e.NewClient()
		b1.Login("bob", "bob password 1")
		b2.Login("bob", "bob password 1")
		carol.Login("carol", "carol password")
		tok, carolTok := token(t, e, bobID), token(t, e, userID(t, e, "carol"))
		ad.Must(204, "POST", userPath(api.PathAdminUserSignOut, bobID), map[string]string{"reason": "stolen laptop"})
		for i, c := range []*servertest.Client{b1, b2} {
			if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 {
				t.Fatalf("bob's session %d: %d", i, r.Status)
			}
		}
		if tokenAlive(t, e, tok) || !tokenAlive(t, e, carolTok) {
			t.Fatal("bob's token alive, or carol's dead")
		}
		carol.Must(200, "GET", api.PathAccount, nil)
		ad.Must(200, "GET", api.PathAccount, nil)
		m := mails.Wait(0, smtptest.To("bob@example.com"))
		if !strings.Contains(m.Subject, "signed out everywhere") || !strings.Contains(m.Text, "Reason: stolen laptop") {
			t.Fatalf("notice: %s\n%s", m.Subject, m.Text)
		}
		// Bob signs in again at once.
		b1.Login("bob", "bob password 1")
		if r := ad.Do("POST", userPath(api.PathAdminUserSignOut, 999999), nil); r.Status != 404 {
			t.Fatalf("unknown user: %d", r.Status)
		}
	})
}

// TestAdminUnlock: ten wrong passwords lock the account (and show in
// locked_until); the administrator's unlock lets the right password in at
// once. The same for ten wrong codes.
func TestAdminUnlock(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails, ad := adminServer(t, dbURL)
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		path := userPath(api.PathAdminUser, bobID)
		for i := 0; i < 10; i++ {
			if r := e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "wrong"}); r.Status != 401 {
				t.Fatalf("wrong password %d: %d", i, r.Status)
			}
		}
		if r := e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "bob password 1"}); r.Status != 429 {
			t.Fatalf("right password after ten wrong ones: %d %s", r.Status, r.Body)
		}
		var u api.AdminUser
		ad.Must(200, "GET", path, nil).JSON(t, &u)
		if u.LockedUntil != nil {
			// What holds here is the lock of (bob, this IP), not the
			// account's (per username after 100, or the second factor's:
			// ratelimit.AccountLocks), which locked_until shows.
			t.Fatalf("locked_until after ten wrong passwords from one IP: %v", u.LockedUntil)
		}
		ad.Must(200, "POST", userPath(api.PathAdminUserUnlock, bobID), map[string]string{"reason": "called the help desk"}).JSON(t, &u)
		if u.LockedUntil != nil {
			t.Fatalf("locked after unlock: %v", u.LockedUntil)
		}
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")
		m := mails.Wait(0, smtptest.To("bob@example.com"))
		if !strings.Contains(m.Subject, "unlocked") || !strings.Contains(m.Text, "called the help desk") {
			t.Fatalf("notice: %s\n%s", m.Subject, m.Text)
		}

		// Ten wrong codes lock the second factor: locked_until shows it.
		en := enable(t, e, bob, nil)
		p := loginTOTP(t, e, "bob", "bob password 1")
		for i := 0; i < 10; i++ {
			p.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
		}
		if r := p.Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())}); r.Status != 429 {
			t.Fatalf("right code after ten wrong ones: %d %s", r.Status, r.Body)
		}
		ad.Must(200, "GET", path, nil).JSON(t, &u)
		if u.LockedUntil == nil || !u.LockedUntil.Equal(e.Clock.Now().Add(30*time.Second)) {
			t.Fatalf("locked_until of a locked second factor: %v", u.LockedUntil)
		}
		ad.Must(200, "POST", userPath(api.PathAdminUserUnlock, bobID), nil).JSON(t, &u)
		if u.LockedUntil != nil {
			t.Fatalf("locked after unlock: %v", u.LockedUntil)
		}
		p.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
		ev := adminEvents(t, ad, url.Values{"type": {"unlocked"}})
		if len(ev.Events) != 2 || ev.Events[1].Reason != "called the help desk" || ev.Events[0].Actor != admin {
			t.Fatalf("unlock events: %+v", ev.Events)
		}
	})
}

// TestAdminEvents: every user's events, newest first, paged by id with
// next_before until null, filtered by user and type; limit is bounded.
func TestAdminEvents(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, _, ad := adminServer(t, dbURL)
		bobID := newUser(t, e, userNamed("bob", "bob password 1"))
		for i := 0; i < 3; i++ {
			e.NewClient().Login("bob", "bob password 1")
			ad.Must(200, "POST", userPath(api.PathAdminUserUnlock, bobID), map[string]string{"reason": "r" + strconv.Itoa(i)})
		}
		all := adminEvents(t, ad, url.Values{})
		if len(all.Events) != 7 || all.NextBefore != nil { // the admin's login, bob's 3 logins, 3 unlocks
			t.Fatalf("all events: %+v", all)
		}
		for i := 1; i < len(all.Events); i++ {
			if all.Events[i].ID >= all.Events[i-1].ID {
				t.Fatalf("not newest first: %+v", all.Events)
			}
		}
		// Pages of 2 give the same events.
		var paged []api.AdminEvent
		q := url.Values{"limit": {"2"}}
		for pages := 0; ; pages++ {
			if pages > 4 {
				t.Fatal("paging does not end")
			}
			ev := adminEvents(t, ad, q)
			paged = append(paged, ev.Events...)
			if ev.NextBefore == nil {
				break
			}
			if len(ev.Events) != 2 || *ev.NextBefore != ev.Events[1].ID {
				t.Fatalf("page: %+v", ev)
			}
			q.Set("before", strconv.FormatInt(*ev.NextBefore, 10))
		}
		a, _ := json.Marshal(all.Events)
		b, _ := json.Marshal(paged)
		if string(a) != string(b) {
			t.Fatalf("paged:\n%s\nall:\n%s", b, a)
		}
		ev := adminEvents(t, ad, url.Values{"user_id": {strconv.FormatInt(bobID, 10)}, "type": {"login"}})
		if len(ev.Events) != 3 || ev.Events[0].Username != "bob" || ev.Events[0].Actor != "" {
			t.Fatalf("bob's logins: %+v", ev.Events)
		}
		ev = adminEvents(t, ad, url.Values{"type": {"unlocked"}, "limit": {"1"}})
		if len(ev.Events) != 1 || ev.Events[0].Reason != "r2" || ev.Events[0].Actor != admin || ev.NextBefore == nil {
			t.Fatalf("newest unlock: %+v", ev)
		}
		if ev := adminEvents(t, ad, url.Values{"user_id": {"999999"}}); len(ev.Events) != 0 || ev.NextBefore != nil {
			t.Fatalf("unknown user: %+v", ev)
		}
		if r := ad.Do("GET", api.PathAdminEvents+"?limit=200", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"next_before":null`) {
			t.Fatalf("limit=200: %d %s", r.Status, r.Body)
		}
		for _, q := range []string{"limit=201", "limit=0", "limit=x", "before=-1", "user_id=abc", "type=" + strings.Repeat("t", 65)} {
			if r := ad.Do("GET", api.PathAdminEvents+"?"+q, nil); r.Status != 400 || r.Code() != api.CodeValidationFailed {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}
	})
}

// enforcedJourney runs the life of a user who must use TOTP and has none:
// after the password only enrolment works; enabling TOTP makes the
// session full; 2FA cannot be turned off; renewing works; after an
// administrator's reset the next sign-in asks for enrolment again.
func enforcedJourney(t *testing.T, e *servertest.Env, username, password string) {
	t.Helper()
	ctx := context.Background()
	c := e.NewClient()
	var lr api.LoginResponse
	c.Login(username, password).JSON(t, &lr)
	if lr.Status != api.StatusEnroll || lr.User != nil {
		t.Fatalf("%s: login: %+v", username, lr)
	}
	var acc api.Account
	c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
	if !acc.TFA.Enforced || acc.Session != db.LevelEnroll || acc.TFA.State != api.TFANotEnabled {
		t.Fatalf("%s: enrolment account: %+v", username, acc)
	}
	for _, p := range []struct{ method, path string }{
		{"GET", api.PathEvents}, {"GET", api.PathSessions}, {"PUT", api.PathAccount}, {"POST", api.PathTOTPDisable},
		{"POST", api.PathBackupCodes}, {"POST", api.PathAccountVerify}, {"GET", api.PathAdminUsers}, {"GET", api.PathAdminEvents},
	} {
		if r := c.Do(p.method, p.path, `{}`); r.Status != 403 || r.Code() != api.CodeEnrollmentRequired {
			t.Errorf("%s: %s %s in an enrolment session: %d %s", username, p.method, p.path, r.Status, r.Body)
		}
	}
	en := enable(t, e, c, nil)
	c.Must(200, "GET", api.PathEvents, nil)
	c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
	if acc.Session != db.LevelFull || acc.TFA.State != api.TFAEnabled || !acc.TFA.Enforced {
		t.Fatalf("%s: after enrolling: %+v", username, acc)
	}
	if r := c.Do("POST", api.PathTOTPDisable, map[string]string{"code": code(t, en.secret, e.Clock.Now())}); r.Status != 403 || r.Code() != api.CodeForbidden {
		t.Fatalf("%s: disable while enforced: %d %s", username, r.Status, r.Body)
	}
	// Renewing works (the refused disable consumed no code).
	var setup api.TOTPSetup
	c.Must(200, "POST", api.PathTOTPSetup, map[string]string{"code": code(t, en.secret, e.Clock.Now())}).JSON(t, &setup)
	c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, e.Clock.Now())})
	e.Clock.Advance(30 * time.Second)
	// An administrator's reset: enrolment again at the next sign-in.
	err := e.Server.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		users, err := e.Server.Admin.Lock(ctx, tx, false, userID(t, e, username))
		if err != nil {
			return err
		}
		return e.Server.Admin.ResetTFA(ctx, tx, users[0], 0, audit.Origin{Actor: "test"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Do("GET", api.PathAccount, nil); r.Status != 401 {
		t.Fatalf("%s: session after the reset: %d", username, r.Status)
	}
	e.NewClient().Login(username, password).JSON(t, &lr)
	if lr.Status != api.StatusEnroll {
		t.Fatalf("%s: login after the reset: %+v", username, lr)
	}
}

// TestEnforced2FA: 2FA enforced per user (an administrator's PATCH) or by
// role (TWOFOLD_ENFORCE_2FA=all, =admins); Account.tfa.enforced and
// AdminUser.tfa.enforced are true for either cause.
func TestEnforced2FA(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		enforce string
		run     func(t *testing.T, e *servertest.Env, mails *smtptest.Server, ad *servertest.Client)
	}{
		{"per user", "", func(t *testing.T, e *servertest.Env, _ *smtptest.Server, ad *servertest.Client) {
			bobID := newUser(t, e, userNamed("bob", "bob password 1"))
			var lr api.LoginResponse
			e.NewClient().Login("bob", "bob password 1").JSON(t, &lr)
			if lr.Status != api.StatusOK {
				t.Fatalf("before enforcement: %+v", lr)
			}
			var u api.AdminUser
			ad.Must(200, "PATCH", userPath(api.PathAdminUser, bobID), map[string]any{"tfa_enforced": true}).JSON(t, &u)
			if !u.TFAEnforced || !u.TFA.Enforced {
				t.Fatalf("after PATCH: %+v", u)
			}
			enforcedJourney(t, e, "bob", "bob password 1")
			// The administrator is not enforced.
			e.NewClient().Login(admin, servertest.AdminPassword).JSON(t, &lr)
			if lr.Status != api.StatusOK {
				t.Fatalf("admin: %+v", lr)
			}
		}},
		{"all", "all", func(t *testing.T, e *servertest.Env, mails *smtptest.Server, _ *servertest.Client) {
			newUser(t, e, userNamed("bob", "bob password 1"))
			enforcedJourney(t, e, "bob", "bob password 1")
			enforcedJourney(t, e, admin, servertest.AdminPassword)
			// With email verification, enrolment comes after the code.
			newUser(t, e, userNamed("dave", "dave password 1", "dave@example.com"))
			if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("email_verification = TRUE").Where("username_key = 'dave'").Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			c := e.NewClient()
			var lr api.LoginResponse
			c.Login("dave", "dave password 1").JSON(t, &lr)
			if lr.Status != api.StatusVerify || lr.Method != api.MethodEmail {
				t.Fatalf("dave: %+v", lr)
			}
			got := mails.Wait(0, smtptest.To("dave@example.com")).Code()
			c.Must(200, "POST", api.PathVerify, map[string]string{"code": got}).JSON(t, &lr)
			if lr.Status != api.StatusEnroll {
				t.Fatalf("dave after the email code: %+v", lr)
			}
		}},
		{"admins", "admins", func(t *testing.T, e *servertest.Env, _ *smtptest.Server, _ *servertest.Client) {
			newUser(t, e, userNamed("bob", "bob password 1"))
			var lr api.LoginResponse
			bob := e.NewClient()
			bob.Login("bob", "bob password 1").JSON(t, &lr)
			var acc api.Account
			bob.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
			if lr.Status != api.StatusOK || acc.TFA.Enforced {
				t.Fatalf("bob, no admin: %+v %+v", lr, acc.TFA)
			}
			enforcedJourney(t, e, admin, servertest.AdminPassword)
			// Made an administrator, bob must enrol at his next sign-in.
			if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("is_admin = TRUE").Where("username_key = 'bob'").Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			enforcedJourney(t, e, "bob", "bob password 1")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testdb.Engines(t, func(t *testing.T, dbURL string) {
				vars := []string{}
				if tc.enforce != "" {
					vars = append(vars, config.EnvEnforce2FA, tc.enforce)
				}
				e, mails, ad := adminServer(t, dbURL, vars...)
				tc.run(t, e, mails, ad)
			})
		})
	}
}

// TestAdminFaultsLeaveNothingHalfDone: a database fault at any write of an
// administrator's change answers 503 and leaves the database as it was
// (the step-up code unconsumed, no event, no session ended); the same
// request then succeeds.
func TestAdminFaultsLeaveNothingHalfDone(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		probe := &testdb.Probe{}
		e := servertest.Start(t, dbURL, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		ad := e.NewClient()
		ad.Login(admin, servertest.AdminPassword)
		en := enable(t, e, ad, nil)
		bobID := newUser(t, e, userNamed("bob", "bob password 1", "bob@example.com"))
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")
		enable(t, e, bob, nil)
		bob = loginTOTP(t, e, "bob", "bob password 1")
		for i := 0; i < 3; i++ {
			bob.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
		}
		token(t, e, bobID)
		for _, c := range []struct {
			name, method, path string
			body               map[string]any
			status             int
		}{
			{"create", "POST", api.PathAdminUsers, map[string]any{"username": "carol", "email": "carol@example.com", "reason": "r"}, 201},
			{"disable", "PATCH", userPath(api.PathAdminUser, bobID), map[string]any{"disabled": true, "tfa_enforced": true, "reason": "r"}, 200},
			{"enable", "PATCH", userPath(api.PathAdminUser, bobID), map[string]any{"disabled": false}, 200},
			{"unlock", "POST", userPath(api.PathAdminUserUnlock, bobID), map[string]any{"reason": "r"}, 200},
			{"reset 2FA", "POST", userPath(api.PathAdminUserReset2FA, bobID), map[string]any{"reason": "r"}, 200},
			{"sign out", "POST", userPath(api.PathAdminUserSignOut, bobID), map[string]any{"reason": "r"}, 204},
		} {
			// No elevation left: the code is checked and consumed in
			// the change's transaction.
			e.Clock.Advance(6 * time.Minute)
			ad.Must(200, "GET", api.PathAccount, nil)
			before := snapshot(t, e)
			c.body["code"] = code(t, en.secret, e.Clock.Now())
			r := faultEach(t, e, probe, func() *servertest.Response { return ad.Do(c.method, c.path, c.body) }, func(k int) {
				if after := snapshot(t, e); after != before {
					t.Fatalf("%s, fault at write %d: the database changed:\nbefore %s\nafter  %s", c.name, k, before, after)
				}
			})
			if r.Status != c.status {
				t.Fatalf("%s after the faults: %d %s", c.name, r.Status, r.Body)
			}
			if snapshot(t, e) == before {
				t.Fatalf("%s changed nothing", c.name)
			}
		}
	})
}
