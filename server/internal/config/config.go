// Package config reads the server's configuration from the environment
// (docs/API.md, "Configuration"), validates it once at start-up and redacts
// secrets when it is printed.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"twofold/server/internal/account"
	"twofold/server/internal/db"
)

// Config is the validated configuration of a server.
type Config struct {
	Addr           string
	DatabaseURL    string
	PublicURL      *url.URL
	SecretKeyFile  string
	SMTPURL        *url.URL // nil: mails are printed to standard error
	MailFrom       *mail.Address
	TFAExpiry      time.Duration
	Issuer         string
	AdminPassword  string
	TrustedProxies []netip.Prefix
	// SessionIdle ends a session that made no request for this long.
	SessionIdle time.Duration
	// SessionMax ends a session this long after sign-in, whatever its use.
	SessionMax time.Duration
	// TokenIdle and TokenMax are the same for the RustDesk client's
	// bearer tokens.
	TokenIdle, TokenMax time.Duration
	// AllowSharedKeyFile accepts a key file that group or others may read
	// or write, with a warning (for orchestrators that mount secrets 0644).
	AllowSharedKeyFile bool
	// LogFormat is "text" or "json"; LogLevel the least level logged.
	LogFormat string
	LogLevel  slog.Level
	// Argon2 are the password hashes' parameters (TWOFOLD_ARGON2).
	Argon2 account.Params
	// Enforce2FA is TWOFOLD_ENFORCE_2FA: which users must use TOTP by role,
	// Enforce2FANone, Enforce2FAAdmins or Enforce2FAAll.
	Enforce2FA string
	// MetricsAddr is where GET /metrics is served (TWOFOLD_METRICS_ADDR);
	// empty: nowhere.
	MetricsAddr string
	// JobsEvery, for tests only (TWOFOLD_TEST_JOBS_EVERY), replaces the
	// intervals of every background job; 0: their defaults.
	JobsEvery time.Duration
}

// Variable names, as in docs/API.md.
const (
	EnvAddr           = "TWOFOLD_ADDR"
	EnvDatabaseURL    = "TWOFOLD_DATABASE_URL"
	EnvPublicURL      = "TWOFOLD_PUBLIC_URL"
	EnvSecretKeyFile  = "TWOFOLD_SECRET_KEY_FILE"
	EnvSMTPURL        = "TWOFOLD_SMTP_URL"
	EnvMailFrom       = "TWOFOLD_MAIL_FROM"
	EnvTFAExpiry      = "TWOFOLD_TFA_EXPIRY"
	EnvIssuer         = "TWOFOLD_ISSUER"
	EnvAdminPassword  = "TWOFOLD_ADMIN_PASSWORD"
	EnvTrustedProxies = "TWOFOLD_TRUSTED_PROXIES"
	EnvSessionIdle    = "TWOFOLD_SESSION_IDLE"
	EnvSessionMax     = "TWOFOLD_SESSION_MAX"
	EnvTokenIdle      = "TWOFOLD_TOKEN_IDLE"
	EnvTokenMax       = "TWOFOLD_TOKEN_MAX"

	EnvAllowSharedKeyFile = "TWOFOLD_ALLOW_SHARED_KEY_FILE"
	EnvLogFormat          = "TWOFOLD_LOG_FORMAT"
	EnvLogLevel           = "TWOFOLD_LOG_LEVEL"
	EnvArgon2             = "TWOFOLD_ARGON2"
	// EnvBenchWeakArgon2 = 1 lets TWOFOLD_ARGON2 go below OWASP's floor
	// (make bench measures a sign-in without the hash's cost); refused
	// with an https public URL.
	EnvBenchWeakArgon2 = "TWOFOLD_BENCH_WEAK_ARGON2"
	EnvEnforce2FA      = "TWOFOLD_ENFORCE_2FA"
	EnvMetricsAddr     = "TWOFOLD_METRICS_ADDR"
	// EnvTestJobsEvery is for tests only: the interval of every background
	// job, so that tests with real processes see several runs in seconds.
	EnvTestJobsEvery = "TWOFOLD_TEST_JOBS_EVERY"

	// FileSuffix names the variant of a secret's variable that gives a
	// file to read it from: TWOFOLD_DATABASE_URL_FILE=/run/secrets/db.
	FileSuffix = "_FILE"
)

// FileVariables are the variables that may be read from a file instead,
// through their name with FileSuffix.
var FileVariables = []string{EnvDatabaseURL, EnvSMTPURL, EnvAdminPassword}

// Defaults, as in docs/API.md.
const (
	DefaultAddr          = "127.0.0.1:8080"
	DefaultDatabaseURL   = "sqlite:./data/twofold.db"
	DefaultPublicURL     = "http://127.0.0.1:8080"
	DefaultSecretKeyFile = "./data/secret.key"
	DefaultMailFrom      = "Twofold <no-reply@localhost>"
	DefaultTFAExpiry     = 180 * 24 * time.Hour
	DefaultIssuer        = "Twofold"
	DefaultSessionIdle   = time.Hour
	DefaultSessionMax    = 24 * time.Hour
	DefaultTokenIdle     = 720 * time.Hour
	DefaultTokenMax      = 2160 * time.Hour
	DefaultLogFormat     = "text"
)

// Values of TWOFOLD_ENFORCE_2FA: nobody by role, every administrator, or
// every user must use TOTP.
const (
	Enforce2FANone   = "none"
	Enforce2FAAdmins = "admins"
	Enforce2FAAll    = "all"
)

// FromEnv reads and validates the configuration. getenv is os.Getenv in
// production. Every problem is reported, one per line, naming the variable.
// A secret can come from a file named by its variable with FileSuffix; the
// file's trailing newline is not part of the value.
func FromEnv(getenv func(string) string) (Config, error) {
	return fromEnv(getenv, os.ReadFile)
}

func fromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	fromFiles := map[string]string{}
	for _, name := range FileVariables {
		fileVar := name + FileSuffix
		path := getenv(fileVar)
		if path == "" {
			continue
		}
		if getenv(name) != "" {
			bad(fileVar, "set both %s and %s: keep one", name, fileVar)
			continue
		}
		b, err := readFile(path)
		if err != nil {
			bad(fileVar, "cannot read %s: %v", path, err)
			continue
		}
		fromFiles[name] = strings.TrimRight(string(b), "\r\n")
	}
	raw := func(name string) string {
		if v, ok := fromFiles[name]; ok {
			return v
		}
		return getenv(name)
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(raw(name)); v != "" {
			return v
		}
		return def
	}

	c := Config{
		Addr:          get(EnvAddr, DefaultAddr),
		DatabaseURL:   get(EnvDatabaseURL, DefaultDatabaseURL),
		SecretKeyFile: get(EnvSecretKeyFile, DefaultSecretKeyFile),
		Issuer:        get(EnvIssuer, DefaultIssuer),
		AdminPassword: raw(EnvAdminPassword),
	}

	if _, _, err := splitHostPort(c.Addr); err != nil {
		bad(EnvAddr, "%q is not host:port (%v)", c.Addr, err)
	}

	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		if strings.TrimPrefix(c.DatabaseURL, "sqlite:") == "" {
			bad(EnvDatabaseURL, "sqlite: needs a file path, e.g. sqlite:./data/twofold.db")
		}
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" && !strings.HasPrefix(u.Query().Get("host"), "/") {
			bad(EnvDatabaseURL, "not a valid postgres:// URL (postgres://user:password@host:port/database, or postgres://user@/database?host=/run/postgresql for a Unix socket)")
		} else if _, _, _, err := db.SocketPath(c.DatabaseURL); err != nil {
			bad(EnvDatabaseURL, "%v", err)
		}
	default:
		bad(EnvDatabaseURL, "must start with sqlite: or postgres://")
	}

	pub := get(EnvPublicURL, DefaultPublicURL)
	if u, err := url.Parse(pub); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if strings.Contains(pub, "@") {
			pub = "the value" // it may hold a password
		}
		bad(EnvPublicURL, "%q is not an http:// or https:// URL", pub)
	} else if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(pub, "#") {
		// Links are this URL and a path (PUBLIC_URL/reset-password#token):
		// a query or a fragment would break them, and a user in it would
		// reach every mail and the log.
		u.User = nil
		bad(EnvPublicURL, "%q: give scheme, host and port only (no user, query or fragment), e.g. https://console.example.com", u.Redacted())
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/")
		c.PublicURL = u
	}

	if s := get(EnvSMTPURL, ""); s != "" {
		u, err := url.Parse(s)
		switch {
		case err != nil:
			bad(EnvSMTPURL, "not a URL")
		case u.Scheme != "smtp" && u.Scheme != "smtps":
			bad(EnvSMTPURL, "scheme must be smtp:// (STARTTLS when offered) or smtps:// (TLS), got %q", u.Scheme)
		case u.Hostname() == "":
			bad(EnvSMTPURL, "needs a host, e.g. smtp://user:pass@mail.example.com:587")
		default:
			c.SMTPURL = u
		}
	}

	from := get(EnvMailFrom, DefaultMailFrom)
	if a, err := mail.ParseAddress(from); err != nil {
		bad(EnvMailFrom, "%q is not an address like 'Twofold <no-reply@example.com>'", from)
	} else {
		c.MailFrom = a
	}

	c.TFAExpiry = duration(get, EnvTFAExpiry, DefaultTFAExpiry, bad)
	c.SessionIdle = duration(get, EnvSessionIdle, DefaultSessionIdle, bad)
	c.SessionMax = duration(get, EnvSessionMax, DefaultSessionMax, bad)
	c.TokenIdle = duration(get, EnvTokenIdle, DefaultTokenIdle, bad)
	c.TokenMax = duration(get, EnvTokenMax, DefaultTokenMax, bad)
	if c.TokenIdle > c.TokenMax {
		bad(EnvTokenIdle, "must not be longer than %s (%s)", EnvTokenMax, c.TokenMax)
	}
	if c.SessionIdle > 0 && c.SessionMax > 0 && c.SessionIdle > c.SessionMax {
		bad(EnvSessionIdle, "must not be longer than %s (%s)", EnvSessionMax, c.SessionMax)
	}

	if c.Issuer == "" || strings.ContainsAny(c.Issuer, ":") {
		bad(EnvIssuer, "must be non-empty and contain no colon")
	}

	if s := get(EnvTrustedProxies, ""); s != "" {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := netip.ParsePrefix(part)
			if err != nil {
				// A bare address means a single host.
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					bad(EnvTrustedProxies, "%q is not a CIDR such as 10.0.0.0/8", part)
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.TrustedProxies = append(c.TrustedProxies, p.Masked())
		}
	}

	if s := get(EnvAllowSharedKeyFile, ""); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			bad(EnvAllowSharedKeyFile, "%q is neither 1 nor 0", s)
		}
		c.AllowSharedKeyFile = v
	}

	switch f := strings.ToLower(get(EnvLogFormat, DefaultLogFormat)); f {
	case "text", "json":
		c.LogFormat = f
	default:
		bad(EnvLogFormat, "%q is neither text nor json", f)
	}
	if s := get(EnvLogLevel, ""); s != "" {
		switch strings.ToLower(s) {
		case "debug":
			c.LogLevel = slog.LevelDebug
		case "info":
			c.LogLevel = slog.LevelInfo
		case "warn", "warning":
			c.LogLevel = slog.LevelWarn
		case "error":
			c.LogLevel = slog.LevelError
		default:
			bad(EnvLogLevel, "%q is not one of debug, info, warn, error", s)
		}
	}

	c.Argon2 = account.DefaultParams
	parse := account.ParseParams
	switch v := get(EnvBenchWeakArgon2, ""); v {
	case "", "0":
	case "1":
		parse = account.ParseWeakParams
		if c.Production() {
			bad(EnvBenchWeakArgon2, "weak password hashes are for benchmarks: refused with an https public URL")
		}
	default:
		bad(EnvBenchWeakArgon2, "%q is neither 0 nor 1", v)
	}
	if s := get(EnvArgon2, ""); s != "" {
		p, err := parse(s)
		if err != nil {
			bad(EnvArgon2, "%v", err)
		}
		c.Argon2 = p
	}
	switch v := strings.ToLower(get(EnvEnforce2FA, Enforce2FANone)); v {
	case Enforce2FANone, Enforce2FAAdmins, Enforce2FAAll:
		c.Enforce2FA = v
	default:
		bad(EnvEnforce2FA, "%q is not one of none, admins, all", v)
	}

	if a := get(EnvMetricsAddr, ""); a != "" {
		if _, _, err := splitHostPort(a); err != nil {
			bad(EnvMetricsAddr, "%q: %v (want host:port, e.g. 127.0.0.1:9090)", a, err)
		}
		c.MetricsAddr = a
	}
	c.JobsEvery = duration(get, EnvTestJobsEvery, 0, bad)

	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

func duration(get func(string, string) string, name string, def time.Duration, bad func(string, string, ...any)) time.Duration {
	s := get(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		bad(name, "%q is not a positive Go duration such as 4320h or 30m", s)
		return def
	}
	return d
}

func splitHostPort(addr string) (string, string, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", errors.New("missing port")
	}
	port := addr[i+1:]
	if port == "" {
		return "", "", errors.New("missing port")
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return "", "", errors.New("port is not a number")
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n > 65535 {
		return "", "", errors.New("port is not between 0 and 65535")
	}
	return addr[:i], port, nil
}

// Secure reports whether the public URL is https: cookies get Secure and
// the __Host- prefix, responses get HSTS.
func (c Config) Secure() bool { return c.PublicURL != nil && c.PublicURL.Scheme == "https" }

// Production reports whether the console runs for real users: an https
// public URL. Then the two plain-text exceptions of docs/API.md (first admin's
// password, mails without SMTP) are never printed.
func (c Config) Production() bool { return c.Secure() }

// Origin is the public URL's scheme://host, compared with Origin headers.
func (c Config) Origin() string {
	if c.PublicURL == nil {
		return ""
	}
	return c.PublicURL.Scheme + "://" + c.PublicURL.Host
}

// LogValue prints the configuration with its secrets redacted.
func (c Config) LogValue() slog.Value {
	proxies := make([]string, len(c.TrustedProxies))
	for i, p := range c.TrustedProxies {
		proxies[i] = p.String()
	}
	smtp := "(none: mails go to standard error)"
	if c.SMTPURL != nil {
		smtp = RedactURL(c.SMTPURL.String())
	}
	admin := ""
	if c.AdminPassword != "" {
		admin = "[redacted]"
	}
	pub := ""
	if c.PublicURL != nil {
		pub = c.PublicURL.String()
	}
	from := ""
	if c.MailFrom != nil {
		from = c.MailFrom.String()
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("database_url", RedactURL(c.DatabaseURL)),
		slog.String("public_url", pub),
		slog.String("secret_key_file", c.SecretKeyFile),
		slog.String("smtp_url", smtp),
		slog.String("mail_from", from),
		slog.Duration("tfa_expiry", c.TFAExpiry),
		slog.String("issuer", c.Issuer),
		slog.String("admin_password", admin),
		slog.String("trusted_proxies", strings.Join(proxies, ",")),
		slog.Duration("session_idle", c.SessionIdle),
		slog.Duration("session_max", c.SessionMax),
		slog.Duration("token_idle", c.TokenIdle),
		slog.Duration("token_max", c.TokenMax),
		slog.Bool("allow_shared_key_file", c.AllowSharedKeyFile),
		slog.String("log_format", c.LogFormat),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("argon2", c.Argon2.String()),
		slog.String("enforce_2fa", c.Enforce2FA),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Duration("test_jobs_every", c.JobsEvery),
	)
}

// RedactURL replaces the password of a URL, in its user part or its query,
// with "redacted".
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "redacted")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "redacted")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
