package db

import (
	"time"

	"github.com/uptrace/bun"
)

// Meta is a key/value setting of the installation, such as the fingerprint
// of the secret key.
type Meta struct {
	bun.BaseModel `bun:"table:meta"`

	Key       string    `bun:"key,pk"`
	Value     string    `bun:"value,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// Meta keys.
const (
	MetaKeyFingerprint = "secret_key_fingerprint"
	// MetaKeyCodeKey holds the code HMAC key sealed with the server key
	// (base64).
	MetaKeyCodeKey = "code_hmac_key"
)

// User is an account of the console.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID int64 `bun:"id,pk,autoincrement"`
	// Username is shown as it was created; UsernameKey is its normalised
	// form, unique, used for look-ups.
	Username    string `bun:"username,notnull"`
	UsernameKey string `bun:"username_key,notnull"`
	Email       string `bun:"email,notnull"`
	// EmailKey is the lower-cased email, unique; NULL when there is none.
	EmailKey          *string   `bun:"email_key"`
	EmailVerification bool      `bun:"email_verification,notnull"`
	PasswordHash      string    `bun:"password_hash,notnull"`
	IsAdmin           bool      `bun:"is_admin,notnull"`
	TFAEnforced       bool      `bun:"tfa_enforced,notnull"`
	Language          string    `bun:"language,notnull"`
	CreatedAt         time.Time `bun:"created_at,notnull"`
	UpdatedAt         time.Time `bun:"updated_at,notnull"`
	PasswordChangedAt time.Time `bun:"password_changed_at,notnull"`
	// Disabled users cannot sign in; their sessions and tokens are refused.
	Disabled bool `bun:"disabled,notnull"`
	// LastLoginAt is the time of the last completed sign-in.
	LastLoginAt *time.Time `bun:"last_login_at"`
	// PasskeyHandle is the user's random WebAuthn user handle (nil until
	// the first security key).
	PasskeyHandle []byte `bun:"passkey_handle"`
	// PasswordlessOff: the user turned signing in with a passkey alone
	// off.
	PasswordlessOff bool `bun:"passwordless_off,notnull"`
}

// Session levels.
const (
	// LevelPending: the password was right, a second factor is awaited.
	LevelPending = "pending"
	// LevelEnroll: 2FA is enforced and not set up; only enrolment is open.
	LevelEnroll = "enroll"
	// LevelFull: signed in.
	LevelFull = "full"
)

// Session kinds.
const (
	// KindConsole: a browser session of the console, carried by a cookie.
	KindConsole = "console"
	// KindRustDesk: a bearer token of the RustDesk client.
	KindRustDesk = "rustdesk"
)

// Session is a browser's session or a client's bearer token. Only the
// SHA-256 of its token is stored.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        int64  `bun:"id,pk,autoincrement"`
	TokenHash []byte `bun:"token_hash,notnull"`
	UserID    int64  `bun:"user_id,notnull"`
	Level     string `bun:"level,notnull"`
	// Kind is KindConsole or KindRustDesk.
	Kind string `bun:"kind,notnull"`
	// Device names the client of a bearer token ("" for browsers).
	Device string `bun:"device,notnull"`
	// ClientID and ClientUUID identify a RustDesk client (its RustDesk id
	// and the uuid it sends); a pending sign-in is bound to them.
	ClientID   string `bun:"client_id,notnull"`
	ClientUUID string `bun:"client_uuid,notnull"`
	// Method is the awaited second factor of a pending session.
	Method     string    `bun:"method,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	LastSeenAt time.Time `bun:"last_seen_at,notnull"`
	// ExpiresAt is the absolute end of the session.
	ExpiresAt time.Time `bun:"expires_at,notnull"`
	// ElevatedUntil: until then, step-up requests need no credential.
	ElevatedUntil *time.Time `bun:"elevated_until"`
	IP            string     `bun:"ip,notnull"`
	UserAgent     string     `bun:"user_agent,notnull"`

	// User is loaded with the session in one query (Lookup); never written.
	User *User `bun:"rel:belongs-to,join:user_id=id"`

	// The user's second-factor state, read in the same query when the
	// lookup asks for it (the console's, so that GET /api/account needs
	// no other statement); never written.
	TOTPEnabledAt     *time.Time `bun:"tfa_enabled_at,scanonly"`
	TOTPSecretSet     bool       `bun:"tfa_secret_set,scanonly"`
	BackupCodesUnused int        `bun:"tfa_backup_codes_unused,scanonly"`
	Passkeys          int        `bun:"tfa_passkeys,scanonly"`
}

// Columns are the written columns of s (all but its id) and their values,
// for an insert or an update as a prepared statement (InsertValues,
// Prepared).
func (s *Session) Columns() []Column {
	return []Column{
		{"token_hash", s.TokenHash}, {"user_id", s.UserID}, {"level", s.Level}, {"kind", s.Kind},
		{"device", s.Device}, {"client_id", s.ClientID}, {"client_uuid", s.ClientUUID}, {"method", s.Method},
		{"created_at", s.CreatedAt}, {"last_seen_at", s.LastSeenAt}, {"expires_at", s.ExpiresAt},
		{"elevated_until", s.ElevatedUntil}, {"ip", s.IP}, {"user_agent", s.UserAgent},
	}
}

// Throttle counts failures for one key (a username and IP, an account, an
// IP) so that every server instance sees the same limits.
type Throttle struct {
	bun.BaseModel `bun:"table:throttles"`

	Key string `bun:"key,pk"`
	// Failures counts consecutive failures (backoff policies) or the events
	// of the current window (window policies).
	Failures int `bun:"failures,notnull"`
	// PrevFailures is the count of the previous window (window policies),
	// weighted into a sliding estimate.
	PrevFailures int        `bun:"prev_failures,notnull"`
	WindowStart  time.Time  `bun:"window_start,notnull"`
	LockedUntil  *time.Time `bun:"locked_until"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull"`
}

// Event is an entry of a user's security history.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	UserID    int64     `bun:"user_id,notnull"`
	Time      time.Time `bun:"time,notnull"`
	Type      string    `bun:"type,notnull"`
	IP        string    `bun:"ip,notnull"`
	UserAgent string    `bun:"user_agent,notnull"`
	Detail    string    `bun:"detail,notnull"`
	// Actor is who made a change to the user: "" (the user), an admin's
	// username, or "cli".
	Actor string `bun:"actor,notnull"`
	// Reason is the admin's optional reason for the change.
	Reason string `bun:"reason,notnull"`
}

// Columns are the written columns of e and their values, for an insert
// as a prepared statement (InsertValues, Prepared).
func (e *Event) Columns() []Column {
	return []Column{
		{"user_id", e.UserID}, {"time", e.Time}, {"type", e.Type}, {"ip", e.IP}, {"user_agent", e.UserAgent},
		{"detail", e.Detail}, {"actor", e.Actor}, {"reason", e.Reason},
	}
}

// TOTPSecret is a user's TOTP secret, sealed with the server key, and its
// replay record. A pending secret waits for its first code.
type TOTPSecret struct {
	bun.BaseModel `bun:"table:totp_secrets"`

	UserID int64 `bun:"user_id,pk"`
	// Secret is the confirmed secret, sealed; nil when TOTP is off.
	Secret []byte `bun:"secret"`
	// EnabledAt is when Secret was confirmed: expiry counts from it, and it
	// identifies the secret a code was checked against.
	EnabledAt *time.Time `bun:"enabled_at"`
	// LastStep is the last accepted time step of Secret: a code of that
	// step or an older one is refused.
	LastStep         *int64     `bun:"last_step"`
	PendingSecret    []byte     `bun:"pending_secret"`
	PendingCreatedAt *time.Time `bun:"pending_created_at"`
	UpdatedAt        time.Time  `bun:"updated_at,notnull"`
}

// BackupCode is one single-use backup code, stored only as a keyed MAC.
type BackupCode struct {
	bun.BaseModel `bun:"table:backup_codes"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id,notnull"`
	Salt      []byte     `bun:"salt,notnull"`
	MAC       []byte     `bun:"mac,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

// EmailChallenge is the email code of a pending sign-in: only its keyed MAC
// is stored, bound to the pending session, with its send and failure
// counters.
type EmailChallenge struct {
	bun.BaseModel `bun:"table:email_challenges"`

	SessionID     int64      `bun:"session_id,pk"`
	UserID        int64      `bun:"user_id,notnull"`
	Salt          []byte     `bun:"salt"`
	MAC           []byte     `bun:"mac"`
	CodeExpiresAt *time.Time `bun:"code_expires_at"`
	UsedAt        *time.Time `bun:"used_at"`
	Failures      int        `bun:"failures,notnull"`
	Sends         int        `bun:"sends,notnull"`
	FirstSentAt   *time.Time `bun:"first_sent_at"`
	LastSentAt    *time.Time `bun:"last_sent_at"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
}

// KnownClient records that a RustDesk client (SHA-256 of its id and uuid)
// completed a sign-in as a user: for 90 days its password attempts are
// counted on their own, like a browser's device cookie.
type KnownClient struct {
	bun.BaseModel `bun:"table:known_clients"`

	UserID      int64     `bun:"user_id,pk"`
	ClientHash  []byte    `bun:"client_hash,pk"`
	LastLoginAt time.Time `bun:"last_login_at,notnull"`
}

// Passkey is a security key or passkey of a user: a WebAuthn credential's
// public key with its sign counter and flags.
type Passkey struct {
	bun.BaseModel `bun:"table:passkeys"`

	ID              int64  `bun:"id,pk,autoincrement"`
	UserID          int64  `bun:"user_id,notnull"`
	CredentialID    []byte `bun:"credential_id,notnull"`
	PublicKey       []byte `bun:"public_key,notnull"`
	AttestationType string `bun:"attestation_type,notnull"`
	AAGUID          []byte `bun:"aaguid"`
	// Transports are the authenticator's transports, comma-separated.
	Transports     string     `bun:"transports,notnull"`
	SignCount      int64      `bun:"sign_count,notnull"`
	UserVerified   bool       `bun:"user_verified,notnull"`
	BackupEligible bool       `bun:"backup_eligible,notnull"`
	BackupState    bool       `bun:"backup_state,notnull"`
	Discoverable   bool       `bun:"discoverable,notnull"`
	Name           string     `bun:"name,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	LastUsedAt     *time.Time `bun:"last_used_at"`
}

// PasskeyChallenge is one WebAuthn ceremony under way: its challenge and
// parameters (Data, JSON), single use, bound to a session or a browser.
type PasskeyChallenge struct {
	bun.BaseModel `bun:"table:passkey_challenges"`

	ID        int64      `bun:"id,pk,autoincrement"`
	SessionID *int64     `bun:"session_id"`
	Binding   []byte     `bun:"binding"`
	UserID    *int64     `bun:"user_id"`
	Purpose   string     `bun:"purpose,notnull"`
	Data      string     `bun:"data,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}
