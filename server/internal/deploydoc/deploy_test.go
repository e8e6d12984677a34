package deploydoc_test

import (
	"bufio"
	"context"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/secrets"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// root is the repository, from this package's directory.
const root = "../../.."

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// quoted is a fenced block of the guide: its language, its text, and the
// file its marker names ("" when unmarked).
type quoted struct {
	lang, text, file string
	line             int
}

var (
	marker = regexp.MustCompile(`^<!-- file: (\S+) -->$`)
	fence  = regexp.MustCompile("^```(\\S*)$")
)

// blocks reads the fenced blocks of a Markdown text.
func blocks(t *testing.T, md string) []quoted {
	t.Helper()
	var out []quoted
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		q := quoted{lang: m[1], line: i + 1}
		if i > 0 {
			if mk := marker.FindStringSubmatch(lines[i-1]); mk != nil {
				q.file = mk[1]
			}
		}
		var body strings.Builder
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body.WriteString(lines[i] + "\n")
		}
		if i == len(lines) {
			t.Fatalf("line %d: the block never ends", q.line)
		}
		q.text = body.String()
		out = append(out, q)
	}
	return out
}

// configLangs are the languages of configuration snippets: each must be
// a checked file. (sh blocks are commands, unless marked.)
var configLangs = []string{"ini", "nginx", "caddyfile", "dotenv", "sql", "text", "systemd", "conf", "env"}

// TestGuideQuotesTheCheckedFiles: every configuration snippet of
// docs/deploy.md is the exact text of a file of docs/deploy/ (which
// .ci/check-deploy and the tests below check), and every such file is
// quoted; the README links to the guide.
func TestGuideQuotesTheCheckedFiles(t *testing.T) {
	md := read(t, "docs/deploy.md")
	quotedFiles := map[string]bool{}
	for _, b := range blocks(t, md) {
		if b.file == "" {
			if slices.Contains(configLangs, b.lang) {
				t.Errorf("line %d: a %s snippet without a <!-- file: --> marker: keep it in docs/deploy/ and quote it", b.line, b.lang)
			}
			continue
		}
		want := read(t, b.file)
		if b.text != want {
			t.Errorf("line %d: the snippet differs from %s:\n--- guide\n%s--- file\n%s", b.line, b.file, b.text, want)
		}
		quotedFiles[b.file] = true
	}
	entries, err := os.ReadDir(filepath.Join(root, "docs/deploy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := "docs/deploy/" + e.Name(); !quotedFiles[name] {
			t.Errorf("%s is not quoted in docs/deploy.md", name)
		}
	}
	if len(quotedFiles) < 8 {
		t.Fatalf("only %d quoted files found: the markers are not read", len(quotedFiles))
	}
	if !strings.Contains(read(t, "README.md"), "(docs/deploy.md)") {
		t.Error("README.md does not link to docs/deploy.md")
	}
}

// unitLines returns the values of key in the systemd unit (or the
// wrapper's --property=key= options).
func unitLines(text, key string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "\\"))
		l = strings.TrimPrefix(l, "--property=")
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// envFile reads a systemd environment file: KEY=VALUE lines, # comments,
// values optionally in double quotes.
func envFile(t *testing.T, text string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("not KEY=VALUE: %q", l)
		}
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		}
		env[k] = v
	}
	return env
}

// TestServiceEnvironmentIsAValidConfiguration: the environment file plus
// the unit's Environment= lines, with the credentials in place, are a
// configuration the server accepts, in production mode, behind the proxy
// of the examples; the admin wrapper loads the same credentials and
// settings as the unit.
func TestServiceEnvironmentIsAValidConfiguration(t *testing.T) {
	unit := read(t, "docs/deploy/twofold.service")
	env := envFile(t, read(t, "docs/deploy/twofold.env"))
	creds := t.TempDir()
	for _, lc := range unitLines(unit, "LoadCredential") {
		id, src, ok := strings.Cut(lc, ":")
		if !ok || !strings.HasPrefix(src, "/etc/twofold/") {
			t.Fatalf("LoadCredential=%s: want ID:/etc/twofold/FILE", lc)
		}
		var content string
		switch id {
		case "secret.key":
			k, err := secrets.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			content = k.Encode() + "\n"
		default:
			content = read(t, "docs/deploy/"+filepath.Base(src))
		}
		if err := os.WriteFile(filepath.Join(creds, id), []byte(content), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range unitLines(unit, "Environment") {
		k, v, _ := strings.Cut(e, "=")
		env[k] = strings.ReplaceAll(v, "%d", creds)
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Production() || cfg.SMTPURL == nil || cfg.SMTPURL.Scheme != "smtps" {
		t.Errorf("not production with TLS mail: public URL %s, SMTP %v", cfg.PublicURL, cfg.SMTPURL)
	}
	if cfg.SecretKeyFile != filepath.Join(creds, "secret.key") {
		t.Errorf("key file %s", cfg.SecretKeyFile)
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil || u.Query().Get("sslmode") != "verify-full" {
		t.Errorf("database URL %s: want sslmode=verify-full", config.RedactURL(cfg.DatabaseURL))
	}
	for _, proxy := range []string{"127.0.0.1", "::1"} {
		a := netip.MustParseAddr(proxy)
		if !slices.ContainsFunc(cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(a) }) {
			t.Errorf("trusted proxies %v lack the local proxy %s", cfg.TrustedProxies, proxy)
		}
	}
	if cfg.Addr != "127.0.0.1:8080" || !strings.Contains(read(t, "docs/deploy/nginx.conf"), "proxy_pass http://"+cfg.Addr+";") ||
		!strings.Contains(read(t, "docs/deploy/Caddyfile"), "reverse_proxy "+cfg.Addr) {
		t.Errorf("the proxies do not point at TWOFOLD_ADDR %s", cfg.Addr)
	}
	if !strings.Contains(read(t, "docs/deploy/nginx.conf"), "server_name "+cfg.PublicURL.Host+";") ||
		!strings.HasPrefix(read(t, "docs/deploy/Caddyfile"), "# ") || !strings.Contains(read(t, "docs/deploy/Caddyfile"), "\n"+cfg.PublicURL.Host+" {") {
		t.Errorf("the proxies do not serve the public host %s", cfg.PublicURL.Host)
	}

	admin := read(t, "docs/deploy/twofold-admin")
	for _, key := range []string{"LoadCredential", "EnvironmentFile"} {
		if a, b := unitLines(admin, key), unitLines(unit, key); !slices.Equal(a, b) {
			t.Errorf("%s: the wrapper has %q, the unit %q", key, a, b)
		}
	}
	for _, e := range unitLines(unit, "Environment") {
		k, v, _ := strings.Cut(e, "=")
		if want := k + `="$CREDENTIALS_DIRECTORY/` + strings.TrimPrefix(v, "%d/") + `"`; !strings.Contains(admin, want) {
			t.Errorf("the wrapper does not set %s", want)
		}
	}
}

// statements splits an SQL file into statements, without comments and
// without BEGIN/COMMIT (the test runs them in a transaction of its own).
func statements(text string) []string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			b.WriteString(l + "\n")
		}
	}
	var out []string
	for _, s := range strings.Split(b.String(), ";") {
		s = strings.TrimSpace(s)
		if s != "" && s != "BEGIN" && s != "COMMIT" {
			out = append(out, s)
		}
	}
	return out
}

// TestPostgresSetup runs docs/deploy/postgres.sql on the test cluster,
// with unique names, and starts a server as that role on that database:
// its rights are enough to migrate and run.
func TestPostgresSetup(t *testing.T) {
	base := os.Getenv("TWOFOLD_TEST_POSTGRES_URL")
	if base == "" {
		base = testdb.DefaultPostgres
	}
	admin := testdb.Admin(base)
	t.Cleanup(func() { admin.Close() }) // after the drops below (cleanups run last first)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv("TWOFOLD_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s is required but unreachable: %v", base, err)
		}
		t.Skipf("PostgreSQL at %s unreachable: %v", base, err)
	}
	name := "twofold_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	stmts := statements(read(t, "docs/deploy/postgres.sql"))
	if len(stmts) < 2 {
		t.Fatalf("postgres.sql: %d statements", len(stmts))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database: %v", err)
		}
		if _, err := admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+name); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})
	word := regexp.MustCompile(`\btwofold\b`)
	for _, s := range stmts {
		if _, err := admin.ExecContext(ctx, word.ReplaceAllString(s, name)); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Path = url.User(name), "/"+name
	e := servertest.Start(t, u.String(), servertest.Options{})
	c := e.NewClient()
	c.Login("admin", servertest.AdminPassword)
	c.Must(200, "GET", api.PathAccount, nil)
	var owner string
	if err := e.Server.DB.NewRaw("SELECT tableowner FROM pg_tables WHERE tablename = 'users'").Scan(ctx, &owner); err != nil || owner != name {
		t.Fatalf("users table owned by %q (%v), want the role %s", owner, err, name)
	}
}

// TestPgHbaLine: the pg_hba.conf example admits the role over TLS with
// SCRAM, from a network, and nothing else.
func TestPgHbaLine(t *testing.T) {
	var rules [][]string
	for _, l := range strings.Split(read(t, "docs/deploy/pg_hba.conf"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			rules = append(rules, strings.Fields(l))
		}
	}
	if len(rules) != 1 {
		t.Fatalf("%d rules, want 1", len(rules))
	}
	r := rules[0]
	if len(r) != 5 || r[0] != "hostssl" || r[1] != "twofold" || r[2] != "twofold" || r[4] != "scram-sha-256" {
		t.Fatalf("rule %q: want hostssl twofold twofold CIDR scram-sha-256", r)
	}
	if _, err := netip.ParsePrefix(r[3]); err != nil {
		t.Fatalf("address %q: %v", r[3], err)
	}
	if !strings.Contains(read(t, "docs/deploy/postgres.sql"), "CREATE ROLE twofold ") {
		t.Error("postgres.sql does not create the role pg_hba.conf names")
	}
}

// TestLostKeyProcedure: a server whose key is gone refuses to start; after
// docs/deploy/lost-key.sql it starts with a new key, a user whose TOTP
// secret was sealed with the lost key signs in with the password and sets
// up 2FA again.
func TestLostKeyProcedure(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		e := servertest.Start(t, dbURL, servertest.Options{Dir: dir})
		c := e.NewClient()
		c.Login("admin", servertest.AdminPassword)
		var setup api.TOTPSetup
		c.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
		code := totpCode(t, setup.Secret, e.Clock.Now())
		c.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code})
		e.HTTP.Close()
		e.Server.Close()

		keyFile := filepath.Join(dir, "secret.key")
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		d, err := db.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		// The server refuses to start without its key.
		other := t.TempDir()
		k, _ := secrets.GenerateKey()
		if err := secrets.Write(filepath.Join(other, "secret.key"), k); err != nil {
			t.Fatal(err)
		}
		if _, err := openServer(t, dbURL, other); err == nil {
			t.Fatal("a server started with another key")
		}
		err = d.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			for _, s := range statements(read(t, "docs/deploy/lost-key.sql")) {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e2 := servertest.Start(t, dbURL, servertest.Options{Dir: other})
		c2 := e2.NewClient()
		var lr api.LoginResponse
		c2.Login("admin", servertest.AdminPassword).JSON(t, &lr)
		if lr.Status != api.StatusOK {
			t.Fatalf("after the lost-key procedure, sign-in: %+v", lr)
		}
		var acc api.Account
		c2.Must(200, "GET", api.PathAccount, nil).JSON(t, &acc)
		if acc.TFA.State != api.TFANotEnabled {
			t.Fatalf("2FA state %s, want not_enabled", acc.TFA.State)
		}
		c2.Must(200, "POST", api.PathTOTPSetup, nil).JSON(t, &setup)
		c2.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": totpCode(t, setup.Secret, e2.Clock.Now())})
	})
}
