package account

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
)

// Errors of this package.
var (
	// ErrUsernameTaken: another user has this username (case-insensitively).
	ErrUsernameTaken = errors.New("username already taken")
	// ErrEmailTaken: another user has this email (case-insensitively).
	ErrEmailTaken = errors.New("email already used by another account")
	// ErrBadUsername: the username has a character or length not allowed.
	ErrBadUsername = errors.New("username must be 1 to 64 letters of one script, digits, '.', '_', '-' or '@'")
)

// PolicyError tells which rule a new password breaks.
type PolicyError struct{ Rule string }

func (e *PolicyError) Error() string { return "password refused: " + e.Rule }

// Service creates and finds users and checks their passwords.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	hasher *Hasher
}

// NewService returns a user service.
func NewService(d *db.DB, c clock.Clock, h *Hasher) *Service {
	return &Service{db: d, clock: c, hasher: h}
}

// NormalizeUsername returns the look-up key of a username: trimmed, NFC,
// lower-cased with Unicode rules (SQLite's lower() is ASCII-only, so this is
// done in Go).
func NormalizeUsername(name string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(name)))
}

// NormalizeEmail returns the look-up key of an email address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// MaskEmail shows enough of an address to recognise it: a***@example.com
// ("***" when it has no local part).
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(email)
	return string(first) + "***" + email[at:]
}

// ValidUsername reports whether name may be given to a new user: 1 to 64
// letters, digits and "._-@" (after trimming and NFC), with letters and
// digits from one script, so that a look-alike of an existing name
// ("аdmin" with a Cyrillic "а") cannot be created. The scripts that are
// written together (Han with Hiragana and Katakana, Bopomofo or Hangul,
// each possibly with Latin) count as one, as in the "highly restrictive"
// level of Unicode TS #39 (section 5.2); ASCII digits and "._-@" belong to
// every script.
func ValidUsername(name string) bool {
	name = norm.NFC.String(strings.TrimSpace(name))
	n := 0
	var scripts []string
	for _, r := range name {
		n++
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r)) {
			return false
		}
		if s := scriptOf(r); s != "" && !slices.Contains(scripts, s) {
			scripts = append(scripts, s)
		}
	}
	return n >= 1 && n <= 64 && oneScript(scripts)
}

// scriptOf returns the Unicode script of r, or "" for the characters that
// every script uses (Common and Inherited: ASCII digits, "._-@", marks).
func scriptOf(r rune) string {
	switch {
	case r < utf8.RuneSelf:
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return ""
	case unicode.Is(unicode.Common, r), unicode.Is(unicode.Inherited, r):
		return ""
	}
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return "Unknown"
}

// scriptNames are the names of unicode.Scripts, sorted so that look-ups
// are deterministic.
var scriptNames = slices.Sorted(maps.Keys(unicode.Scripts))

// scriptGroups are the sets of scripts that are written together and may
// be mixed in one username (Unicode TS #39, "highly restrictive").
var scriptGroups = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"}, // Japanese
	{"Latin", "Han", "Bopomofo"},             // Chinese
	{"Latin", "Han", "Hangul"},               // Korean
}

// oneScript reports whether the scripts of a username are one script, or
// all in one of scriptGroups.
func oneScript(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, g := range scriptGroups {
		if !slices.ContainsFunc(scripts, func(s string) bool { return !slices.Contains(g, s) }) {
			return true
		}
	}
	return false
}

// NewUser describes a user to create.
type NewUser struct {
	Username string
	Email    string
	Password string
	IsAdmin  bool
}

// Create adds a user after checking the username and the password policy.
func (s *Service) Create(ctx context.Context, idb bun.IDB, nu NewUser) (*db.User, error) {
	if !ValidUsername(nu.Username) {
		return nil, ErrBadUsername
	}
	if rule := CheckNewPassword(nu.Username, nu.Password); rule != "" {
		return nil, &PolicyError{Rule: rule}
	}
	hash, err := s.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return nil, err
	}
	return s.CreateHashed(ctx, idb, nu, hash)
}

// CreateHashed adds a user whose password was hashed already (HashPassword,
// outside the transaction: it is slow on purpose); nu.Password is not
// used. A taken username or email is ErrUsernameTaken or ErrEmailTaken,
// checked before the insert so that the answer is exact inside a
// transaction too.
func (s *Service) CreateHashed(ctx context.Context, idb bun.IDB, nu NewUser, hash string) (*db.User, error) {
	if !ValidUsername(nu.Username) {
		return nil, ErrBadUsername
	}
	now := s.clock.Now()
	u := &db.User{
		Username:          norm.NFC.String(strings.TrimSpace(nu.Username)),
		UsernameKey:       NormalizeUsername(nu.Username),
		Email:             strings.TrimSpace(nu.Email),
		EmailKey:          emailKey(nu.Email),
		PasswordHash:      hash,
		IsAdmin:           nu.IsAdmin,
		CreatedAt:         now,
		UpdatedAt:         now,
		PasswordChangedAt: now,
	}
	if n, err := idb.NewSelect().Model((*db.User)(nil)).Where("username_key = ?", u.UsernameKey).Count(ctx); err != nil {
		return nil, fmt.Errorf("look up username %q: %w", u.Username, err)
	} else if n > 0 {
		return nil, ErrUsernameTaken
	}
	if u.EmailKey != nil {
		if n, err := idb.NewSelect().Model((*db.User)(nil)).Where("email_key = ?", *u.EmailKey).Count(ctx); err != nil {
			return nil, fmt.Errorf("look up email of %q: %w", u.Username, err)
		} else if n > 0 {
			return nil, ErrEmailTaken
		}
	}
	if _, err := idb.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			n, cerr := idb.NewSelect().Model((*db.User)(nil)).Where("username_key = ?", u.UsernameKey).Count(ctx)
			if cerr == nil && n > 0 {
				return nil, ErrUsernameTaken
			}
			return nil, ErrEmailTaken
		}
		return nil, fmt.Errorf("insert user %q: %w", u.Username, err)
	}
	return u, nil
}

func emailKey(email string) *string {
	k := NormalizeEmail(email)
	if k == "" {
		return nil
	}
	return &k
}

// Count returns the number of users.
func (s *Service) Count(ctx context.Context) (int64, error) {
	n, err := s.db.NewSelect().Model((*db.User)(nil)).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// ByUsername finds a user by username, case-insensitively.
func (s *Service) ByUsername(ctx context.Context, idb bun.IDB, name string) (*db.User, error) {
	u := new(db.User)
	err := idb.NewSelect().Model(u).Where("username_key = ?", NormalizeUsername(name)).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, "load user %q", name)
	}
	return u, nil
}

// ByID finds a user by id.
func (s *Service) ByID(ctx context.Context, idb bun.IDB, id int64) (*db.User, error) {
	u := new(db.User)
	if err := idb.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, "load user %d", id)
	}
	return u, nil
}

// CheckPassword reports whether password is u's. With u nil (unknown user)
// it takes the same time as for a user whose hash has the configured
// parameters, and answers false.
func (s *Service) CheckPassword(ctx context.Context, u *db.User, password string) (bool, error) {
	encoded := ""
	if u != nil {
		encoded = u.PasswordHash
	}
	return s.hasher.Verify(ctx, encoded, password)
}

// Rehash returns a new hash of u's password (just checked right) when its
// stored hash has other parameters than the configured ones, or "" when it
// needs none. Store it with UpgradeHash.
func (s *Service) Rehash(ctx context.Context, u *db.User, password string) (string, error) {
	if !s.hasher.NeedsRehash(u.PasswordHash) {
		return "", nil
	}
	return s.hasher.Hash(ctx, password)
}

// UpgradeHash replaces u's hash with hash (Rehash) within idb, unless the
// password changed meanwhile. It is no password change: sessions, reset
// links and the change date stay.
func (s *Service) UpgradeHash(ctx context.Context, idb bun.IDB, u *db.User, hash string) error {
	_, err := idb.NewUpdate().Model((*db.User)(nil)).Set("password_hash = ?", hash).
		Where("id = ?", u.ID).Where("password_hash = ?", u.PasswordHash).Exec(ctx)
	if err != nil {
		return fmt.Errorf("upgrade password hash of user %d: %w", u.ID, err)
	}
	u.PasswordHash = hash
	return nil
}

// Hasher returns the password hasher (its parameters and queue, for
// metrics and the benchmark).
func (s *Service) Hasher() *Hasher { return s.hasher }

// SetPassword replaces u's password after checking the policy.
func (s *Service) SetPassword(ctx context.Context, idb bun.IDB, u *db.User, password string) error {
	hash, err := s.HashPassword(ctx, u.Username, password)
	if err != nil {
		return err
	}
	return s.StorePassword(ctx, idb, u, hash)
}

// HashPassword checks a new password of username against the policy
// (*PolicyError) and hashes it. It is slow on purpose: call it before the
// transaction that stores the hash (StorePassword).
func (s *Service) HashPassword(ctx context.Context, username, password string) (string, error) {
	if rule := CheckNewPassword(username, password); rule != "" {
		return "", &PolicyError{Rule: rule}
	}
	return s.hasher.Hash(ctx, password)
}

// StorePassword replaces u's password hash (HashPassword) within idb.
// Every password change goes through it (console, reset link, command
// line, administrators), so it is the one place that ends u's password
// reset links: they die with any password change, in the same
// transaction.
func (s *Service) StorePassword(ctx context.Context, idb bun.IDB, u *db.User, hash string) error {
	now := s.clock.Now()
	_, err := idb.NewUpdate().Model((*db.User)(nil)).
		Set("password_hash = ?", hash).
		Set("password_changed_at = ?", now).
		Set("updated_at = ?", now).
		Where("id = ?", u.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("update password of user %d: %w", u.ID, err)
	}
	if _, err := idb.NewDelete().Model((*db.PasswordReset)(nil)).Where("user_id = ?", u.ID).Exec(ctx); err != nil {
		return fmt.Errorf("end password reset links of user %d: %w", u.ID, err)
	}
	u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, now, now
	return nil
}

// SetLanguage stores the language u's mails go out in.
func (s *Service) SetLanguage(ctx context.Context, idb bun.IDB, u *db.User, lang string) error {
	if _, err := idb.NewUpdate().Model((*db.User)(nil)).Set("language = ?", lang).Where("id = ?", u.ID).Exec(ctx); err != nil {
		return fmt.Errorf("store language of user %d: %w", u.ID, err)
	}
	u.Language = lang
	return nil
}

// SetLastLogin records that u completed a sign-in now, and writes event
// (audit.Recorder.Event; nil: none) with it within idb: on PostgreSQL in
// the same statement (a data-modifying WITH query, one round trip less),
// on SQLite, which has none, just before.
func (s *Service) SetLastLogin(ctx context.Context, idb bun.IDB, u *db.User, event *db.Event) error {
	now := s.clock.Now()
	q, args := lastLoginQuery(idb, u, now)
	switch {
	case event != nil && s.db.Kind == db.Postgres:
		// One prepared statement: the event's placeholders follow the
		// update's.
		ins, insArgs := db.InsertValues(idb.NewInsert().Model(event), len(args)+1, event.Columns()...)
		q, args = q.With("new_events", ins), append(args, insArgs...)
	case event != nil:
		ins, insArgs := db.InsertValues(idb.NewInsert().Model(event), 1, event.Columns()...)
		if _, err := ins.Conn(db.Prepared(idb, insArgs...)).Exec(ctx); err != nil {
			return fmt.Errorf("record event of user %d: %w", u.ID, err)
		}
	}
	if _, err := q.Conn(db.Prepared(idb, args...)).Exec(ctx); err != nil {
		return fmt.Errorf("record sign-in of user %d: %w", u.ID, err)
	}
	u.LastLoginAt = &now
	return nil
}

// SetLastLoginAfter is SetLastLogin in the statement that runs the clause
// promote (PostgreSQL only; session.Manager.PromoteClause): the event and
// the time are written only when the clause returns a row, and ok reports
// whether it did. When it did not, the statement wrote nothing.
func (s *Service) SetLastLoginAfter(ctx context.Context, idb bun.IDB, u *db.User, event *db.Event, promote db.Clause) (ok bool, err error) {
	now := s.clock.Now()
	q, args := lastLoginQuery(idb, u, now)
	q = q.Where("EXISTS (SELECT 1 FROM ?)", bun.Ident(promote.Name))
	pq, pargs := promote.Build(len(args) + 1)
	q, args = q.With(promote.Name, pq), append(args, pargs...)
	if event != nil {
		ins, iargs := db.InsertSelect(idb, "events", promote.Name, len(args)+1, event.Columns()...)
		q, args = q.With("new_events", ins), append(args, iargs...)
	}
	res, err := q.Conn(db.Prepared(idb, args...)).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record sign-in of user %d: %w", u.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	u.LastLoginAt = &now
	return true, nil
}

// lastLoginQuery sets u's last sign-in to now: its placeholders are the
// first two, args their values.
func lastLoginQuery(idb bun.IDB, u *db.User, now time.Time) (q *bun.UpdateQuery, args []any) {
	return idb.NewUpdate().Model((*db.User)(nil)).Set("last_login_at = ?", db.Arg(1)).Where("id = ?", db.Arg(2)), []any{now, u.ID}
}

// SetEmail replaces u's email and email-verification flag.
func (s *Service) SetEmail(ctx context.Context, idb bun.IDB, u *db.User, email string, verification bool) error {
	email = strings.TrimSpace(email)
	now := s.clock.Now()
	_, err := idb.NewUpdate().Model((*db.User)(nil)).
		Set("email = ?", email).
		Set("email_key = ?", emailKey(email)).
		Set("email_verification = ?", verification).
		Set("updated_at = ?", now).
		Where("id = ?", u.ID).Exec(ctx)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return ErrEmailTaken
		}
		return fmt.Errorf("update email of user %d: %w", u.ID, err)
	}
	u.Email, u.EmailKey, u.EmailVerification, u.UpdatedAt = email, emailKey(email), verification, now
	return nil
}
