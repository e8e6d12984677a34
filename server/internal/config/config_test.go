package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "sqlite:./data/twofold.db" || c.PublicURL.String() != "http://127.0.0.1:8080" ||
		c.SecretKeyFile != "./data/secret.key" || c.SMTPURL != nil || c.MailFrom.Address != "no-reply@localhost" ||
		c.TFAExpiry != 4320*time.Hour || c.Issuer != "Twofold" || c.AdminPassword != "" || len(c.TrustedProxies) != 0 ||
		c.SessionIdle != time.Hour || c.SessionMax != 24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	if c.Secure() || c.Production() {
		t.Fatal("http public URL reported secure")
	}
}

func TestInvalidValuesAreAllReported(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		EnvAddr:           "nonsense",
		EnvDatabaseURL:    "mysql://x",
		EnvPublicURL:      "ftp://x",
		EnvSMTPURL:        "http://mail",
		EnvMailFrom:       "not an address",
		EnvTFAExpiry:      "180 days",
		EnvIssuer:         "a:b",
		EnvTrustedProxies: "10.0.0.0/8, garbage",
		EnvSessionIdle:    "-1h",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{EnvAddr, EnvDatabaseURL, EnvPublicURL, EnvSMTPURL, EnvMailFrom, EnvTFAExpiry, EnvIssuer, EnvTrustedProxies, EnvSessionIdle} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

// TestAddrAndPublicURLShapes: a port beyond 65535 is refused before
// anything starts (it failed only at listen, after the migrations and the
// first admin); a public URL takes scheme, host, port and a path only,
// since links are built by appending to it, and one with a password is not
// echoed.
func TestAddrAndPublicURLShapes(t *testing.T) {
	tests := []struct {
		name, value string
		ok          bool
	}{
		{EnvAddr, "127.0.0.1:8080", true},
		{EnvAddr, "127.0.0.1:0", true},
		{EnvAddr, "[::1]:65535", true},
		{EnvAddr, "127.0.0.1:65536", false},
		{EnvAddr, "127.0.0.1:99999", false},
		{EnvAddr, "127.0.0.1:99999999999999999999", false},
		{EnvPublicURL, "https://console.example.com", true},
		{EnvPublicURL, "https://example.com:8443/twofold/", true},
		{EnvPublicURL, "http://127.0.0.1:18084/?x=1", false},
		{EnvPublicURL, "http://127.0.0.1:18084/?", false},
		{EnvPublicURL, "https://example.com/#top", false},
		{EnvPublicURL, "https://example.com/#", false},
		{EnvPublicURL, "http://user:pw-secret@127.0.0.1:18084", false},
		{EnvPublicURL, "http://user:pw-secret@[::1", false},
	}
	for _, tt := range tests {
		_, err := FromEnv(env(map[string]string{tt.name: tt.value}))
		if (err == nil) != tt.ok {
			t.Errorf("%s=%s: error %v, want ok %v", tt.name, tt.value, err, tt.ok)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), tt.name) || strings.Contains(err.Error(), "pw-secret")) {
			t.Errorf("%s=%s: %v (should name the variable and never the password)", tt.name, tt.value, err)
		}
	}
}

func TestParsedValues(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		EnvPublicURL:      "https://console.example.com/",
		EnvSMTPURL:        "smtps://user:p%40ss@mail.example.com:465",
		EnvTFAExpiry:      "720h",
		EnvTrustedProxies: "10.0.0.0/8, 192.168.1.1 ,::1",
		EnvDatabaseURL:    "postgres://u:secret@db:5432/twofold",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.Origin() != "https://console.example.com" || c.TFAExpiry != 720*time.Hour || len(c.TrustedProxies) != 3 {
		t.Fatalf("%+v", c)
	}
	if c.TrustedProxies[1].String() != "192.168.1.1/32" {
		t.Errorf("bare address: %v", c.TrustedProxies[1])
	}
}

func TestSecretsRedacted(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		EnvSMTPURL:       "smtp://mailer:smtp-secret@mail.example.com:587",
		EnvDatabaseURL:   "postgres://twofold:db-secret@db:5432/twofold?password=q-secret",
		EnvAdminPassword: "admin-secret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	printed := c.LogValue().String()
	for _, secret := range []string{"smtp-secret", "db-secret", "q-secret", "admin-secret"} {
		if strings.Contains(printed, secret) {
			t.Errorf("%q printed: %s", secret, printed)
		}
	}
	if !strings.Contains(printed, "mail.example.com") || !strings.Contains(printed, "redacted") {
		t.Errorf("redaction lost the rest: %s", printed)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c, err := FromEnv(env(map[string]string{
		EnvDatabaseURL + FileSuffix:   write("db", "postgres://u:db-secret@db:5432/twofold\n"),
		EnvSMTPURL + FileSuffix:       write("smtp", "smtps://mailer:smtp-secret@mail.example.com:465\r\n"),
		EnvAdminPassword + FileSuffix: write("admin", " admin secret with spaces \n"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u:db-secret@db:5432/twofold" || c.SMTPURL.Host != "mail.example.com:465" ||
		c.AdminPassword != " admin secret with spaces " {
		t.Fatalf("%+v", c)
	}

	for _, tt := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"both set", map[string]string{EnvAdminPassword: "x", EnvAdminPassword + FileSuffix: write("a2", "y")},
			[]string{EnvAdminPassword, EnvAdminPassword + FileSuffix}},
		{"unreadable", map[string]string{EnvDatabaseURL + FileSuffix: filepath.Join(dir, "missing")},
			[]string{EnvDatabaseURL + FileSuffix, filepath.Join(dir, "missing")}},
		{"bad content", map[string]string{EnvSMTPURL + FileSuffix: write("smtp2", "http://nope\n")},
			[]string{EnvSMTPURL}},
	} {
		_, err := FromEnv(env(tt.vars))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not name %s:\n%v", tt.name, w, err)
			}
		}
	}
}

func TestLogAndKeyFileOptions(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil || c.LogFormat != "text" || c.LogLevel != slog.LevelInfo || c.AllowSharedKeyFile {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for _, tt := range []struct {
		format, level, allow string
		wantFormat           string
		wantLevel            slog.Level
		wantAllow            bool
	}{
		{"json", "debug", "1", "json", slog.LevelDebug, true},
		{"TEXT", "Warn", "0", "text", slog.LevelWarn, false},
		{"", "error", "true", "text", slog.LevelError, true},
		{"json", "info", "", "json", slog.LevelInfo, false},
	} {
		c, err := FromEnv(env(map[string]string{EnvLogFormat: tt.format, EnvLogLevel: tt.level, EnvAllowSharedKeyFile: tt.allow}))
		if err != nil || c.LogFormat != tt.wantFormat || c.LogLevel != tt.wantLevel || c.AllowSharedKeyFile != tt.wantAllow {
			t.Errorf("%+v: got %q %v %v (%v)", tt, c.LogFormat, c.LogLevel, c.AllowSharedKeyFile, err)
		}
	}
	_, err = FromEnv(env(map[string]string{EnvLogFormat: "xml", EnvLogLevel: "loud", EnvAllowSharedKeyFile: "yes please"}))
	for _, name := range []string{EnvLogFormat, EnvLogLevel, EnvAllowSharedKeyFile} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s not reported: %v", name, err)
		}
	}
}

func TestEnforce2FA(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"", Enforce2FANone}, {"none", Enforce2FANone}, {"admins", Enforce2FAAdmins}, {"all", Enforce2FAAll}, {" ALL ", Enforce2FAAll},
	} {
		c, err := FromEnv(env(map[string]string{EnvEnforce2FA: tt.value}))
		if err != nil || c.Enforce2FA != tt.want {
			t.Errorf("%s=%q: got %q (%v), want %q", EnvEnforce2FA, tt.value, c.Enforce2FA, err, tt.want)
		}
	}
	for _, bad := range []string{"admin", "everyone", "1", "true"} {
		_, err := FromEnv(env(map[string]string{EnvEnforce2FA: bad}))
		if err == nil || !strings.Contains(err.Error(), EnvEnforce2FA) {
			t.Errorf("%s=%q: error %v, want one naming the variable", EnvEnforce2FA, bad, err)
		}
	}
}

// TestWeakArgon2OnlyForBenchmarks: parameters below OWASP's floor are
// refused unless TWOFOLD_BENCH_WEAK_ARGON2=1, and that is refused with an
// https public URL.
func TestWeakArgon2OnlyForBenchmarks(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		ok   bool
	}{
		{"floor", map[string]string{EnvArgon2: "m=19456,t=2,p=1"}, true},
		{"below the floor", map[string]string{EnvArgon2: "m=64,t=1,p=1"}, false},
		{"below the floor for a benchmark", map[string]string{EnvArgon2: "m=64,t=1,p=1", EnvBenchWeakArgon2: "1"}, true},
		{"below argon2's own minimum", map[string]string{EnvArgon2: "m=4,t=1,p=1", EnvBenchWeakArgon2: "1"}, false},
		{"8 KiB per lane", map[string]string{EnvArgon2: "m=8,t=1,p=2", EnvBenchWeakArgon2: "1"}, false},
		{"benchmark with https", map[string]string{EnvArgon2: "m=64,t=1,p=1", EnvBenchWeakArgon2: "1",
			EnvPublicURL: "https://example.com"}, false},
		{"bad flag", map[string]string{EnvBenchWeakArgon2: "yes"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(env(tt.vars))
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && c.Argon2.String() != tt.vars[EnvArgon2] {
				t.Fatalf("argon2 %s, want %s", c.Argon2, tt.vars[EnvArgon2])
			}
		})
	}
}

func TestMetricsAddrAndJobsEvery(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil || c.MetricsAddr != "" || c.JobsEvery != 0 {
		t.Fatalf("defaults: %q %v (%v), want off", c.MetricsAddr, c.JobsEvery, err)
	}
	c, err = FromEnv(env(map[string]string{EnvMetricsAddr: "127.0.0.1:9090", EnvTestJobsEvery: "250ms"}))
	if err != nil || c.MetricsAddr != "127.0.0.1:9090" || c.JobsEvery != 250*time.Millisecond {
		t.Fatalf("got %q %v (%v)", c.MetricsAddr, c.JobsEvery, err)
	}
	for name, value := range map[string]string{EnvMetricsAddr: "9090", EnvTestJobsEvery: "soon"} {
		_, err := FromEnv(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming the variable", name, value, err)
		}
	}
}

// TestPostgresURLs: a Unix socket in libpq's form (host=/directory) is a
// PostgreSQL URL; a URL with neither a host nor a socket is not.
func TestPostgresURLs(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"postgres://u:p@db:5432/twofold?sslmode=verify-full", true},
		{"postgres://u@/twofold?host=/run/postgresql", true},
		{"postgresql://u@/twofold?host=/run/postgresql&port=5433", true},
		{"postgres://u@/twofold", false},
		{"postgres://u@/twofold?host=db.example.com", false},
		{"postgres://u@/twofold?host=/run/postgresql&port=http", false},
	} {
		_, err := FromEnv(env(map[string]string{EnvDatabaseURL: c.url}))
		if (err == nil) != c.ok || err != nil && !strings.Contains(err.Error(), EnvDatabaseURL) {
			t.Errorf("%s: %v, want accepted %v", c.url, err, c.ok)
		}
	}
}
