package api

import (
	"time"

	"twofold/shared/passkey"
)

// Login statuses.
const (
	StatusOK     = "ok"
	StatusVerify = "verify"
	StatusEnroll = "enroll"
)

// Second-factor methods named in a verify answer.
const (
	MethodTOTP  = "totp"
	MethodEmail = "email"
)

// TFA states of Account.TFA.State.
const (
	TFANotEnabled = "not_enabled"
	TFAEnabled    = "enabled"
	TFAExpired    = "expired"
)

// Health is the body of GET /api/health and GET /api/ready.
type Health struct {
	Status string `json:"status"`
}

// LoginRequest is the body of POST /api/auth/login.
type LoginRequest struct {
	Username string `json:"username" validate:"required,max=64,nocontrol"`
	Password string `json:"password" validate:"required,max=1024"`
}

// LoginResponse is the 200 answer of POST /api/auth/login and /api/auth/verify.
type LoginResponse struct {
	Status    string `json:"status"`
	Method    string `json:"method,omitempty"`
	EmailHint string `json:"email_hint,omitempty"`
	// ResendAfter is the number of seconds before a new email code may be
	// asked for (an addition to API.md).
	ResendAfter int   `json:"resend_after,omitempty"`
	User        *User `json:"user,omitempty"`
	// Methods lists the second factors the pending sign-in accepts, the
	// preferred first (an addition to API.md): "passkey", "totp",
	// "backup_code", or "email".
	Methods []string `json:"methods,omitempty"`
}

// Pending is the answer of GET /api/auth/pending: the second step a
// pending sign-in waits for.
type Pending struct {
	Method      string `json:"method"`
	EmailHint   string `json:"email_hint,omitempty"`
	ResendAfter int    `json:"resend_after,omitempty"`
	// Methods are the second factors accepted, as in LoginResponse.
	Methods []string `json:"methods,omitempty"`
	// ExpiresAt is when the pending sign-in ends.
	ExpiresAt time.Time `json:"expires_at"`
}

// CodeRequest is the body of POST /api/auth/verify and /api/account/tfa/enable.
type CodeRequest struct {
	Code string `json:"code" validate:"required,max=64,nocontrol=space"`
}

// User is a user as the console shows it.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	IsAdmin  bool   `json:"is_admin"`
}

// TFA is the two-factor part of Account.
type TFA struct {
	State                string     `json:"state"`
	EnabledAt            *time.Time `json:"enabled_at"`
	ExpiresAt            *time.Time `json:"expires_at"`
	BackupCodesRemaining int        `json:"backup_codes_remaining"`
	Enforced             bool       `json:"enforced"`
	// TOTP: an authenticator app is set up; Passkeys: the number of
	// security keys and passkeys (additions to API.md; absent: false, 0).
	// Either makes 2FA enabled; the expiry applies to TOTP only.
	TOTP     bool `json:"totp,omitempty"`
	Passkeys int  `json:"passkeys,omitempty"`
}

// Account is the body of GET /api/account.
type Account struct {
	User              User       `json:"user"`
	Email             string     `json:"email"`
	EmailVerification bool       `json:"email_verification"`
	TFA               TFA        `json:"tfa"`
	ElevatedUntil     *time.Time `json:"elevated_until"`
	// Session is the session's level: "full", or "enroll" while 2FA must
	// be set up (an addition to API.md).
	Session string `json:"session"`
	// ServerTime is the server's clock, to read elevated_until without
	// trusting the browser's (an addition to API.md).
	ServerTime time.Time `json:"server_time"`
	// Notices are the banners the settings page shows (an addition to
	// API.md): 2FA expiring or expired, few backup codes left. Never null.
	Notices []Notice `json:"notices"`
	// Passwordless: the user allows signing in with a passkey alone;
	// PasskeysAvailable: the server can use security keys (its public URL
	// has a host name, not an IP address). Additions to API.md.
	Passwordless      bool `json:"passwordless"`
	PasskeysAvailable bool `json:"passkeys_available"`
}

// StepUp holds the optional credentials every step-up request accepts: a
// TOTP or backup code, or a security key's assertion, while 2FA is on, the
// current password while it is off.
type StepUp struct {
	Code     string `json:"code,omitempty" validate:"omitempty,max=64,nocontrol=space"`
	Password string `json:"password,omitempty" validate:"omitempty,max=1024"`
	// Passkey is an assertion for a challenge of
	// POST /api/account/passkeys/challenge (an addition to API.md).
	Passkey *passkey.Assertion `json:"passkey,omitempty"`
}

// AccountUpdate is the body of PUT /api/account. Both settings are required:
// they are replaced together.
type AccountUpdate struct {
	Email             *string `json:"email" validate:"required,omitzero,email,max=254"`
	EmailVerification *bool   `json:"email_verification" validate:"required"`
	StepUp
}

// PasswordChange is the body of POST /api/account/password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password" validate:"required,max=1024"`
	NewPassword     string `json:"new_password" validate:"required,min=8,max=256"`
	StepUp
}

// Elevation is the answer of POST /api/account/verify.
type Elevation struct {
	ElevatedUntil time.Time `json:"elevated_until"`
}

// TOTPSetup is the answer of POST /api/account/tfa/setup.
type TOTPSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

// TOTPEnabled is the answer of POST /api/account/tfa/enable.
type TOTPEnabled struct {
	BackupCodes []string `json:"backup_codes"`
	Account     Account  `json:"account"`
}

// BackupCodes is the answer of POST /api/account/tfa/backup-codes.
type BackupCodes struct {
	BackupCodes []string `json:"backup_codes"`
}

// Event is one entry of GET /api/account/events.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

// Events is the answer of GET /api/account/events.
type Events struct {
	Events []Event `json:"events"`
}

// Session kinds of SessionInfo.Kind.
const (
	SessionConsole  = "console"
	SessionRustDesk = "rustdesk"
)

// SessionInfo is one of the user's sessions in GET /api/account/sessions.
// Its ID is neither the token nor derived from it.
type SessionInfo struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	// Device names a client's device (RustDesk); null for browsers.
	Device *string `json:"device"`
	// ClientID is the RustDesk client's own ID, as it sent it at sign-in
	// (RUSTDESK.md: a token is a session "with device ... and the
	// client's id"; an addition to API.md's list); absent for browsers.
	ClientID string `json:"client_id,omitempty"`
	Current  bool   `json:"current"`
}

// Sessions is the answer of GET /api/account/sessions.
type Sessions struct {
	Sessions []SessionInfo `json:"sessions"`
}
