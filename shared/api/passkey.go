package api

import (
	"time"

	"twofold/shared/passkey"
)

// Second-factor methods of LoginResponse.Methods (additions to API.md):
// a security key or passkey, and a backup code. MethodTOTP is the
// authenticator app.
const (
	MethodPasskey    = "passkey"
	MethodBackupCode = "backup_code"
)

// Paths of security keys and passkeys (additions to API.md, see
// docs/passkeys.md).
const (
	// PathPasskeys: GET lists the keys; POST registers one (finish).
	PathPasskeys = "/api/account/passkeys"
	// PathPasskeyRegister begins a registration (step-up).
	PathPasskeyRegister = "/api/account/passkeys/register"
	// PathPasskey renames (PATCH) or removes (DELETE) a key (step-up).
	PathPasskey = "/api/account/passkeys/{id}"
	// PathPasskeyChallenge gives the options of an assertion for a step-up
	// or POST /api/account/verify.
	PathPasskeyChallenge = "/api/account/passkeys/challenge"
	// PathPasswordless turns sign-in with a passkey alone on or off.
	PathPasswordless = "/api/account/passwordless"

	// PathAuthPasskeyChallenge and PathAuthPasskeyVerify: a key as the
	// second factor of a pending sign-in.
	PathAuthPasskeyChallenge = "/api/auth/passkey/challenge"
	PathAuthPasskeyVerify    = "/api/auth/passkey/verify"
	// PathPasskeyLoginBegin and PathPasskeyLogin: sign-in with a passkey
	// alone (discoverable credential, user verification required).
	PathPasskeyLoginBegin = "/api/auth/passkey/begin"
	PathPasskeyLogin      = "/api/auth/passkey/login"
)

// Passkey is one registered security key or passkey.
type Passkey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Discoverable: the key said it keeps the credential (a passkey that
	// can sign in without a username).
	Discoverable bool `json:"discoverable"`
	// BackupEligible and BackedUp are the authenticator's backup flags
	// (a synced passkey is both).
	BackupEligible bool `json:"backup_eligible"`
	BackedUp       bool `json:"backed_up"`
}

// Passkeys is the answer of GET /api/account/passkeys.
type Passkeys struct {
	Passkeys []Passkey `json:"passkeys"`
}

// PasskeyCreation is the answer of POST /api/account/passkeys/register:
// the options for navigator.credentials.create.
type PasskeyCreation struct {
	PublicKey passkey.CreationOptions `json:"public_key"`
}

// PasskeyRequest is the answer of the challenge endpoints: the options for
// navigator.credentials.get.
type PasskeyRequest struct {
	PublicKey passkey.RequestOptions `json:"public_key"`
}

// PasskeyRegister is the body of POST /api/account/passkeys.
type PasskeyRegister struct {
	Name       string              `json:"name" validate:"required,max=64,nocontrol"`
	Credential passkey.Attestation `json:"credential"`
}

// PasskeyRegistered is the 201 answer of POST /api/account/passkeys.
// BackupCodes holds six new codes when this key is the account's first
// second factor (shown once), and is absent otherwise.
type PasskeyRegistered struct {
	Passkey     Passkey  `json:"passkey"`
	BackupCodes []string `json:"backup_codes,omitempty"`
	Account     Account  `json:"account"`
}

// PasskeyRename is the body of PATCH /api/account/passkeys/{id}.
type PasskeyRename struct {
	Name string `json:"name" validate:"required,max=64,nocontrol"`
	StepUp
}

// PasswordlessUpdate is the body of PUT /api/account/passwordless.
type PasswordlessUpdate struct {
	Enabled *bool `json:"enabled" validate:"required"`
	StepUp
}

// PasskeyAssertion is the body of POST /api/auth/passkey/verify and
// /api/auth/passkey/login.
type PasskeyAssertion struct {
	Credential passkey.Assertion `json:"credential"`
}
