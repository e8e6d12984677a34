package config

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzFromEnv feeds arbitrary values to every variable. Whatever they are,
// FromEnv never panics, and a configuration it accepts is usable and never
// prints its secrets: its printed form does not change with the admin
// password or the passwords in the database and SMTP URLs.
func FuzzFromEnv(f *testing.F) {
	f.Add("127.0.0.1:8080", "sqlite:./data/twofold.db", "https://console.example.com/", "smtps://u:p@mail.example.com:465",
		"Twofold <no-reply@example.com>", "4320h", "Twofold", "10.0.0.0/8, ::1", "1h", "24h", "json", "debug", "1", "s3cret", "")
	f.Add("", "postgres://u:db-secret@db:5432/twofold?password=x", "", "", "", "", "", "", "", "", "", "", "", "", "postgres://a:b@c/d\n")
	f.Add(":", "sqlite:", "ftp://x", "http://mail", "nobody", "-1h", "a:b", "garbage,,", "2h", "1h", "xml", "loud", "maybe", "", "")
	f.Add("[::1]:0", "postgresql://%zz", "http://[::1", "smtp://:@:0", "<@>", "0s", " ", "1.2.3.4/33", "1ns", "1ns", "TEXT", "WARN", "0", "x", "\r\n")
	f.Fuzz(func(t *testing.T, addr, dbURL, publicURL, smtpURL, mailFrom, expiry, issuer, proxies, idle, max, logFormat, logLevel, allowShared, admin, file string) {
		vars := map[string]string{
			EnvAddr: addr, EnvDatabaseURL: dbURL, EnvPublicURL: publicURL, EnvSMTPURL: smtpURL, EnvMailFrom: mailFrom,
			EnvTFAExpiry: expiry, EnvIssuer: issuer, EnvTrustedProxies: proxies, EnvSessionIdle: idle, EnvSessionMax: max,
			EnvLogFormat: logFormat, EnvLogLevel: logLevel, EnvAllowSharedKeyFile: allowShared, EnvAdminPassword: admin,
		}
		// A non-empty file content stands for TWOFOLD_DATABASE_URL_FILE.
		if file != "" {
			vars[EnvDatabaseURL+FileSuffix] = "/run/secrets/db"
		}
		readFile := func(name string) ([]byte, error) {
			if name == "/run/secrets/db" {
				return []byte(file), nil
			}
			return nil, errors.New("no such file")
		}
		getenv := func(k string) string { return vars[k] }
		c, err := fromEnv(getenv, readFile)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid configuration:\n") {
				t.Fatalf("error without the heading: %v", err)
			}
			return
		}
		if c.PublicURL == nil || (c.PublicURL.Scheme != "http" && c.PublicURL.Scheme != "https") || c.MailFrom == nil ||
			c.TFAExpiry <= 0 || c.SessionIdle <= 0 || c.SessionMax < c.SessionIdle || c.Issuer == "" || strings.Contains(c.Issuer, ":") ||
			(c.LogFormat != "text" && c.LogFormat != "json") || (c.SMTPURL != nil && c.SMTPURL.Hostname() == "") {
			t.Fatalf("accepted an unusable configuration: %+v", c)
		}
		if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres") {
			t.Fatalf("accepted database URL %q", c.DatabaseURL)
		}

		printed := c.LogValue().String()
		other := c
		if c.AdminPassword != "" {
			other.AdminPassword = "another password"
		}
		if u, err := url.Parse(c.DatabaseURL); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "another-password")
				other.DatabaseURL = u.String()
				if RedactURL(u.String()) != RedactURL(c.DatabaseURL) {
					// url.String re-escapes some inputs differently; compare
					// only what both print the same way.
					other.DatabaseURL = c.DatabaseURL
				}
			}
		}
		if c.SMTPURL != nil && c.SMTPURL.User != nil {
			u := *c.SMTPURL
			u.User = url.UserPassword(u.User.Username(), "another-password")
			other.SMTPURL = &u
		}
		if got := other.LogValue().String(); got != printed {
			t.Fatalf("the printed configuration depends on a secret:\n%s\n%s", printed, got)
		}
	})
}
