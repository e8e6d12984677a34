// Package cli is the server binary's command line: serve (default),
// migrate, user create / reset-2fa / reset-email-verification, rotate-key.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"

	"twofold/server/internal/account"
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
  user reset-2fa U              remove U's TOTP secret, backup codes and 2FA failure
                                counters, and end U's sessions (email verification stays)
  user reset-email-verification U
                                turn off email login verification for U
  rotate-key                    re-encrypt every TOTP secret with a new key file
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
	s, err := server.Open(ctx, cfg, server.Options{Logger: logger, Stderr: env.Stderr, Static: env.Static})
	if err != nil {
		return err
	}
	defer s.Close()
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

// openUsers opens the database (migrated, key checked) for user commands.
func openUsers(ctx context.Context, env Env) (*db.DB, *account.Service, error) {
	st, err := openStore(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	return st.db, account.NewService(st.db, clock.System{}, account.NewHasher(0, st.cfg.Argon2, 0)), nil
}

func user(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("user: which command? create, reset-2fa, reset-email-verification\n\n%s", usage)
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, env, args[1:])
	case "reset-email-verification":
		return userResetEmailVerification(ctx, env, args[1:])
	case "reset-2fa":
		return userReset2FA(ctx, env, args[1:])
	}
	return fmt.Errorf("user: unknown command %q\n\n%s", args[0], usage)
}

func userCreate(ctx context.Context, env Env, args []string) error {
	fset := flag.NewFlagSet("user create", flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	username := fset.String("username", "", "username (required)")
	email := fset.String("email", "", "email address")
	admin := fset.Bool("admin", false, "make the user an administrator")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *username == "" || fset.NArg() > 0 {
		return errors.New("user create: --username is required; the password is read from standard input")
	}
	password, err := readPassword(env.Stdin)
	if err != nil {
		return err
	}
	d, users, err := openUsers(ctx, env)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := users.Create(ctx, d, account.NewUser{Username: *username, Email: *email, Password: password, IsAdmin: *admin})
	var pe *account.PolicyError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("user create: password refused (%s): use 8 to 256 characters, not the username, not a common password", pe.Rule)
	case err != nil:
		return fmt.Errorf("user create: %w", err)
	}
	fmt.Fprintf(env.Stdout, "created user %s (id %d)\n", u.Username, u.ID)
	return nil
}

func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("user create: send the password on standard input")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("user create: send the password on standard input (one line)")
	}
	return line, nil
}

// openUser opens the database for a command about one user, named by the
// command's single argument.
func openUser(ctx context.Context, env Env, cmd string, args []string) (*db.DB, *account.Service, *db.User, error) {
	if len(args) != 1 {
		return nil, nil, nil, fmt.Errorf("%s: give one username", cmd)
	}
	d, users, err := openUsers(ctx, env)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := users.ByUsername(ctx, d, args[0])
	if err != nil {
		d.Close()
		if errors.Is(err, db.ErrNotFound) {
			return nil, nil, nil, fmt.Errorf("%s: no user %q", cmd, args[0])
		}
		return nil, nil, nil, err
	}
	return d, users, u, nil
}

func userResetEmailVerification(ctx context.Context, env Env, args []string) error {
	d, users, u, err := openUser(ctx, env, "user reset-email-verification", args)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := users.SetEmail(ctx, d, u, u.Email, false); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "email login verification is off for %s\n", u.Username)
	return nil
}
