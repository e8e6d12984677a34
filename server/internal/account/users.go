package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

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
	ErrBadUsername = errors.New("username must be 1 to 64 letters, digits, '.', '_', '-' or '@'")
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

// ValidUsername reports whether name may be given to a new user.
func ValidUsername(name string) bool {
	name = strings.TrimSpace(name)
	n := 0
	for _, r := range name {
		n++
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return n >= 1 && n <= 64
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

// SetLastLogin records that u completed a sign-in now.
func (s *Service) SetLastLogin(ctx context.Context, idb bun.IDB, u *db.User) error {
	now := s.clock.Now()
	if _, err := idb.NewUpdate().Model((*db.User)(nil)).Set("last_login_at = ?", now).Where("id = ?", u.ID).Exec(ctx); err != nil {
		return fmt.Errorf("record sign-in of user %d: %w", u.ID, err)
	}
	u.LastLoginAt = &now
	return nil
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
