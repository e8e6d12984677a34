package cli

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/session"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// cliEvents returns the types of the events of username made with the
// command line, oldest first.
func cliEvents(t *testing.T, e *servertest.Env, username string) []string {
	t.Helper()
	var events []db.Event
	err := e.Server.DB.NewSelect().Model(&events).
		Where("user_id = (SELECT id FROM users WHERE username_key = ?)", username).
		Where("actor = ?", audit.ActorCLI).Order("id").Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type+ev.Detail)
	}
	return types
}

// stored reads a user from the database.
func stored(t *testing.T, e *servertest.Env, username string) *db.User {
	t.Helper()
	u, err := e.Server.Users.ByUsername(context.Background(), e.Server.DB, username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// bearer makes a RustDesk bearer token of username.
func bearer(t *testing.T, e *servertest.Env, username string) string {
	t.Helper()
	tok, _, err := e.Server.Sessions.Create(context.Background(), e.Server.DB, session.Spec{
		UserID: stored(t, e, username).ID, Level: db.LevelFull, Kind: db.KindRustDesk, Device: "laptop",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func alive(t *testing.T, e *servertest.Env, tok string) bool {
	t.Helper()
	_, err := e.Server.Sessions.Lookup(context.Background(), tok)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		t.Fatal(err)
	}
	return err == nil
}

// TestUserCommands runs every user command of the command line against a
// running server's database, on both engines: each change is recorded
// with the actor cli, the last enabled administrator stays, an unknown user
// is a non-zero exit with a clear message.
func TestUserCommands(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
		v := cliVars(dbURL, dir)
		ctx := context.Background()
		cli := func(stdin string, args ...string) run {
			t.Helper()
			return runCLI(t, v, stdin, args...)
		}
		if r := cli("bob password 1\n", "user", "create", "--username", "bob", "--email", "bob@example.com"); r.code != 0 {
			t.Fatalf("user create: %+v", r)
		}
		// The admin API's rules: an address that is not one is refused,
		// and nothing is created.
		if r := cli("carl password 1\n", "user", "create", "--username", "carl", "--email", "notanemail"); r.code == 0 ||
			!strings.Contains(r.stderr, `--email "notanemail" refused: Enter a valid email address.`) {
			t.Fatalf("user create with a bad email: %+v", r)
		}
		if n, err := e.Server.DB.NewSelect().Model((*db.User)(nil)).Where("username_key = 'carl'").Count(ctx); err != nil || n != 0 {
			t.Fatalf("carl after a refused create: %d %v", n, err)
		}
		enableTOTP(t, e)

		// user list: a table.
		r := cli("", "user", "list")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != 3 {
			t.Fatalf("user list: %+v", r)
		}
		for i, want := range []string{
			`^USERNAME\s+EMAIL\s+ADMIN\s+DISABLED\s+2FA\s+LAST SIGN-IN$`,
			`^admin\s+-\s+yes\s+no\s+enabled\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`,
			`^bob\s+bob@example.com\s+no\s+no\s+not_enabled\s+never$`,
		} {
			if !regexp.MustCompile(want).MatchString(lines[i]) {
				t.Fatalf("user list line %d: %q, want %s", i, lines[i], want)
			}
		}

		// user unlock: ten wrong passwords lock bob; unlock lets him in.
		for i := 0; i < 10; i++ {
			e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "wrong"})
		}
		if r := e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "bob password 1"}); r.Status != 429 {
			t.Fatalf("bob not locked: %d", r.Status)
		}
		if r := cli("", "user", "unlock", "BOB"); r.code != 0 || !strings.Contains(r.stdout, "bob unlocked") {
			t.Fatalf("user unlock: %+v", r)
		}
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")

		// set-admin and disable: the last enabled administrator stays.
		for _, args := range [][]string{{"set-admin", "admin", "false"}, {"disable", "admin", "true"}} {
			r := cli("", append([]string{"user"}, args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, "last enabled administrator") {
				t.Fatalf("user %v, the last admin: %+v", args, r)
			}
		}
		if u := stored(t, e, "admin"); !u.IsAdmin || u.Disabled {
			t.Fatalf("the last admin changed: %+v", u)
		}
		if r := cli("", "user", "set-admin", "bob", "true"); r.code != 0 || !stored(t, e, "bob").IsAdmin {
			t.Fatalf("set-admin bob true: %+v", r)
		}
		bob.Must(200, "GET", api.PathAdminUsers, nil)
		if r := cli("", "user", "set-admin", "admin", "false"); r.code != 0 || stored(t, e, "admin").IsAdmin {
			t.Fatalf("set-admin admin false beside bob: %+v", r)
		}
		if r := cli("", "user", "disable", "bob", "true"); r.code == 0 || !strings.Contains(r.stderr, "last enabled administrator") {
			t.Fatalf("disabling bob, now the last admin: %+v", r)
		}
		if r := cli("", "user", "set-admin", "admin", "true"); r.code != 0 {
			t.Fatalf("set-admin admin true: %+v", r)
		}

		// disable: bob's cookies and tokens die, his password is refused.
		tok := bearer(t, e, "bob")
		if r := cli("", "user", "disable", "bob", "true"); r.code != 0 || !stored(t, e, "bob").Disabled {
			t.Fatalf("disable bob: %+v", r)
		}
		if r := bob.Do("GET", api.PathAccount, nil); r.Status != 401 || alive(t, e, tok) {
			t.Fatalf("bob's session after disable: %d", r.Status)
		}
		if r := e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "bob password 1"}); r.Status != 403 {
			t.Fatalf("disabled bob's right password: %d %s", r.Status, r.Body)
		}
		if r := cli("", "user", "disable", "bob", "false"); r.code != 0 {
			t.Fatalf("enable bob: %+v", r)
		}
		bob.Login("bob", "bob password 1")

		// set-password: the policy, then the new password; sessions end.
		tok = bearer(t, e, "bob")
		if r := cli("password\n", "user", "set-password", "bob"); r.code == 0 || !strings.Contains(r.stderr, "not_common") {
			t.Fatalf("common password: %+v", r)
		}
		if r := cli("", "user", "set-password", "bob"); r.code == 0 || !strings.Contains(r.stderr, "standard input") {
			t.Fatalf("no password: %+v", r)
		}
		bob.Must(200, "GET", api.PathAccount, nil)
		if r := cli("a new bob secret\n", "user", "set-password", "bob"); r.code != 0 {
			t.Fatalf("set-password: %+v", r)
		}
		if r := bob.Do("GET", api.PathAccount, nil); r.Status != 401 || alive(t, e, tok) {
			t.Fatalf("bob's session after set-password: %d", r.Status)
		}
		if r := e.NewClient().Do("POST", api.PathLogin, map[string]string{"username": "bob", "password": "bob password 1"}); r.Status != 401 {
			t.Fatalf("old password: %d", r.Status)
		}
		e.NewClient().Login("bob", "a new bob secret")

		// reset-email-verification and reset-2fa go through the same
		// service and are recorded too.
		if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("email_verification = TRUE").Where("username_key = 'bob'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if r := cli("", "user", "reset-email-verification", "bob"); r.code != 0 || stored(t, e, "bob").EmailVerification {
			t.Fatalf("reset-email-verification: %+v", r)
		}
		if r := cli("", "user", "reset-2fa", "bob"); r.code != 0 {
			t.Fatalf("reset-2fa: %+v", r)
		}

		want := "user_created|unlocked|admin_granted|user_disabled|user_enabled|password_changed|settings_changedemail_verification_off|tfa_reset"
		if got := strings.Join(cliEvents(t, e, "bob"), "|"); got != want {
			t.Fatalf("bob's cli events:\n%s\nwant\n%s", got, want)
		}
		if got := strings.Join(cliEvents(t, e, "admin"), "|"); got != "admin_revoked|admin_granted" {
			t.Fatalf("admin's cli events: %s", got)
		}

		// Unknown users and bad arguments: non-zero, with a message.
		for _, args := range [][]string{
			{"unlock", "nobody"}, {"set-admin", "nobody", "true"}, {"disable", "nobody", "false"},
			{"set-password", "nobody"}, {"reset-2fa", "nobody"}, {"reset-email-verification", "nobody"},
		} {
			r := cli("a fine password\n", append([]string{"user"}, args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, `no user "nobody"`) {
				t.Errorf("user %v: %+v", args, r)
			}
		}
		for _, tt := range []struct {
			args []string
			msg  string
		}{
			{[]string{"set-admin", "bob", "maybe"}, "give true or false"},
			{[]string{"disable", "bob"}, "usage: twofold user disable USERNAME true|false"},
			{[]string{"unlock"}, "usage: twofold user unlock USERNAME"},
			{[]string{"list", "extra"}, "takes no arguments"},
			{[]string{"frobnicate"}, "unknown command"},
		} {
			if r := cli("", append([]string{"user"}, tt.args...)...); r.code == 0 || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("user %v: %+v, want %q", tt.args, r, tt.msg)
			}
		}

		// Enforcement by role shows in the list (TWOFOLD_ENFORCE_2FA).
		v[`TWOFOLD_ENFORCE_2FA`] = "admins"
		r = cli("", "user", "list")
		if !regexp.MustCompile(`(?m)^admin .* enabled \(enforced\) `).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^bob .* yes +no +not_enabled \(enforced\) +\d{4}-`).MatchString(r.stdout) {
			t.Fatalf("user list with TWOFOLD_ENFORCE_2FA=admins:\n%s", r.stdout)
		}
	})
}

// TestUserListPages: more users than one page of the service.
func TestUserListPages(t *testing.T) {
	dbURL := testdb.SQLite(t)
	dir := t.TempDir()
	e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
	ctx := context.Background()
	hash, err := e.Server.Users.HashPassword(ctx, "x", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < api.AdminMaxPerPage+5; i++ {
		if _, err := e.Server.Users.CreateHashed(ctx, e.Server.DB, account.NewUser{Username: "user" + strconv.Itoa(i)}, hash); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, cliVars(dbURL, dir), "", "user", "list")
	if n := strings.Count(r.stdout, "\n"); r.code != 0 || n != api.AdminMaxPerPage+7 {
		t.Fatalf("user list: %d lines, want %d (header, admin, %d users)", n, api.AdminMaxPerPage+7, api.AdminMaxPerPage+5)
	}
}
