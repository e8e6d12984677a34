// Package cli is the server binary's command line: serve (default),
// migrate, user create / list / reset-2fa / reset-email-verification /
// unlock / set-admin / disable / set-password, rotate-key.
package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"

	"twofold/server/internal/clock"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/keys"
	"twofold/server/internal/secrets"
	"twofold/server/internal/server"
)

// Env is what a command runs with.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Static holds the UI files to serve (web.FS() in the real binary).
	Static fs.FS
	// Ready, if set, receives the listening address once serve listens.
	Ready func(addr string)
}

const usage = `Usage: twofold [command]

Commands:
  serve                         run the console (default)
  migrate                       apply database migrations and exit
  user create --username U [--email E] [--admin]
                                create a user; the password is read from standard input
  user list                     list the users: username, email, admin, disabled, 2FA
                                state, last sign-in
  user reset-2fa U              remove U's TOTP secret, backup codes and failure counters,
                                and end U's sessions and tokens (email verification stays)
  user reset-email-verification U
                                turn off email login verification for U
  user unlock U                 clear U's password and 2FA failure counters
  user set-admin U true|false   make U an administrator, or not
  user disable U true|false     disable U (ending U's sessions and tokens), or enable U
  user set-password U           replace U's password (read from standard input) and end
                                U's sessions and tokens
  rotate-key                    re-encrypt every TOTP secret with a new key file
  argon2-speed [--seconds N] [--json]
                                measure the password hash of TWOFOLD_ARGON2 on this
                                machine: one hash, and hashes per second with every
                                hash slot busy (what bounds sign-ins per second)
Every user change is recorded in the user's activity with the actor "cli".
The last enabled administrator can be neither demoted nor disabled.
Configuration comes from the environment (TWOFOLD_*); see README.md.
`

// Run runs the command of env.Args and returns the exit status.
func Run(ctx context.Context, env Env) int {
	args := env.Args
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	// Commands set slog's default logger; it is put back when they end.
	defer slog.SetDefault(slog.Default())
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, env)
	case "migrate":
		err = migrate(ctx, env)
	case "user":
		err = user(ctx, env, args)
	case "rotate-key":
		if len(args) > 0 {
			err = fmt.Errorf("rotate-key takes no arguments")
			break
		}
		err = rotateKey(ctx, env)
	case "argon2-speed":
		err = argon2Speed(ctx, env, args)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		err = fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "twofold:", err)
		return 1
	}
	return 0
}

// loadConfig reads the configuration and builds the logger it asks for
// (TWOFOLD_LOG_FORMAT, TWOFOLD_LOG_LEVEL), which also becomes slog's
// default, so code that logs without a logger of its own writes the same
// way to the same place.
func loadConfig(env Env) (config.Config, *slog.Logger, error) {
	cfg, err := config.FromEnv(env.Getenv)
	if err != nil {
		return cfg, nil, err
	}
	logger := newLogger(env.Stdout, cfg)
	slog.SetDefault(logger)
	return cfg, logger, nil
}

// newLogger writes cfg.LogFormat (text or json) at cfg.LogLevel to w.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, env Env) error {
	cfg, logger, err := loadConfig(env)
	if err != nil {
		return err
	}
	logger.Info("starting", "config", cfg)
	s, err := server.Open(ctx, cfg, server.Options{Logger: logger, Stderr: env.Stderr, Static: env.Static,
		PurgeEvery: cfg.JobsEvery, RemindersEvery: cfg.JobsEvery})
	if err != nil {
		return err
	}
	defer s.Close()
	limitMemory(s.Users.Hasher(), logger)
	if s.UI != nil {
		logger.Info("console ready", "ui", s.UI.String())
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "url", cfg.PublicURL.String())
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	return s.Serve(ctx, ln)
}

func migrate(ctx context.Context, env Env) error {
	cfg, _, err := loadConfig(env)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(env.Stdout, "database is up to date")
		return nil
	}
	fmt.Fprintln(env.Stdout, "applied:", strings.Join(applied, ", "))
	return nil
}

// store is an opened, migrated database and its checked key.
type store struct {
	cfg    config.Config
	logger *slog.Logger
	db     *db.DB
	key    *secrets.Key
}

// openStore reads the configuration, opens the database, applies the
// migrations and loads the key (finishing an interrupted rotation), as
// every command that touches users or keys needs.
func openStore(ctx context.Context, env Env) (*store, error) {
	cfg, logger, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	key, err := keys.Load(ctx, d, cfg.SecretKeyFile, keys.Options{
		Clock: clock.System{}, Logger: logger, AllowShared: cfg.AllowSharedKeyFile,
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	return &store{cfg: cfg, logger: logger, db: d, key: key}, nil
}

func user(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("user: which command? create, list, reset-2fa, reset-email-verification, unlock, set-admin, disable, set-password\n\n%s", usage)
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, env, args[1:])
	case "list":
		return userList(ctx, env, args[1:])
	case "reset-email-verification":
		return userResetEmailVerification(ctx, env, args[1:])
	case "reset-2fa":
		return userReset2FA(ctx, env, args[1:])
	case "unlock":
		return userUnlock(ctx, env, args[1:])
	case "set-admin":
		return userSetAdmin(ctx, env, args[1:])
	case "disable":
		return userDisable(ctx, env, args[1:])
	case "set-password":
		return userSetPassword(ctx, env, args[1:])
	}
	return fmt.Errorf("user: unknown command %q\n\n%s", args[0], usage)
}
