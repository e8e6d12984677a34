package cli

import (
	"encoding/base32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/config"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

func totpCode(t *testing.T, secret string, at time.Time) string {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := totp.Code(raw, totp.Step(at), totp.Options{})
	return c
}

// enableTOTP signs in as admin and turns TOTP on; it returns the secret
// and the backup codes.
func enableTOTP(t *testing.T, e *servertest.Env) (string, []string) {
	c := e.NewClient()
	c.Login("admin", servertest.AdminPassword)
	var setup api.TOTPSetup
	c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
	var res api.TOTPEnabled
	c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": totpCode(t, setup.Secret, e.Clock.Now())}).JSON(t, &res)
	e.Clock.Advance(30 * time.Second)
	return setup.Secret, res.BackupCodes
}

func cliVars(dbURL, dir string) map[string]string {
	return map[string]string{
		config.EnvDatabaseURL:   dbURL,
		config.EnvSecretKeyFile: filepath.Join(dir, "secret.key"),
	}
}

func TestRotateKey(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
		secret, codes := enableTOTP(t, e)
		e.HTTP.Close()
		e.Server.Close()
		keyFile := filepath.Join(dir, "secret.key")
		before, _ := os.ReadFile(keyFile)

		r := runCLI(t, cliVars(dbURL, dir), "", "rotate-key")
		if r.code != 0 || !strings.Contains(r.stdout, "1 TOTP secrets re-sealed") {
			t.Fatalf("rotate-key: %+v", r)
		}
		after, _ := os.ReadFile(keyFile)
		if string(before) == string(after) {
			t.Fatal("the key file did not change")
		}
		if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
			t.Fatalf("new key file mode %v", fi.Mode().Perm())
		}
		if _, err := os.Stat(keyFile + ".new"); err == nil {
			t.Fatal("temporary key file left behind")
		}
		// The server starts with the new key; the TOTP secret and the
		// backup codes still work.
		e2 := servertest.Start(t, dbURL, servertest.Options{Dir: dir, Clock: e.Clock})
		for _, code := range []string{totpCode(t, secret, e.Clock.Now()), codes[0]} {
			c := e2.NewClient()
			c.Login("admin", servertest.AdminPassword)
			c.Must(200, "POST", api.PathVerify, map[string]string{"code": code})
		}
		e2.HTTP.Close()
		e2.Server.Close()
		// The old key is refused now.
		os.WriteFile(keyFile, before, 0o600)
		if r := runCLI(t, cliVars(dbURL, dir), "", "user", "reset-2fa", "admin"); r.code == 0 || !strings.Contains(r.stderr, "fingerprint") {
			t.Fatalf("old key after rotation: %+v", r)
		}
	})
}

func TestReset2FA(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
		enableTOTP(t, e)
		// Lock the account's second factor.
		p := e.NewClient()
		p.Login("admin", servertest.AdminPassword)
		for i := 0; i < 10; i++ {
			p.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
		}
		if r := p.Do("POST", api.PathVerify, map[string]string{"code": "000000"}); r.Status != 429 {
			t.Fatalf("not limited: %d", r.Status)
		}
		if r := runCLI(t, cliVars(dbURL, dir), "", "user", "reset-2fa", "nobody"); r.code == 0 || !strings.Contains(r.stderr, `no user "nobody"`) {
			t.Fatalf("unknown user: %+v", r)
		}
		if r := runCLI(t, cliVars(dbURL, dir), "", "user", "reset-2fa", "ADMIN"); r.code != 0 {
			t.Fatalf("reset-2fa: %+v", r)
		}
		// The pending session ended; a new sign-in needs no code.
		if r := p.Do("POST", api.PathVerify, map[string]string{"code": "000000"}); r.Code() != api.CodeLoginExpired {
			t.Fatalf("pending session after reset: %d %s", r.Status, r.Body)
		}
		var lr api.LoginResponse
		e.NewClient().Login("admin", servertest.AdminPassword).JSON(t, &lr)
		if lr.Status != api.StatusOK {
			t.Fatalf("login after reset-2fa: %+v", lr)
		}
		// The failure counter was reset too: with TOTP on again, the right
		// code works at once (it would be 429 for up to 15 minutes).
		secret, _ := enableTOTP(t, e)
		c := e.NewClient()
		c.Login("admin", servertest.AdminPassword)
		c.Must(200, "POST", api.PathVerify, map[string]string{"code": totpCode(t, secret, e.Clock.Now())})
	})
}
