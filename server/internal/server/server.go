// Package server assembles a Twofold server from its configuration:
// database, key, services, route table, and runs it with graceful shutdown.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/admin"
	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/console"
	"twofold/server/internal/db"
	"twofold/server/internal/jobs"
	"twofold/server/internal/keys"
	"twofold/server/internal/mail"
	"twofold/server/internal/mfa/backupcode"
	"twofold/server/internal/mfa/emailcode"
	"twofold/server/internal/mfa/passkey"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/notify"
	"twofold/server/internal/purge"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/reminder"
	"twofold/server/internal/reset"
	"twofold/server/internal/router"
	"twofold/server/internal/rustdesk"
	"twofold/server/internal/secrets"
	"twofold/server/internal/session"
	"twofold/server/internal/signin"
	"twofold/server/internal/webui"
)

// hashMaxWait bounds how long a request waits for a password-hash slot
// before it is answered 503 with Retry-After: excess load queues briefly
// instead of growing memory without bound.
const hashMaxWait = 10 * time.Second

// Options adjust a server for tests.
type Options struct {
	Clock  clock.Clock
	Logger *slog.Logger
	// Stderr receives the plain-text exceptions of docs/API.md (first admin's
	// password, mails without SMTP). Default os.Stderr.
	Stderr io.Writer
	// Static holds the UI's files; nil serves the API only.
	Static fs.FS
	// HashConcurrency bounds parallel password hashes (0: one per CPU).
	HashConcurrency int
	// DBHooks see every database query (tests count statements and inject
	// faults).
	DBHooks []bun.QueryHook
	// PurgeEvery and RemindersEvery are the intervals of the background
	// jobs (0: 10 minutes and 1 hour).
	PurgeEvery, RemindersEvery time.Duration
}

// Intervals of the background jobs.
const (
	DefaultPurgeEvery     = 10 * time.Minute
	DefaultRemindersEvery = time.Hour
)

// Server is an assembled server.
type Server struct {
	Config   config.Config
	DB       *db.DB
	Key      *secrets.Key
	CodeKey  *secrets.CodeKey
	Clock    clock.Clock
	Logger   *slog.Logger
	Users    *account.Service
	Sessions *session.Manager
	Limiter  *ratelimit.Limiter
	Audit    *audit.Recorder
	TOTP     *totp.Service
	Backup   *backupcode.Service
	Passkeys *passkey.Service
	Email    *emailcode.Service
	Mail     mail.Sender
	Notify   *notify.Notifier
	SignIn   *signin.Service
	Admin    *admin.Service
	Reset    *reset.Service
	Console  *console.Handlers
	UI       *webui.UI
	Handler  http.Handler
	// Leases keep two instances from running a job at once; Reminders is
	// the reminders job (Jobs lists every job Serve runs).
	Leases    *jobs.Leases
	Reminders *reminder.Job
	// Purge is the purge job: expired sessions and pending sign-ins, old
	// counters, reset links and RustDesk clients.
	Purge *purge.Job

	purgeEvery, remindersEvery time.Duration
}

// ErrKeyMismatch is returned by Open when the key file is not the key the
// database was set up with.
var ErrKeyMismatch = keys.ErrMismatch

// Open connects to the database, applies migrations, checks the secret key
// against the database's fingerprint, creates the first admin on an empty
// database and builds the handler.
func Open(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, opts.DBHooks...)
	if err != nil {
		return nil, err
	}
	s := &Server{Config: cfg, DB: d, Clock: opts.Clock, Logger: opts.Logger,
		purgeEvery: cmp.Or(opts.PurgeEvery, DefaultPurgeEvery), remindersEvery: cmp.Or(opts.RemindersEvery, DefaultRemindersEvery)}
	if err := s.init(ctx, opts); err != nil {
		d.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context, opts Options) error {
	applied, err := s.DB.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		s.Logger.Info("database migrated", "applied", applied)
	}
	s.Key, err = keys.Load(ctx, s.DB, s.Config.SecretKeyFile, keys.Options{
		Clock: s.Clock, Logger: s.Logger, AllowShared: s.Config.AllowSharedKeyFile,
	})
	if err != nil {
		return err
	}
	if s.CodeKey, err = keys.LoadCodeKey(ctx, s.DB, s.Key, s.Clock); err != nil {
		return err
	}
	s.Users = account.NewService(s.DB, s.Clock, account.NewHasher(opts.HashConcurrency, s.Config.Argon2, hashMaxWait))
	s.Sessions = session.NewManager(s.DB, s.Clock, session.Config{
		Idle: s.Config.SessionIdle, Max: s.Config.SessionMax, Secure: s.Config.Secure(),
		TokenIdle: s.Config.TokenIdle, TokenMax: s.Config.TokenMax,
	})
	s.Limiter = ratelimit.New(s.DB, s.Clock)
	s.Audit = audit.New(s.DB, s.Clock)
	s.TOTP = totp.New(s.Key, s.Clock, s.Config.Issuer, s.Config.TFAExpiry)
	s.Backup = backupcode.New(s.CodeKey, s.Clock)
	s.Mail = s.mailer(opts.Stderr)
	s.Notify = notify.New(s.Mail, s.Logger, s.Config.PublicURL.String())
	s.Email = emailcode.New(s.CodeKey, s.Clock, s.Mail, notify.CodeMail)
	if s.Passkeys, err = passkey.New(s.Config.PublicURL, s.Config.Issuer, s.Clock); err != nil {
		return err
	}
	if !s.Passkeys.Available() {
		s.Logger.Info("security keys and passkeys are off: WebAuthn needs a host name, not an IP address, in " + config.EnvPublicURL)
	}
	s.SignIn = &signin.Service{
		DB: s.DB, Clock: s.Clock, Logger: s.Logger, Users: s.Users, Sessions: s.Sessions,
		Limiter: s.Limiter, Audit: s.Audit, TOTP: s.TOTP, Backup: s.Backup,
		Email: s.Email, Passkeys: s.Passkeys, Notify: s.Notify, Enforce: signin.Enforcement(s.Config.Enforce2FA),
	}
	s.Admin = &admin.Service{
		DB: s.DB, Clock: s.Clock, Users: s.Users, Sessions: s.Sessions, Limiter: s.Limiter,
		Audit: s.Audit, TOTP: s.TOTP, Backup: s.Backup, Passkeys: s.Passkeys, Enforce: s.SignIn.Enforce,
	}
	s.Reset = &reset.Service{
		DB: s.DB, Clock: s.Clock, Logger: s.Logger, Users: s.Users, Sessions: s.Sessions,
		Limiter: s.Limiter, Audit: s.Audit, Mail: s.Mail, Notify: s.Notify,
	}
	s.Console = &console.Handlers{
		DB: s.DB, Clock: s.Clock, Users: s.Users, Sessions: s.Sessions,
		Limiter: s.Limiter, Audit: s.Audit, TOTP: s.TOTP, Backup: s.Backup,
		Email: s.Email, Notify: s.Notify, SignIn: s.SignIn, CodeKey: s.CodeKey,
		Admin: s.Admin, Passkeys: s.Passkeys,
		Reset: s.Reset,
	}
	s.Leases = jobs.NewLeases(s.DB, s.Clock)
	s.Reminders = &reminder.Job{
		DB: s.DB, Clock: s.Clock, Logger: s.Logger, Mail: s.Mail, Notify: s.Notify, Expiry: s.Config.TFAExpiry,
	}
	s.Purge = &purge.Job{Logger: s.Logger, Pause: 10 * time.Millisecond, Sweeps: []purge.Sweep{
		{Name: "sessions", Delete: s.Sessions.DeleteExpired},
		{Name: "counters", Delete: s.Limiter.Prune},
		{Name: "reset_links", Delete: s.Reset.Prune},
		{Name: "known_clients", Delete: s.SignIn.PruneKnownClients},
		{Name: "passkey_challenges", Delete: func(ctx context.Context, limit int) (int64, error) {
			return s.Passkeys.Prune(ctx, s.DB, limit)
		}},
	}}
	if err := s.bootstrapAdmin(ctx, opts.Stderr); err != nil {
		return err
	}
	deps := router.Deps{Config: s.Config, Logger: s.Logger, DB: s.DB, Console: s.Console,
		RustDesk: &rustdesk.Handlers{SignIn: s.SignIn, Sessions: s.Sessions, Audit: s.Audit, DB: s.DB}}
	if opts.Static != nil {
		if s.UI, err = webui.New(opts.Static, webui.WithDomain(s.Config.PublicURL.Host)); err != nil {
			return err
		}
		deps.UI = s.UI
	}
	s.Handler, err = router.New(deps)
	return err
}

// bootstrapAdmin creates user admin on an empty database.
func (s *Server) bootstrapAdmin(ctx context.Context, stderr io.Writer) error {
	n, err := s.Users.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := s.Config.AdminPassword
	generated := password == ""
	if generated {
		if s.Config.Production() {
			return fmt.Errorf("the database has no user: set %s for the first admin, or create one with `twofold user create --username NAME --email EMAIL --admin`", config.EnvAdminPassword)
		}
		password = account.RandomPassword()
	}
	_, err = s.Users.Create(ctx, s.DB, account.NewUser{Username: "admin", Password: password, IsAdmin: true})
	var pe *account.PolicyError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("%s is refused (%s): choose a password of 8 to 256 characters that is not common", config.EnvAdminPassword, pe.Rule)
	case errors.Is(err, account.ErrUsernameTaken):
		return nil // another instance created it at the same moment
	case err != nil:
		return err
	}
	s.Logger.Info("first admin created", "username", "admin", "password_source", map[bool]string{true: "generated, printed to standard error", false: config.EnvAdminPassword}[generated])
	if generated {
		fmt.Fprintf(stderr, "\n  First admin account created. Sign in at %s\n    username: admin\n    password: %s\n  This password is shown once; change it in Settings.\n\n", s.Config.PublicURL, password)
	}
	return nil
}

// mailer picks the mail sender: SMTP when configured; otherwise mails are
// printed to standard error, except in production mode where they fail.
func (s *Server) mailer(stderr io.Writer) mail.Sender {
	from := s.Config.MailFrom.String()
	switch {
	case s.Config.SMTPURL != nil:
		if s.Config.SMTPURL.Scheme == "smtp" && !isLoopback(s.Config.SMTPURL.Hostname()) {
			s.Logger.Info("smtp:// uses STARTTLS when the server offers it; use smtps:// to require TLS")
		}
		return mail.NewSMTP(s.Config.SMTPURL, from)
	case s.Config.Production():
		s.Logger.Warn("SMTP is not configured: email codes and security notices cannot be sent (set TWOFOLD_SMTP_URL)")
		return mail.Disabled{}
	default:
		s.Logger.Warn("SMTP is not configured: mails are printed to standard error (set TWOFOLD_SMTP_URL)")
		return mail.NewStderr(stderr, from)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close waits for notices and reset mails under way and releases the
// database.
func (s *Server) Close() error {
	if s.Reset != nil {
		s.Reset.Close()
	}
	if s.Notify != nil {
		s.Notify.Close()
	}
	return s.DB.Close()
}

// Serve answers on ln until ctx is done, then stops taking requests and
// waits up to 15 s for those under way.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	// The background jobs stop, and are waited for, before Serve returns:
	// the database closes after that.
	jctx, stopJobs := context.WithCancel(ctx)
	var jobsDone sync.WaitGroup
	for _, j := range s.Jobs() {
		jobsDone.Add(1)
		go func() {
			defer jobsDone.Done()
			// The purge first runs after its interval, the reminders
			// soon after start (at most a minute), so a restart catches up.
			first := j.Every
			if j.Name == jobReminders {
				first = min(j.Every, time.Minute)
			}
			s.Leases.Loop(jctx, s.Logger, first, j)
		}()
	}
	defer func() { stopJobs(); jobsDone.Wait() }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Names of the background jobs (their leases).
const (
	// jobPurge keeps the lease name of the builds that called the job
	// "janitor", so that during a rolling upgrade old and new instances
	// still take turns.
	jobPurge     = "janitor"
	jobReminders = "reminders"
)

// Jobs are the background jobs Serve runs, each under its lease so that
// of several instances sharing the database one runs it at a time.
func (s *Server) Jobs() []jobs.Job {
	return []jobs.Job{
		{Name: jobPurge, Every: s.purgeEvery, Lease: 5 * time.Minute, Run: func(ctx context.Context) error {
			_, err := s.Purge.Run(ctx)
			return err
		}},
		{Name: jobReminders, Every: s.remindersEvery, Lease: reminder.DefaultBudget + time.Minute, Run: func(ctx context.Context) error {
			_, err := s.Reminders.Run(ctx)
			return err
		}},
	}
}
