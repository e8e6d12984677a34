// Package passkey keeps users' security keys and passkeys (WebAuthn
// credentials) and runs their ceremonies with go-webauthn: registration,
// an assertion as a second factor or step-up, and a sign-in with a
// passkey alone. Challenges are stored in the database (several instances
// share them), bound to a session or a browser, used once, for 5 minutes.
// The limits, events and sessions around a check are the signin package's.
package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	sp "twofold/shared/passkey"
)

// ChallengeTTL is how long a ceremony may take (issue 15: 5 minutes).
const ChallengeTTL = 5 * time.Minute

// handleSize is the size of a user handle: random, never the username
// (WebAuthn §14.6.1).
const handleSize = 32

// maxKeys bounds the keys of one account.
const maxKeys = 20

// Purposes of a challenge.
const (
	purposeRegister = "register"
	purposeAssert   = "assert"
	purposeLogin    = "login"
)

// Errors of this package.
var (
	// ErrUnavailable: the public URL's host is an IP address, which
	// WebAuthn does not accept as a relying party id.
	ErrUnavailable = errors.New("security keys need a host name in the public URL")
	// ErrInvalid is a refused credential: no challenge (expired, used,
	// another session's), a wrong signature, origin or relying party, an
	// unknown or another user's credential, a sign counter that went back.
	ErrInvalid = errors.New("security key refused")
	// ErrNoKeys: the user has no security key.
	ErrNoKeys = errors.New("no security key")
	// ErrTooMany: the account has maxKeys keys.
	ErrTooMany = errors.New("too many security keys")
	// ErrDuplicate: the credential is registered already.
	ErrDuplicate = errors.New("security key already registered")
	// ErrNotFound: no such key of the user.
	ErrNotFound = errors.New("security key not found")
)

// InvalidError is an ErrInvalid with its cause, for the log only.
type InvalidError struct{ Cause string }

func (e *InvalidError) Error() string        { return ErrInvalid.Error() + ": " + e.Cause }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &InvalidError{Cause: fmt.Sprintf(format, args...)}
}

// Service runs the ceremonies.
type Service struct {
	wa    *webauthn.WebAuthn
	clock clock.Clock
}

// New returns the service for a console served at public: the relying
// party id is its host name, the only accepted origin is its origin. A
// public URL whose host is an IP address gives a service that is not
// Available.
func New(public *url.URL, name string, c clock.Clock) (*Service, error) {
	s := &Service{clock: c}
	host := public.Hostname()
	if net.ParseIP(host) != nil {
		return s, nil
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: name,
		RPOrigins:     []string{public.Scheme + "://" + public.Host},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
			Registration: webauthn.TimeoutConfig{Timeout: ChallengeTTL, TimeoutUVD: ChallengeTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	s.wa = wa
	return s, nil
}

// Available reports whether security keys can be used.
func (s *Service) Available() bool { return s != nil && s.wa != nil }

// user is a db.User and its keys as go-webauthn sees them.
type user struct {
	u    *db.User
	keys []db.Passkey
}

func (w *user) WebAuthnID() []byte          { return w.u.PasskeyHandle }
func (w *user) WebAuthnName() string        { return w.u.Username }
func (w *user) WebAuthnDisplayName() string { return w.u.Username }
func (w *user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(w.keys))
	for _, k := range w.keys {
		out = append(out, credentialOf(k))
	}
	return out
}

func credentialOf(k db.Passkey) webauthn.Credential {
	var transports []protocol.AuthenticatorTransport
	for t := range strings.SplitSeq(k.Transports, ",") {
		if t != "" {
			transports = append(transports, protocol.AuthenticatorTransport(t))
		}
	}
	return webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, Transport: transports,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: k.UserVerified,
			BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: uint32(k.SignCount)},
	}
}

// List returns the keys of userID, oldest first.
func (s *Service) List(ctx context.Context, idb bun.IDB, userID int64) ([]db.Passkey, error) {
	var keys []db.Passkey
	if err := idb.NewSelect().Model(&keys).Where("user_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list security keys of user %d: %w", userID, err)
	}
	return keys, nil
}

// Count returns the number of keys of userID.
func (s *Service) Count(ctx context.Context, idb bun.IDB, userID int64) (int, error) {
	n, err := idb.NewSelect().Model((*db.Passkey)(nil)).Where("user_id = ?", userID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count security keys of user %d: %w", userID, err)
	}
	return int(n), nil
}

// convert re-encodes a go-webauthn value as the shared JSON type out: both
// use WebAuthn's JSON names and base64url.
func convert(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// store records a challenge, replacing the unused ones of the same session
// (or browser) and purpose: one ceremony at a time.
func (s *Service) store(ctx context.Context, tx bun.Tx, sessionID int64, binding []byte, userID int64, purpose string, sd *webauthn.SessionData) error {
	sd.Expires = time.Time{} // the row's expires_at, on the service's clock, decides
	data, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	del := tx.NewDelete().Model((*db.PasskeyChallenge)(nil)).Where("purpose = ?", purpose)
	ch := &db.PasskeyChallenge{Purpose: purpose, Data: string(data), CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL)}
	if sessionID != 0 {
		del = del.Where("session_id = ?", sessionID)
		ch.SessionID = &sessionID
	} else {
		del = del.Where("binding = ?", binding)
		ch.Binding = binding
	}
	if userID != 0 {
		ch.UserID = &userID
	}
	if _, err := del.Exec(ctx); err != nil {
		return fmt.Errorf("drop older challenges: %w", err)
	}
	if _, err := tx.NewInsert().Model(ch).Exec(ctx); err != nil {
		return fmt.Errorf("store challenge: %w", err)
	}
	return nil
}

// take consumes the challenge of a session (or browser) and purpose
// within tx, whatever comes next: a challenge is used once, even by a
// refused answer.
func (s *Service) take(ctx context.Context, tx bun.Tx, sessionID int64, binding []byte, purpose string) (*webauthn.SessionData, *db.PasskeyChallenge, error) {
	ch := new(db.PasskeyChallenge)
	q := tx.NewSelect().Model(ch).Where("purpose = ?", purpose).Where("used_at IS NULL").Order("id DESC").Limit(1)
	if sessionID != 0 {
		q = q.Where("session_id = ?", sessionID)
	} else {
		q = q.Where("binding = ?", binding)
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, invalid("no challenge")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read challenge: %w", err)
	}
	res, err := tx.NewUpdate().Model((*db.PasskeyChallenge)(nil)).Set("used_at = ?", s.clock.Now()).
		Where("id = ?", ch.ID).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("use challenge: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil, invalid("challenge already used")
	}
	if !s.clock.Now().Before(ch.ExpiresAt) {
		return nil, nil, invalid("challenge expired")
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(ch.Data), &sd); err != nil {
		return nil, nil, fmt.Errorf("decode challenge: %w", err)
	}
	return &sd, ch, nil
}

// handle returns u's user handle, making it on first use within tx.
func (s *Service) handle(ctx context.Context, tx bun.Tx, u *db.User) error {
	if len(u.PasskeyHandle) > 0 {
		return nil
	}
	h := make([]byte, handleSize)
	if _, err := rand.Read(h); err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*db.User)(nil)).Set("passkey_handle = ?", h).Where("id = ?", u.ID).Exec(ctx); err != nil {
		return fmt.Errorf("set user handle of user %d: %w", u.ID, err)
	}
	u.PasskeyHandle = h
	return nil
}

// BeginRegistration starts registering a key for u on the session
// sessionID within tx (u's row locked): the options for
// navigator.credentials.create. Attestation is not asked for ("none");
// user verification and a discoverable credential are preferred.
func (s *Service) BeginRegistration(ctx context.Context, tx bun.Tx, u *db.User, sessionID int64) (*sp.CreationOptions, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	keys, err := s.List(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) >= maxKeys {
		return nil, ErrTooMany
	}
	if err := s.handle(ctx, tx, u); err != nil {
		return nil, err
	}
	wu := &user{u: u, keys: keys}
	rk := false
	creation, sd, err := s.wa.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.WebAuthnCredentials()).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, RequireResidentKey: &rk,
			UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()),
	)
	if err != nil {
		return nil, fmt.Errorf("begin registration: %w", err)
	}
	if err := s.store(ctx, tx, sessionID, nil, u.ID, purposeRegister, sd); err != nil {
		return nil, err
	}
	var out sp.CreationOptions
	if err := convert(creation.Response, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FinishRegistration checks a new credential against the session's
// registration challenge (consumed) and stores it as u's key named name.
func (s *Service) FinishRegistration(ctx context.Context, tx bun.Tx, u *db.User, sessionID int64, name string, att *sp.Attestation) (*db.Passkey, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	if err := att.Check(); err != nil {
		return nil, invalid("malformed attestation")
	}
	sd, _, err := s.take(ctx, tx, sessionID, nil, purposeRegister)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(att)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return nil, invalid("parse attestation: %s", describe(err))
	}
	keys, err := s.List(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.CreateCredential(&user{u: u, keys: keys}, *sd, parsed)
	if err != nil {
		return nil, invalid("attestation: %s", describe(err))
	}
	discoverable := false
	if props, ok := att.ClientExtensionResults["credProps"].(map[string]any); ok {
		discoverable, _ = props["rk"].(bool)
	}
	var transports []string
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	k := &db.Passkey{
		UserID: u.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey, AttestationType: cred.AttestationType,
		AAGUID: cred.Authenticator.AAGUID, Transports: strings.Join(transports, ","),
		SignCount: int64(cred.Authenticator.SignCount), UserVerified: cred.Flags.UserVerified,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		Discoverable: discoverable, Name: name, CreatedAt: s.clock.Now(),
	}
	n, err := tx.NewSelect().Model((*db.Passkey)(nil)).Where("credential_id = ?", k.CredentialID).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up credential: %w", err)
	}
	if n > 0 {
		return nil, ErrDuplicate
	}
	if _, err := tx.NewInsert().Model(k).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("store security key of user %d: %w", u.ID, err)
	}
	return k, nil
}

// BeginAssertion starts an assertion of one of u's keys on the session
// sessionID (a pending sign-in or a step-up) within tx: the options for
// navigator.credentials.get.
func (s *Service) BeginAssertion(ctx context.Context, tx bun.Tx, u *db.User, sessionID int64) (*sp.RequestOptions, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	keys, err := s.List(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 || len(u.PasskeyHandle) == 0 {
		return nil, ErrNoKeys
	}
	assertion, sd, err := s.wa.BeginLogin(&user{u: u, keys: keys}, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin assertion: %w", err)
	}
	if err := s.store(ctx, tx, sessionID, nil, u.ID, purposeAssert, sd); err != nil {
		return nil, err
	}
	var out sp.RequestOptions
	if err := convert(assertion.Response, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyAssertion checks an assertion of one of u's keys against the
// session's challenge (consumed whatever the outcome) within tx, u's row
// locked. A right one updates the key's counter, flags and last use and
// returns the key; a refused one is an ErrInvalid.
func (s *Service) VerifyAssertion(ctx context.Context, tx bun.Tx, u *db.User, sessionID int64, a *sp.Assertion) (*db.Passkey, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	if err := a.Check(); err != nil {
		return nil, invalid("malformed assertion")
	}
	sd, ch, err := s.take(ctx, tx, sessionID, nil, purposeAssert)
	if err != nil {
		return nil, err
	}
	if ch.UserID == nil || *ch.UserID != u.ID {
		return nil, invalid("challenge of another user")
	}
	keys, err := s.List(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	return s.validate(ctx, tx, &user{u: u, keys: keys}, sd, a, false)
}

// BeginLogin starts a sign-in with a passkey alone for the browser that
// holds binding (the hash of its cookie): any discoverable credential of
// this relying party, user verification required.
func (s *Service) BeginLogin(ctx context.Context, tx bun.Tx, binding []byte) (*sp.RequestOptions, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	if err := s.store(ctx, tx, 0, binding, 0, purposeLogin, sd); err != nil {
		return nil, err
	}
	var out sp.RequestOptions
	if err := convert(assertion.Response, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Owner returns the user whose handle a discoverable credential's
// assertion names and who holds that credential, with the user's row
// locked in tx; ErrInvalid when there is none.
func (s *Service) Owner(ctx context.Context, tx bun.Tx, d *db.DB, a *sp.Assertion) (*db.User, error) {
	if err := a.Check(); err != nil || len(a.Response.UserHandle) == 0 {
		return nil, invalid("malformed assertion or no user handle")
	}
	u := new(db.User)
	err := tx.NewSelect().Model(u).Where("passkey_handle = ?", []byte(a.Response.UserHandle)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalid("unknown user handle")
	}
	if err != nil {
		return nil, fmt.Errorf("find user of a passkey: %w", err)
	}
	if err := d.LockUser(ctx, tx, u.ID); err != nil {
		return nil, err
	}
	return u, nil
}

// FinishLogin checks an assertion of u's (Owner) discoverable credential
// against the browser's challenge (consumed whatever the outcome) within
// tx. User verification is required.
func (s *Service) FinishLogin(ctx context.Context, tx bun.Tx, u *db.User, binding []byte, a *sp.Assertion) (*db.Passkey, error) {
	if !s.Available() {
		return nil, ErrUnavailable
	}
	sd, _, err := s.take(ctx, tx, 0, binding, purposeLogin)
	if err != nil {
		return nil, err
	}
	keys, err := s.List(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	return s.validate(ctx, tx, &user{u: u, keys: keys}, sd, a, true)
}

// TakeLogin consumes the browser's sign-in challenge without a check (an
// answer that names no known user).
func (s *Service) TakeLogin(ctx context.Context, tx bun.Tx, binding []byte) error {
	_, _, err := s.take(ctx, tx, 0, binding, purposeLogin)
	if errors.Is(err, ErrInvalid) {
		return nil
	}
	return err
}

// validate runs go-webauthn's checks (challenge, origin, relying party,
// signature, user presence and, when asked, verification, backup flags)
// and refuses a sign counter that did not grow (a cloned key).
func (s *Service) validate(ctx context.Context, tx bun.Tx, wu *user, sd *webauthn.SessionData, a *sp.Assertion, discoverable bool) (*db.Passkey, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, invalid("parse assertion: %s", describe(err))
	}
	var cred *webauthn.Credential
	if discoverable {
		_, cred, err = s.wa.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			return wu, nil
		}, *sd, parsed)
	} else {
		cred, err = s.wa.ValidateLogin(wu, *sd, parsed)
	}
	if err != nil {
		return nil, invalid("assertion: %s", describe(err))
	}
	if cred.Authenticator.CloneWarning {
		return nil, invalid("sign counter did not grow")
	}
	var key *db.Passkey
	for i := range wu.keys {
		if string(wu.keys[i].CredentialID) == string(cred.ID) {
			key = &wu.keys[i]
		}
	}
	if key == nil {
		return nil, invalid("credential not found")
	}
	now := s.clock.Now()
	key.SignCount, key.BackupState, key.LastUsedAt = int64(cred.Authenticator.SignCount), cred.Flags.BackupState, &now
	if _, err := tx.NewUpdate().Model(key).Column("sign_count", "backup_state", "last_used_at").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("update security key %d: %w", key.ID, err)
	}
	return key, nil
}

// describe gives a go-webauthn error with its details, for the log.
func describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Type + ": " + pe.Details + " " + pe.DevInfo)
	}
	return err.Error()
}

// Rename renames u's key id within tx.
func (s *Service) Rename(ctx context.Context, tx bun.Tx, userID, id int64, name string) (*db.Passkey, error) {
	res, err := tx.NewUpdate().Model((*db.Passkey)(nil)).Set("name = ?", name).Where("id = ?", id).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("rename security key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	k := new(db.Passkey)
	if err := tx.NewSelect().Model(k).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read security key %d: %w", id, err)
	}
	return k, nil
}

// Delete removes u's key id within tx and returns it.
func (s *Service) Delete(ctx context.Context, tx bun.Tx, userID, id int64) (*db.Passkey, error) {
	k := new(db.Passkey)
	_, err := tx.NewDelete().Model(k).Where("id = ?", id).Where("user_id = ?", userID).Returning("?Columns").Exec(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && k.ID == 0) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("remove security key %d: %w", id, err)
	}
	return k, nil
}

// DeleteAll removes every key of userID within tx (2FA turned off or reset)
// and returns how many there were. It needs no relying party, so the
// command line's administrator operations call it on a nil *Service.
func (s *Service) DeleteAll(ctx context.Context, tx bun.Tx, userID int64) (int, error) {
	res, err := tx.NewDelete().Model((*db.Passkey)(nil)).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("remove security keys of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Binding is the stored form of a browser's sign-in cookie.
func Binding(cookie string) []byte {
	h := sha256.Sum256([]byte("passkey-login\x00" + cookie))
	return h[:]
}

// Prune removes at most limit challenges that ended before now.
func (s *Service) Prune(ctx context.Context, idb bun.IDB, limit int) (int64, error) {
	ids := idb.NewSelect().Model((*db.PasskeyChallenge)(nil)).Column("id").
		Where("expires_at < ?", s.clock.Now()).Limit(int64(limit))
	res, err := idb.NewDelete().Model((*db.PasskeyChallenge)(nil)).Where("id IN (?)", ids).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune passkey challenges: %w", err)
	}
	n, err := res.RowsAffected()
	return n, err
}
