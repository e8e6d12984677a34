package console_test

import (
	"context"
	"crypto/rand"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/db"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// wrongCode returns a random 6-digit code that matches no step of secret
// within an hour of at.
func randomWrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			t.Fatal(err)
		}
		c := strings.Repeat("0", 6-len(n.String())) + n.String()
		clash := false
		for d := -time.Hour; d <= time.Hour; d += 30 * time.Second {
			clash = clash || code(t, secret, at.Add(d)) == c
		}
		if !clash {
			return c
		}
	}
}

// codeFailures reads the account's streak of wrong codes.
func codeFailures(t *testing.T, e *servertest.Env, uid int64) int {
	t.Helper()
	var row db.Throttle
	err := e.Server.DB.NewSelect().Model(&row).Where("key = ?", ratelimit.AccountCodeKey(uid).Name).Scan(context.Background())
	if err != nil {
		return 0
	}
	return row.Failures
}

// TestClockHint: a TOTP code of 2 to 10 minutes ago is refused as
// invalid_code with "hint": "clock_skew" and counted as a failure; a code
// of the future, an older one and a random wrong one get no hint. The hint
// is given after the password (sign-in's second step) and in a full
// session (step-up, inline codes, confirming a new secret), never before
// the password.
func TestClockHint(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e := servertest.Start(t, dbURL, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		en := enable(t, e, c, nil)
		uid := userID(t, e, admin)
		now := e.Clock.Now
		cases := []struct {
			name string
			at   time.Duration // the code's time, from now
			hint bool
		}{
			{"5 minutes ago", -5 * time.Minute, true},
			{"2 minutes ago", -2 * time.Minute, true},
			{"10 minutes ago", -10 * time.Minute, true},
			{"90 seconds ago", -90 * time.Second, false},
			{"10 minutes 30 seconds ago", -10*time.Minute - 30*time.Second, false},
			{"5 minutes ahead", 5 * time.Minute, false},
			{"random wrong code", 0, false},
		}
		// try sends each case with send (which gets the code) and checks
		// the answer; right then runs a right code, which ends the streak.
		try := func(t *testing.T, secret string, send func(code string) *servertest.Response) {
			t.Helper()
			for _, tt := range cases {
				cd := randomWrongCode(t, secret, now())
				if tt.at != 0 {
					cd = code(t, secret, now().Add(tt.at))
				}
				before := codeFailures(t, e, uid)
				r := send(cd)
				var ae api.Error
				r.JSON(t, &ae)
				if r.Status != 401 || ae.Code != api.CodeInvalidCode {
					t.Fatalf("%s: %d %s, want 401 invalid_code", tt.name, r.Status, r.Body)
				}
				if got := ae.Hint == api.HintClockSkew; got != tt.hint || (!tt.hint && strings.Contains(string(r.Body), "hint")) {
					t.Errorf("%s: body %s, hint wanted: %v", tt.name, r.Body, tt.hint)
				}
				if after := codeFailures(t, e, uid); after != before+1 {
					t.Errorf("%s: failures %d then %d: not counted", tt.name, before, after)
				}
			}
		}

		t.Run("before the password", func(t *testing.T) {
			r := e.NewClient().Do("POST", api.PathVerify, map[string]string{"code": code(t, en.secret, now().Add(-5*time.Minute))})
			if r.Status != 401 || r.Code() != api.CodeLoginExpired || strings.Contains(string(r.Body), "hint") {
				t.Fatalf("without a pending sign-in: %d %s", r.Status, r.Body)
			}
		})
		t.Run("sign-in", func(t *testing.T) {
			p := loginTOTP(t, e, admin, servertest.AdminPassword)
			try(t, en.secret, func(cd string) *servertest.Response {
				return p.Do("POST", api.PathVerify, map[string]string{"code": cd})
			})
			p.Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, en.secret, now())})
			c = p
		})
		t.Run("step-up", func(t *testing.T) {
			e.Clock.Advance(30 * time.Second)
			try(t, en.secret, func(cd string) *servertest.Response {
				return c.Do("POST", api.PathAccountVerify, map[string]string{"code": cd})
			})
			c.Must(200, "POST", api.PathAccountVerify, map[string]string{"code": code(t, en.secret, now())})
		})
		t.Run("inline step-up code", func(t *testing.T) {
			e.Clock.Advance(30 * time.Second)
			try(t, en.secret, func(cd string) *servertest.Response {
				return c.Do("POST", api.PathBackupCodes, map[string]string{"code": cd})
			})
			c.Must(200, "POST", api.PathBackupCodes, map[string]string{"code": code(t, en.secret, now())})
		})
		t.Run("confirming a new secret", func(t *testing.T) {
			e.Clock.Advance(30 * time.Second)
			var setup api.TOTPSetup
			c.Must(200, "POST", api.PathTOTPSetup, map[string]string{"code": code(t, en.secret, now())}).JSON(t, &setup)
			try(t, setup.Secret, func(cd string) *servertest.Response {
				return c.Do("POST", api.PathTOTPEnable, map[string]string{"code": cd})
			})
			c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, now())})
		})
		t.Run("backup codes never hint", func(t *testing.T) {
			e.Clock.Advance(30 * time.Second)
			r := c.Do("POST", api.PathAccountVerify, map[string]string{"code": "aaaaa-bbbbb"})
			if r.Status != http.StatusUnauthorized || strings.Contains(string(r.Body), "hint") {
				t.Fatalf("wrong backup code: %d %s", r.Status, r.Body)
			}
		})
	})
}
