package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/admin"
	"twofold/server/internal/audit"
	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/keys"
	"twofold/server/internal/mfa/backupcode"
	"twofold/server/internal/mfa/totp"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/server/internal/signin"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// cliOrigin is the origin of every change made with the command line.
var cliOrigin = audit.Origin{Actor: audit.ActorCLI}

// admins is an opened, migrated database with the administrators'
// operations: the same ones the console's admin API runs.
type admins struct {
	db    *db.DB
	users *account.Service
	svc   *admin.Service
}

// openAdmins opens the database (migrated, key checked) for user commands.
func openAdmins(ctx context.Context, env Env) (*admins, error) {
	st, err := openStore(ctx, env)
	if err != nil {
		return nil, err
	}
	c := clock.System{}
	codeKey, err := keys.LoadCodeKey(ctx, st.db, st.key, c)
	if err != nil {
		st.db.Close()
		return nil, err
	}
	users := account.NewService(st.db, c, account.NewHasher(0, st.cfg.Argon2, 0))
	return &admins{db: st.db, users: users, svc: &admin.Service{
		DB: st.db, Clock: c, Users: users,
		Sessions: session.NewManager(st.db, c, session.Config{}),
		Limiter:  ratelimit.New(st.db, c),
		Audit:    audit.New(st.db, c),
		TOTP:     totp.New(st.key, c, st.cfg.Issuer, st.cfg.TFAExpiry),
		Backup:   backupcode.New(codeKey, c),
		Enforce:  signin.Enforcement(st.cfg.Enforce2FA),
	}}, nil
}

// openUser opens the database for a command about one user, named by the
// command's first argument; the command takes n arguments in all.
func openUser(ctx context.Context, env Env, cmd string, args []string, n int, usage string) (*admins, *db.User, error) {
	if len(args) != n {
		return nil, nil, fmt.Errorf("%s: usage: twofold %s", cmd, usage)
	}
	a, err := openAdmins(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	u, err := a.users.ByUsername(ctx, a.db, args[0])
	if err != nil {
		a.db.Close()
		if errors.Is(err, db.ErrNotFound) {
			return nil, nil, fmt.Errorf("%s: no user %q", cmd, args[0])
		}
		return nil, nil, err
	}
	return a, u, nil
}

// change runs fn on u in one transaction, after admin.Lock (with every
// enabled administrator when admins is set), with u as it is now.
func (a *admins) change(ctx context.Context, u *db.User, withAdmins bool, fn func(ctx context.Context, tx bun.Tx, u *db.User) error) error {
	return a.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		locked, err := a.svc.Lock(ctx, tx, withAdmins, u.ID)
		if err != nil {
			return err
		}
		*u = *locked[0]
		return fn(ctx, tx, u)
	})
}

// parseBool reads the true|false argument of cmd.
func parseBool(cmd, s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%s: give true or false, not %q", cmd, s)
}

func userCreate(ctx context.Context, env Env, args []string) error {
	fset := flag.NewFlagSet("user create", flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	username := fset.String("username", "", "username (required)")
	email := fset.String("email", "", "email address")
	isAdmin := fset.Bool("admin", false, "make the user an administrator")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *username == "" || fset.NArg() > 0 {
		return errors.New("user create: --username is required; the password is read from standard input")
	}
	// The admin API's rules (POST /api/admin/users), on the same trimmed
	// values.
	*username, *email = strings.TrimSpace(*username), strings.TrimSpace(*email)
	if !account.ValidUsername(*username) {
		return fmt.Errorf("user create: %w", account.ErrBadUsername)
	}
	if p := validate.Struct(&api.AdminUserCreate{Username: *username, Email: *email}); !p.Empty() {
		if msg, ok := p.Fields["email"]; ok {
			return fmt.Errorf("user create: --email %q refused: %s", *email, msg)
		}
		return fmt.Errorf("user create: %v", p.Fields)
	}
	password, err := readPassword("user create", env.Stdin)
	if err != nil {
		return err
	}
	a, err := openAdmins(ctx, env)
	if err != nil {
		return err
	}
	defer a.db.Close()
	hash, err := a.users.HashPassword(ctx, *username, password)
	if err != nil {
		return passwordError("user create", err)
	}
	var u *db.User
	err = a.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		u, err = a.svc.Create(ctx, tx, account.NewUser{Username: *username, Email: *email, IsAdmin: *isAdmin}, hash, cliOrigin)
		return err
	})
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	fmt.Fprintf(env.Stdout, "created user %s (id %d)\n", u.Username, u.ID)
	return nil
}

// passwordError explains a refused password.
func passwordError(cmd string, err error) error {
	var pe *account.PolicyError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: password refused (%s): use 8 to 256 characters, not the username, not a common password", cmd, pe.Rule)
	}
	return fmt.Errorf("%s: %w", cmd, err)
}

// readPassword reads one line of standard input: the password of cmd.
func readPassword(cmd string, r io.Reader) (string, error) {
	if r == nil {
		return "", fmt.Errorf("%s: send the password on standard input", cmd)
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("%s: send the password on standard input (one line)", cmd)
	}
	return line, nil
}

// userList prints every user as a table, by username.
func userList(ctx context.Context, env Env, args []string) error {
	if len(args) != 0 {
		return errors.New("user list: takes no arguments")
	}
	a, err := openAdmins(ctx, env)
	if err != nil {
		return err
	}
	defer a.db.Close()
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tEMAIL\tADMIN\tDISABLED\t2FA\tLAST SIGN-IN")
	yesNo := map[bool]string{true: "yes", false: "no"}
	for page := 1; ; page++ {
		users, total, err := a.svc.List(ctx, a.db, admin.Query{Page: page, PerPage: api.AdminMaxPerPage})
		if err != nil {
			return fmt.Errorf("user list: %w", err)
		}
		for _, u := range users {
			email, last, tfa := u.Email, "never", u.TFA.State
			if email == "" {
				email = "-"
			}
			if u.LastLogin != nil {
				last = u.LastLogin.UTC().Format(time.RFC3339)
			}
			if u.TFA.Enforced {
				tfa += " (enforced)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, email, yesNo[u.IsAdmin], yesNo[u.Disabled], tfa, last)
		}
		if int64(page*api.AdminMaxPerPage) >= total {
			break
		}
	}
	return w.Flush()
}

// userResetEmailVerification turns email login verification off.
func userResetEmailVerification(ctx context.Context, env Env, args []string) error {
	const cmd = "user reset-email-verification"
	a, u, err := openUser(ctx, env, cmd, args, 1, cmd+" USERNAME")
	if err != nil {
		return err
	}
	defer a.db.Close()
	off := false
	err = a.change(ctx, u, false, func(ctx context.Context, tx bun.Tx, u *db.User) error {
		_, err := a.svc.Update(ctx, tx, u, admin.Change{EmailVerification: &off}, cliOrigin)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(env.Stdout, "email login verification is off for %s\n", u.Username)
	return nil
}

// userReset2FA removes a user's TOTP secret, backup codes and failure
// counters, and ends the user's sessions and tokens. Email verification
// stays.
func userReset2FA(ctx context.Context, env Env, args []string) error {
	const cmd = "user reset-2fa"
	a, u, err := openUser(ctx, env, cmd, args, 1, cmd+" USERNAME")
	if err != nil {
		return err
	}
	defer a.db.Close()
	err = a.change(ctx, u, false, func(ctx context.Context, tx bun.Tx, u *db.User) error {
		return a.svc.ResetTFA(ctx, tx, u, 0, cliOrigin)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(env.Stdout, "2FA removed for %s; their sessions and tokens ended\n", u.Username)
	return nil
}

// userUnlock clears a user's password and second-factor failure counters.
func userUnlock(ctx context.Context, env Env, args []string) error {
	const cmd = "user unlock"
	a, u, err := openUser(ctx, env, cmd, args, 1, cmd+" USERNAME")
	if err != nil {
		return err
	}
	defer a.db.Close()
	err = a.change(ctx, u, false, func(ctx context.Context, tx bun.Tx, u *db.User) error {
		return a.svc.Unlock(ctx, tx, u, cliOrigin)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(env.Stdout, "%s unlocked: password and 2FA failure counters cleared\n", u.Username)
	return nil
}

// userSetAdmin and userDisable change one setting under the rule that
// the last enabled administrator stays.
func userSetAdmin(ctx context.Context, env Env, args []string) error {
	return userSet(ctx, env, "user set-admin", args, func(v bool) admin.Change { return admin.Change{IsAdmin: &v} },
		map[bool]string{true: "%s is an administrator\n", false: "%s is not an administrator\n"})
}

func userDisable(ctx context.Context, env Env, args []string) error {
	return userSet(ctx, env, "user disable", args, func(v bool) admin.Change { return admin.Change{Disabled: &v} },
		map[bool]string{true: "%s is disabled; their sessions and tokens ended\n", false: "%s is enabled\n"})
}

func userSet(ctx context.Context, env Env, cmd string, args []string, change func(bool) admin.Change, done map[bool]string) error {
	if len(args) != 2 {
		return fmt.Errorf("%s: usage: twofold %s USERNAME true|false", cmd, cmd)
	}
	v, err := parseBool(cmd, args[1])
	if err != nil {
		return err
	}
	a, u, err := openUser(ctx, env, cmd, args, 2, cmd+" USERNAME true|false")
	if err != nil {
		return err
	}
	defer a.db.Close()
	err = a.change(ctx, u, true, func(ctx context.Context, tx bun.Tx, u *db.User) error {
		_, err := a.svc.Update(ctx, tx, u, change(v), cliOrigin)
		return err
	})
	if errors.Is(err, admin.ErrLastAdmin) {
		return fmt.Errorf("%s: refused (conflict): %s is the last enabled administrator; make another user an administrator first", cmd, u.Username)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(env.Stdout, done[v], u.Username)
	return nil
}

// userSetPassword replaces a user's password (read from standard input,
// checked against the policy) and ends the user's sessions and tokens.
func userSetPassword(ctx context.Context, env Env, args []string) error {
	const cmd = "user set-password"
	a, u, err := openUser(ctx, env, cmd, args, 1, cmd+" USERNAME (the password on standard input)")
	if err != nil {
		return err
	}
	defer a.db.Close()
	password, err := readPassword(cmd, env.Stdin)
	if err != nil {
		return err
	}
	hash, err := a.users.HashPassword(ctx, u.Username, password)
	if err != nil {
		return passwordError(cmd, err)
	}
	err = a.change(ctx, u, false, func(ctx context.Context, tx bun.Tx, u *db.User) error {
		return a.svc.SetPassword(ctx, tx, u, hash, cliOrigin)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(env.Stdout, "password of %s changed; their sessions and tokens ended\n", u.Username)
	return nil
}
