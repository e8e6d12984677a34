package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/session"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// TestGetAccountAtMostTwoStatements: GET /api/account runs at most two
// SQL statements (the session, its user and the second-factor state in
// one; the last-seen refresh when it is due) in every state of an
// account, and answers what the database holds.
func TestGetAccountAtMostTwoStatements(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e := servertest.Start(t, url, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		ctx := context.Background()
		if _, err := e.Server.Users.Create(ctx, e.Server.DB, userNamed("bob", "bob password 1")); err != nil {
			t.Fatal(err)
		}
		ad := e.NewClient()
		ad.Login(admin, servertest.AdminPassword)
		en := enable(t, e, ad, nil)
		// A sign-in with a backup code leaves five.
		full := loginTOTP(t, e, admin, servertest.AdminPassword)
		full.Must(200, "POST", api.PathVerify, map[string]string{"code": en.codes[0]})
		bob := e.NewClient()
		bob.Login("bob", "bob password 1")

		get := func(t *testing.T, c *servertest.Client) (api.Account, []string) {
			t.Helper()
			probe.Reset(0)
			var acc api.Account
			c.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
			st := probe.Statements()
			if len(st) > 2 {
				t.Fatalf("GET /api/account: %d statements, want at most 2:\n%s", len(st), strings.Join(st, "\n"))
			}
			return acc, st
		}

		t.Run("without TOTP", func(t *testing.T) {
			acc, _ := get(t, bob)
			if acc.User.Username != "bob" || acc.TFA.State != api.TFANotEnabled || acc.TFA.BackupCodesRemaining != 0 ||
				acc.TFA.Enforced || acc.TFA.EnabledAt != nil || acc.Session != db.LevelFull {
				t.Fatalf("got %+v", acc)
			}
		})
		t.Run("with TOTP and five backup codes", func(t *testing.T) {
			acc, _ := get(t, full)
			if acc.TFA.State != api.TFAEnabled || acc.TFA.BackupCodesRemaining != 5 || acc.TFA.EnabledAt == nil ||
				acc.TFA.ExpiresAt == nil || acc.ElevatedUntil != nil {
				t.Fatalf("got %+v", acc)
			}
		})
		t.Run("last seen refreshed", func(t *testing.T) {
			e.Clock.Advance(2 * time.Minute)
			acc, st := get(t, full)
			if len(st) != 2 || !strings.HasPrefix(strings.ToUpper(st[1]), "UPDATE") {
				t.Fatalf("want the lookup and the last-seen refresh, got:\n%s", strings.Join(st, "\n"))
			}
			if acc.TFA.State != api.TFAEnabled || acc.TFA.BackupCodesRemaining != 5 {
				t.Fatalf("got %+v", acc)
			}
		})
		t.Run("elevated", func(t *testing.T) {
			e.Clock.Advance(30 * time.Second)
			full.Must(200, "POST", api.PathAccountVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
			acc, _ := get(t, full)
			if acc.ElevatedUntil == nil || !acc.ElevatedUntil.After(e.Clock.Now()) {
				t.Fatalf("got %+v", acc)
			}
		})
		t.Run("enrolment session", func(t *testing.T) {
			if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("tfa_enforced = ?", true).
				Where("username_key = ?", "bob").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			c := e.NewClient()
			var lr api.LoginResponse
			c.Login("bob", "bob password 1").JSON(t, &lr)
			if lr.Status != api.StatusEnroll {
				t.Fatalf("login: %+v", lr)
			}
			acc, _ := get(t, c)
			if acc.TFA.State != api.TFANotEnabled || !acc.TFA.Enforced || acc.Session != db.LevelEnroll {
				t.Fatalf("got %+v", acc)
			}
		})
	})
}

// BenchmarkFullSignIn measures a full sign-in (password and TOTP code)
// through the real router with a cheap hash, so that a CPU profile shows
// what a sign-in costs besides argon2 (make bench-go; -cpuprofile).
func BenchmarkFullSignIn(b *testing.B) {
	e := servertest.Start(b, testdb.SQLite(b), servertest.Options{Vars: map[string]string{
		config.EnvArgon2: "m=64,t=1,p=1", config.EnvBenchWeakArgon2: "1"}})
	c := e.NewClient()
	c.Login(admin, servertest.AdminPassword)
	var setup api.TOTPSetup
	c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(b, &setup)
	c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(b, setup.Secret, e.Clock.Now())})
	b.ResetTimer()
	for b.Loop() {
		e.Clock.Advance(30 * time.Second)
		v := e.NewClient()
		v.Login(admin, servertest.AdminPassword)
		v.Must(200, "POST", api.PathVerify, map[string]string{"code": code(b, setup.Secret, e.Clock.Now())})
	}
}

// maxSignInStatements bounds the SQL statements of a full TOTP sign-in
// (password step and code step together, without BEGIN and COMMIT), by
// engine: on PostgreSQL each is a round trip, and the password step's
// writes are one statement (signin's startAtOnce), so are the code step's
// last three (promoteAtOnce), and its lock and the TOTP secret's read
// (totp.LoadLocked); on SQLite each is parsed (issue 13).
var maxSignInStatements = map[db.Kind]int{db.SQLite: 11, db.Postgres: 8}

// TestFullSignInStatements: a full TOTP sign-in through the router runs at
// most maxSignInStatements statements on either engine, every time, each
// a prepared statement (no value written into its text); the
// pending session's token is dead afterwards (the session turned into the
// full one carries a new token), even for a right backup code.
func TestFullSignInStatements(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		probe := &testdb.Probe{}
		e := servertest.Start(t, url, servertest.Options{DBHooks: []bun.QueryHook{probe}})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		for _, round := range []string{"sign-in 1", "sign-in 2"} {
			e.Clock.Advance(30 * time.Second)
			probe.Reset(0)
			v := loginTOTP(t, e, admin, servertest.AdminPassword)
			pw := probe.Statements()
			pending := v.SessionCookie()
			replay := e.NewClient()
			replay.Headers["Cookie"] = pending.Name + "=" + pending.Value
			replay.Must(200, "GET", api.PathPending, nil)
			probe.Reset(0)
			v.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
			vf := probe.Statements()
			if full := v.SessionCookie(); full == nil || full.Value == pending.Value {
				t.Fatalf("%s: the session token did not change at the second step", round)
			}
			if r := replay.Do("POST", api.PathVerify, map[string]string{"code": en.codes[0]}); r.Status != 401 || r.Code() != api.CodeLoginExpired {
				t.Fatalf("%s: the pending token after the sign-in: %d %s, want 401 %s", round, r.Status, r.Body, api.CodeLoginExpired)
			}
			v.Must(200, "GET", api.PathAccount, nil)
			t.Logf("%s: password step %d statements, verify step %d", round, len(pw), len(vf))
			// Only GET /api/account reads the second-factor summary with
			// the session: the steps of a TOTP sign-in never count backup
			// codes.
			for _, st := range append(pw, vf...) {
				if strings.Contains(st, "backup_codes") {
					t.Fatalf("%s: a TOTP sign-in reads the backup codes:\n%s", round, st)
				}
				// Every statement is prepared (db.Prepared): its values
				// travel apart, none is written into its text.
				if strings.Contains(st, "'") {
					t.Fatalf("%s: a statement with a value in its text (not prepared):\n%s", round, st)
				}
			}
			if n, most := len(pw)+len(vf), maxSignInStatements[e.Server.DB.Kind]; n > most {
				t.Fatalf("%s TOTP sign-in: %d statements, want at most %d:\npassword:\n%s\nverify:\n%s", round, n,
					most, strings.Join(pw, "\n"), strings.Join(vf, "\n"))
			}
		}
	})
}

// TestPromoteAtOnce: the end of a TOTP sign-in (the pending session turned
// into the full one, the sign-in event, the last sign-in time) writes one
// event and the time exactly once, whether it takes one statement
// (PostgreSQL, signin's promoteAtOnce) or the usual way: a pending session
// holding a security-key challenge cannot be promoted in place, and the
// one statement then writes nothing before the usual way runs. On
// PostgreSQL, the statement also writes nothing when the pending session
// is gone.
func TestPromoteAtOnce(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		ctx := context.Background()
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		var uid int64
		if err := e.Server.DB.NewSelect().Table("users").Column("id").Where("username = ?", admin).Scan(ctx, &uid); err != nil {
			t.Fatal(err)
		}
		logins := func(t *testing.T) int {
			t.Helper()
			n, err := e.Server.DB.NewSelect().Model((*db.Event)(nil)).Where("user_id = ?", uid).Where("type = ?", audit.Login).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		pendingID := func(t *testing.T, v *servertest.Client) int64 {
			t.Helper()
			var id int64
			if err := e.Server.DB.NewSelect().Table("sessions").Column("id").
				Where("token_hash = ?", session.HashToken(v.SessionCookie().Value)).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		for _, challenge := range []bool{false, true} {
			e.Clock.Advance(30 * time.Second)
			before := logins(t)
			v := loginTOTP(t, e, admin, servertest.AdminPassword)
			pending := v.SessionCookie().Value
			id := pendingID(t, v)
			if challenge {
				now := e.Clock.Now()
				ch := &db.PasskeyChallenge{SessionID: &id, Purpose: "login", Data: "{}", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
				if _, err := e.Server.DB.NewInsert().Model(ch).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			e.Clock.Advance(time.Second)
			v.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, e.Clock.Now())})
			if got := logins(t); got != before+1 {
				t.Fatalf("challenge %v: %d sign-in events written, want 1", challenge, got-before)
			}
			var last time.Time
			if err := e.Server.DB.NewSelect().Table("users").Column("last_login_at").Where("id = ?", uid).Scan(ctx, &last); err != nil || !last.Equal(e.Clock.Now()) {
				t.Fatalf("challenge %v: last sign-in %v (%v), want %v", challenge, last, err, e.Clock.Now())
			}
			if full := v.SessionCookie().Value; full == pending {
				t.Fatalf("challenge %v: the token did not change", challenge)
			}
			v.Must(200, "GET", api.PathAccount, nil)
			if n, err := e.Server.DB.NewSelect().Model((*db.PasskeyChallenge)(nil)).Where("session_id = ?", id).Count(ctx); err != nil || n != 0 {
				t.Fatalf("challenge %v: %d challenges left (%v)", challenge, n, err)
			}
		}

		if e.Server.DB.Kind != db.Postgres {
			return
		}
		// A pending session gone (ended meanwhile), or already full: the
		// statement writes nothing.
		e.Clock.Advance(30 * time.Second)
		v := loginTOTP(t, e, admin, servertest.AdminPassword)
		id := pendingID(t, v)
		var u db.User
		if err := e.Server.DB.NewSelect().Model(&u).Where("id = ?", uid).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		lastBefore := *u.LastLoginAt
		for _, end := range []string{"full", "gone"} {
			target := id
			if end == "gone" {
				if err := e.Server.Sessions.Delete(ctx, e.Server.DB, id); err != nil {
					t.Fatal(err)
				}
			} else {
				target = pendingID(t, c) // the full session of the first client
			}
			before := logins(t)
			e.Clock.Advance(time.Second)
			_, _, promote, err := e.Server.Sessions.PromoteClause(e.Server.DB, target, session.Spec{UserID: uid, Level: db.LevelFull})
			if err != nil {
				t.Fatal(err)
			}
			ok, err := e.Server.Users.SetLastLoginAfter(ctx, e.Server.DB, &u, e.Server.Audit.Event(uid, audit.Login, audit.Origin{}, ""), promote)
			if ok || err != nil {
				t.Fatalf("%s: promoted %v, %v", end, ok, err)
			}
			var last time.Time
			if err := e.Server.DB.NewSelect().Table("users").Column("last_login_at").Where("id = ?", uid).Scan(ctx, &last); err != nil || !last.Equal(lastBefore) {
				t.Fatalf("%s: last sign-in %v (%v), want %v", end, last, err, lastBefore)
			}
			if got := logins(t); got != before {
				t.Fatalf("%s: %d sign-in events written, want none", end, got-before)
			}
		}
		// The full session was left as it was.
		c.Must(200, "GET", api.PathAccount, nil)
	})
}
