package config

import (
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
