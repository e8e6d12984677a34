// Package backupcode implements the six single-use backup codes: made from
// crypto/rand, shown once, stored only as keyed MACs with a per-code salt,
// consumed atomically.
package backupcode

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/secrets"
	"twofold/shared/validate"
)

const (
	// Count is how many codes a user gets.
	Count = 6
	// Length is the number of characters of a code: 10 characters of a
	// 32-letter alphabet are 50 random bits (at least 40 are required, so a
	// keyed MAC suffices instead of a slow password hash).
	Length = validate.BackupCodeLength
	// alphabet is Crockford's base32 in lower case: no i, l, o or u, so
	// codes read aloud or copied by hand stay unambiguous.
	alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	purpose  = "backup code v1"
	saltSize = 16
)

// Service makes and checks backup codes.
type Service struct {
	key   *secrets.CodeKey
	clock clock.Clock
}

// New returns a backup-code service.
func New(key *secrets.CodeKey, c clock.Clock) *Service {
	return &Service{key: key, clock: c}
}

// Format shows a code as xxxxx-xxxxx.
func Format(code string) string {
	if len(code) != Length {
		return code
	}
	return code[:5] + "-" + code[5:]
}

// Normalize turns what a user typed into a code: case and what
// validate.IgnoredInCode ignores (any white space, dashes, zero-width
// characters) are dropped as validate.NormalizeCode drops them, and
// look-alike letters are mapped as Crockford's base32 does (o → 0, i and
// l → 1). It returns "" if the result cannot be a code.
func Normalize(s string) string {
	s = validate.NormalizeCode(s)
	if len(s) != Length {
		return ""
	}
	b := []byte(s)
	for i, c := range b {
		switch c {
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if strings.IndexByte(alphabet, c) < 0 {
			return ""
		}
		b[i] = c
	}
	return string(b)
}

func random(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	out := make([]byte, n)
	for i, c := range buf {
		out[i] = alphabet[c&31] // 256 is a multiple of 32: no bias
	}
	return string(out), nil
}

// Replace deletes u's codes and stores Count new ones within idb. It
// returns the new codes, formatted, to be shown once. The caller holds
// the user's row lock (db.LockUser) in idb, so that parallel replacements
// run one after the other and leave exactly one set.
func (s *Service) Replace(ctx context.Context, idb bun.IDB, userID int64) ([]string, error) {
	if err := s.Delete(ctx, idb, userID); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	codes := make([]string, Count)
	rows := make([]db.BackupCode, Count)
	for i := range codes {
		code, err := random(Length)
		if err != nil {
			return nil, err
		}
		salt := make([]byte, saltSize)
		if _, err := rand.Read(salt); err != nil {
			return nil, fmt.Errorf("random salt: %w", err)
		}
		codes[i] = Format(code)
		rows[i] = db.BackupCode{UserID: userID, Salt: salt, MAC: s.key.MAC(purpose, salt, []byte(code)), CreatedAt: now}
	}
	if _, err := idb.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store backup codes of user %d: %w", userID, err)
	}
	return codes, nil
}

// Delete removes all of u's codes.
func (s *Service) Delete(ctx context.Context, idb bun.IDB, userID int64) error {
	if _, err := idb.NewDelete().Model((*db.BackupCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete backup codes of user %d: %w", userID, err)
	}
	return nil
}

// Remaining counts u's unused codes.
func (s *Service) Remaining(ctx context.Context, idb bun.IDB, userID int64) (int, error) {
	n, err := idb.NewSelect().Model((*db.BackupCode)(nil)).
		Where("user_id = ?", userID).Where("used_at IS NULL").Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count backup codes of user %d: %w", userID, err)
	}
	return int(n), nil
}

// Verify checks code against u's unused codes and consumes the matching
// one within idb, atomically (UPDATE ... WHERE used_at IS NULL): of
// parallel requests with the same code exactly one succeeds. Every unused
// code is compared, in constant time, whatever matches.
func (s *Service) Verify(ctx context.Context, idb bun.IDB, userID int64, code string) (bool, error) {
	code = Normalize(code)
	if code == "" {
		return false, nil
	}
	var rows []db.BackupCode
	if err := idb.NewSelect().Model(&rows).Where("user_id = ?", userID).Where("used_at IS NULL").Scan(ctx); err != nil {
		return false, fmt.Errorf("load backup codes of user %d: %w", userID, err)
	}
	var match int64
	for _, r := range rows {
		if secrets.Equal(s.key.MAC(purpose, r.Salt, []byte(code)), r.MAC) {
			match = r.ID
		}
	}
	if match == 0 {
		return false, nil
	}
	res, err := idb.NewUpdate().Model((*db.BackupCode)(nil)).
		Set("used_at = ?", s.clock.Now()).
		Where("id = ?", match).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use backup code of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
