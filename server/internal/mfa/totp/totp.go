// Package totp implements TOTP (RFC 6238) second factors: enrolment with a
// pending secret confirmed by a code, secrets sealed at rest, verification
// within ±1 time step, and replay protection by recording the last accepted
// step atomically.
package totp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/url"
	"time"

	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/secrets"
	"twofold/shared/validate"
)

// Parameters: the only ones common authenticator apps honour.
const (
	// SecretSize is 160 bits, the size RFC 4226 (R6) recommends for SHA-1.
	SecretSize = 160 / 8
	// Period is the time step in seconds.
	Period = 30
	// Digits is the code length, as authenticator apps show it.
	Digits = validate.TOTPDigits
	// Skew accepts codes of one step before and after now (clock drift).
	Skew = 1
	// PendingTTL is how long a secret waits for its confirming code.
	PendingTTL = 15 * time.Minute
	// BehindMin and BehindMax bound the clock hint (API.md): a wrong code
	// that was right 2 to 10 minutes ago, steps −20 … −4, tells that the
	// device's clock is behind. Future steps never hint: that would tell a
	// guesser which code works a few minutes later.
	BehindMin = 2 * 60 / Period
	BehindMax = 10 * 60 / Period
)

// Errors of this package.
var (
	// ErrNoPending is returned by Enable without a (fresh) pending secret.
	ErrNoPending = errors.New("no pending TOTP setup")
	// errNoSecret is returned by load when the user has no TOTP row.
	errNoSecret = errors.New("no totp secret")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Locations of the sealed columns: the associated data binds each sealed
// secret to its table, column and user.
func secretLoc(userID int64) secrets.Location {
	return secrets.Location{Table: "totp_secrets", Column: "secret", UserID: userID}
}

func pendingLoc(userID int64) secrets.Location {
	return secrets.Location{Table: "totp_secrets", Column: "pending_secret", UserID: userID}
}

// Service keeps TOTP secrets.
type Service struct {
	key    *secrets.Key
	clock  clock.Clock
	issuer string
	expiry time.Duration
}

// New returns a TOTP service; expiry is TWOFOLD_TFA_EXPIRY.
func New(key *secrets.Key, c clock.Clock, issuer string, expiry time.Duration) *Service {
	return &Service{key: key, clock: c, issuer: issuer, expiry: expiry}
}

// Setup is a new pending secret as shown to the user.
type Setup struct {
	Secret     string // base32, no padding: 32 characters
	OTPAuthURL string
	QRPNG      string // data:image/png;base64,...
}

// Step returns the time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// Options select the algorithm and length of codes. Production uses the
// zero value (SHA-1, 6 digits); tests use others for RFC 6238's vectors.
type Options struct {
	Algorithm otp.Algorithm
	Digits    otp.Digits
}

func (o Options) hotp() hotp.ValidateOpts {
	if o.Digits == 0 {
		o.Digits = otp.DigitsSix
	}
	return hotp.ValidateOpts{Digits: o.Digits, Algorithm: o.Algorithm}
}

// Code returns the code of secret at time step step.
func Code(secret []byte, step int64, o Options) (string, error) {
	return hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(step), o.hotp())
}

// Match checks code against the steps around now (±Skew) in constant time,
// without stopping at the first match, and returns the latest matching
// step.
func Match(secret []byte, code string, now time.Time, o Options) (int64, bool) {
	digits := o.hotp().Digits.Length()
	if len(code) != digits {
		return 0, false
	}
	center := Step(now)
	var found int64
	ok := 0
	for step := center - Skew; step <= center+Skew; step++ {
		want, err := Code(secret, step, o)
		if err != nil {
			return 0, false
		}
		eq := subtle.ConstantTimeCompare([]byte(want), []byte(code))
		// Keep the latest matching step without branching on secrets.
		found = int64(subtle.ConstantTimeSelect(eq, int(step), int(found)))
		ok |= eq
	}
	return found, ok == 1
}

// Behind reports whether code was the code of one of the steps 2 to 10
// minutes before now (BehindMax … BehindMin steps back): the device that
// shows it runs late. Like Match it computes every step of the window and
// compares in constant time without stopping at a match. Call it only for
// a code already found wrong.
func Behind(secret []byte, code string, now time.Time, o Options) bool {
	if len(code) != o.hotp().Digits.Length() {
		return false
	}
	center := Step(now)
	ok := 0
	for step := center - BehindMax; step <= center-BehindMin; step++ {
		want, err := Code(secret, step, o)
		if err != nil {
			return false
		}
		ok |= subtle.ConstantTimeCompare([]byte(want), []byte(code))
	}
	return ok == 1
}

// Result is what a code check found.
type Result struct {
	// OK: the code is right, and its time step is consumed.
	OK bool
	// ClockBehind: the code is wrong, but it was right 2 to 10 minutes ago
	// (Behind): the user's device clock is behind.
	ClockBehind bool
	// Cause says why a code was refused, for the log only (API.md: the
	// cause is logged, not told); "" when OK.
	Cause string
}

// Causes of a refused code (Result.Cause).
const (
	CauseNoSecret = "no TOTP secret enabled"
	CauseWrong    = "wrong TOTP code"
	CauseBehind   = "wrong TOTP code, right 2 to 10 minutes ago (device clock behind)"
	CauseReplay   = "TOTP code of a time step already used (replay)"
)

// Status is a user's TOTP state.
type Status struct {
	Enabled   bool
	EnabledAt time.Time
	ExpiresAt time.Time
	Expired   bool
}

// Status returns u's TOTP state.
func (s *Service) Status(ctx context.Context, idb bun.IDB, userID int64) (Status, error) {
	row, err := s.load(ctx, idb, userID)
	if errors.Is(err, errNoSecret) {
		return Status{}, nil
	}
	if err != nil {
		return Status{}, err
	}
	return s.StatusOf(row), nil
}

// StatusOf returns the TOTP state of a stored row (nil: none).
func (s *Service) StatusOf(row *db.TOTPSecret) Status {
	if row == nil || row.Secret == nil {
		return Status{}
	}
	return s.StatusSince(row.EnabledAt)
}

// StatusSince returns the state of a secret enabled at enabledAt (nil:
// no enabled secret): expiry counts from it (TWOFOLD_TFA_EXPIRY).
func (s *Service) StatusSince(enabledAt *time.Time) Status {
	if enabledAt == nil {
		return Status{}
	}
	st := Status{Enabled: true, EnabledAt: enabledAt.UTC(), ExpiresAt: enabledAt.Add(s.expiry).UTC()}
	st.Expired = !s.clock.Now().Before(st.ExpiresAt)
	return st
}

func (s *Service) load(ctx context.Context, idb bun.IDB, userID int64) (*db.TOTPSecret, error) {
	row := new(db.TOTPSecret)
	err := idb.NewSelect().Model(row).Where("user_id = ?", db.Arg(1)).Conn(db.Prepared(idb, userID)).Scan(ctx)
	if err != nil {
		if err = db.NotFound(err, "load totp secret of user %d", userID); errors.Is(err, db.ErrNotFound) {
			return nil, errNoSecret
		}
		return nil, err
	}
	return row, nil
}

// NewSecret returns a new random secret of SecretSize bytes.
func NewSecret() ([]byte, error) {
	raw := make([]byte, SecretSize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	return raw, nil
}

// Begin stores raw (NewSecret) as the user's pending secret within idb,
// replacing any earlier pending one. Nothing else changes until Enable
// confirms it.
func (s *Service) Begin(ctx context.Context, idb bun.IDB, userID int64, raw []byte) error {
	sealed, err := s.key.Seal(raw, pendingLoc(userID))
	if err != nil {
		return err
	}
	now := s.clock.Now()
	row := &db.TOTPSecret{UserID: userID, PendingSecret: sealed, PendingCreatedAt: &now, UpdatedAt: now}
	_, err = idb.NewInsert().Model(row).
		On("CONFLICT (user_id) DO UPDATE").
		Set("pending_secret = EXCLUDED.pending_secret").
		Set("pending_created_at = EXCLUDED.pending_created_at").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store pending secret of user %d: %w", userID, err)
	}
	return nil
}

// qrImage draws the QR code of text with whole pixels per module (about
// 256 pixels wide, so that no module is wider than another: scaling to a
// size that is not a multiple blurs the grid for some scanners) and a
// white quiet zone of four modules all around (scanners need it, and the
// console may show the image on a dark page).
func qrImage(text string) (image.Image, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	n := code.Bounds().Dx()
	scale := max(256/n, 1)
	const quiet = 4 // modules
	side := (n + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for y := range n {
		for x := range n {
			if c := color.GrayModel.Convert(code.At(code.Bounds().Min.X+x, code.Bounds().Min.Y+y)).(color.Gray); c.Y < 128 {
				r := image.Rect((quiet+x)*scale, (quiet+y)*scale, (quiet+x+1)*scale, (quiet+y+1)*scale)
				draw.Draw(img, r, image.Black, image.Point{}, draw.Src)
			}
		}
	}
	return img, nil
}

// SetupOf shows a secret to its user: base32 key, otpauth URL and QR code.
func (s *Service) SetupOf(username string, raw []byte) (*Setup, error) {
	secret := b32.EncodeToString(raw)
	u := s.URL(username, secret)
	key, err := otp.NewKeyFromURL(u)
	if err != nil {
		return nil, err
	}
	img, err := qrImage(key.String())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	return &Setup{
		Secret:     secret,
		OTPAuthURL: u,
		QRPNG:      "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// URL is the otpauth URL of a secret:
// otpauth://totp/<Issuer>:<username>?secret=...&issuer=<Issuer>.
func (s *Service) URL(username, secret string) string {
	label := url.PathEscape(s.issuer) + ":" + url.PathEscape(username)
	return "otpauth://totp/" + label + "?secret=" + secret + "&issuer=" + url.QueryEscape(s.issuer)
}

// Confirmed is the result of a successful Enable.
type Confirmed struct {
	// Renewed: a secret was enabled before and is now replaced.
	Renewed bool
}

// Enable checks code against u's pending secret and, if it matches, makes
// it the secret within tx (the caller replaces backup codes and ends other
// sessions in the same transaction). The matched step is recorded, so the
// confirming code cannot be used again. A wrong code is not OK, and may
// carry the clock hint (Result.ClockBehind).
func (s *Service) Enable(ctx context.Context, tx bun.Tx, userID int64, code string) (*Confirmed, Result, error) {
	row, err := s.load(ctx, tx, userID)
	if errors.Is(err, errNoSecret) {
		return nil, Result{}, ErrNoPending
	}
	if err != nil {
		return nil, Result{}, err
	}
	now := s.clock.Now()
	if row.PendingSecret == nil || row.PendingCreatedAt == nil || now.Sub(*row.PendingCreatedAt) > PendingTTL {
		return nil, Result{}, ErrNoPending
	}
	raw, err := s.key.Open(row.PendingSecret, pendingLoc(userID))
	if err != nil {
		return nil, Result{}, fmt.Errorf("open pending secret of user %d: %w", userID, err)
	}
	step, ok := Match(raw, code, now, Options{})
	if !ok {
		return nil, Result{ClockBehind: Behind(raw, code, now, Options{})}, nil
	}
	sealed, err := s.key.Seal(raw, secretLoc(userID))
	if err != nil {
		return nil, Result{}, err
	}
	res, err := tx.NewUpdate().Model((*db.TOTPSecret)(nil)).
		Set("secret = ?", sealed).
		Set("enabled_at = ?", now).
		Set("last_step = ?", step).
		Set("pending_secret = NULL").
		Set("pending_created_at = NULL").
		Set("updated_at = ?", now).
		Where("user_id = ?", userID).
		Where("pending_secret = ?", row.PendingSecret).
		Exec(ctx)
	if err != nil {
		return nil, Result{}, fmt.Errorf("enable totp of user %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		// A parallel setup replaced the pending secret meanwhile.
		return nil, Result{}, ErrNoPending
	}
	return &Confirmed{Renewed: row.Secret != nil}, Result{OK: true}, nil
}

// Verify checks a TOTP code of the user's enabled secret and consumes its
// time step within idb, atomically: the same code, or any code of that
// step or an older one, is refused afterwards, also to a parallel request.
// The replay record belongs to the secret itself: a new secret starts
// fresh, and a record is never applied to another secret. code is
// normalised (validate.NormalizeCode). A wrong code may carry the clock
// hint (Result.ClockBehind); a replayed one never does.
func (s *Service) Verify(ctx context.Context, idb bun.IDB, userID int64, code string) (Result, error) {
	row, err := s.load(ctx, idb, userID)
	if errors.Is(err, errNoSecret) {
		return Result{}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return s.verify(ctx, idb, userID, row, code)
}

// Locked is a user's TOTP row read with the user's row lock (LoadLocked).
type Locked struct {
	row *db.TOTPSecret // nil: none
}

// LoadLocked takes the user's row lock within tx (db.LockUser) and reads
// the user's TOTP row for VerifyLocked: on PostgreSQL in one statement,
// one round trip less. Its row is the one of when the statement began,
// before a wait for the lock: a step is consumed only while the secret is
// still the one read and the step is newer than the last one used, which
// the consuming UPDATE checks on the row as it is then, so a row changed
// meanwhile (a parallel sign-in, a new secret) makes the code fail, as a
// replay. It returns db.ErrNotFound when the user does not exist.
func (s *Service) LoadLocked(ctx context.Context, tx bun.Tx, userID int64) (*Locked, error) {
	if tx.Dialect().Name() != dialect.PG {
		// SQLite's immediate transactions hold the database's write lock.
		row, err := s.load(ctx, tx, userID)
		if errors.Is(err, errNoSecret) {
			return &Locked{}, nil
		}
		return &Locked{row: row}, err
	}
	lock, args := db.LockUserClause(tx, userID).Build(1)
	var rows []db.TOTPSecret
	err := tx.NewSelect().With(db.LockedUser, lock).TableExpr("?", bun.Ident(db.LockedUser)).
		ColumnExpr("t.*").Join("LEFT JOIN totp_secrets AS t ON t.user_id = ?", bun.Ident(db.LockedUser+".id")).
		Conn(db.Prepared(tx, args...)).Scan(ctx, &rows)
	switch {
	case err != nil:
		return nil, fmt.Errorf("lock user %d and load its totp secret: %w", userID, err)
	case len(rows) == 0:
		return nil, db.ErrNotFound
	case rows[0].UserID == 0:
		return &Locked{}, nil
	}
	return &Locked{row: &rows[0]}, nil
}

// VerifyLocked is Verify with the row LoadLocked read.
func (s *Service) VerifyLocked(ctx context.Context, idb bun.IDB, userID int64, l *Locked, code string) (Result, error) {
	if l.row == nil {
		return Result{Cause: CauseNoSecret}, nil
	}
	return s.verify(ctx, idb, userID, l.row, code)
}

// verify checks code against row and consumes its step (Verify).
func (s *Service) verify(ctx context.Context, idb bun.IDB, userID int64, row *db.TOTPSecret, code string) (Result, error) {
	if row.Secret == nil || row.EnabledAt == nil {
		return Result{Cause: CauseNoSecret}, nil
	}
	raw, err := s.key.Open(row.Secret, secretLoc(userID))
	if err != nil {
		return Result{}, fmt.Errorf("open totp secret of user %d: %w", userID, err)
	}
	now := s.clock.Now()
	step, ok := Match(raw, code, now, Options{})
	if !ok {
		if Behind(raw, code, now, Options{}) {
			return Result{ClockBehind: true, Cause: CauseBehind}, nil
		}
		return Result{Cause: CauseWrong}, nil
	}
	res, err := idb.NewUpdate().Model((*db.TOTPSecret)(nil)).
		Set("last_step = ?", db.Arg(1)).
		Set("updated_at = ?", db.Arg(2)).
		Where("user_id = ?", db.Arg(3)).
		Where("secret = ?", db.Arg(4)).
		Where("(last_step IS NULL OR last_step < ?)", db.Arg(1)).
		Conn(db.Prepared(idb, step, s.clock.Now(), userID, row.Secret)).Exec(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("record totp step of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Result{}, err
	}
	if n != 1 {
		return Result{Cause: CauseReplay}, nil
	}
	return Result{OK: true}, nil
}

// Disable removes u's secret, pending secret and replay record.
func (s *Service) Disable(ctx context.Context, idb bun.IDB, userID int64) error {
	if _, err := idb.NewDelete().Model((*db.TOTPSecret)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete totp secret of user %d: %w", userID, err)
	}
	return nil
}

// Rekey re-seals every secret from the key from to the key to within tx
// (rotate-key).
func Rekey(ctx context.Context, tx bun.Tx, from, to *secrets.Key) (int, error) {
	var rows []db.TOTPSecret
	if err := tx.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return 0, fmt.Errorf("load totp secrets: %w", err)
	}
	for i := range rows {
		r := &rows[i]
		q := tx.NewUpdate().Model((*db.TOTPSecret)(nil)).Where("user_id = ?", r.UserID)
		for _, col := range []struct {
			name  string
			value []byte
			loc   secrets.Location
		}{{"secret", r.Secret, secretLoc(r.UserID)}, {"pending_secret", r.PendingSecret, pendingLoc(r.UserID)}} {
			if col.value == nil {
				continue
			}
			raw, err := from.Open(col.value, col.loc)
			if err != nil {
				return 0, fmt.Errorf("open %s of user %d: %w", col.name, r.UserID, err)
			}
			sealed, err := to.Seal(raw, col.loc)
			if err != nil {
				return 0, err
			}
			q = q.Set(col.name+" = ?", sealed)
		}
		if r.Secret == nil && r.PendingSecret == nil {
			continue
		}
		if _, err := q.Exec(ctx); err != nil {
			return 0, fmt.Errorf("re-seal totp secret of user %d: %w", r.UserID, err)
		}
	}
	return len(rows), nil
}
