// Package apiclient calls the Twofold console API (shared/API.md) from the
// browser, over the shared/api types. Requests go through the browser's own
// fetch (net/http would add 0.85 MB to app.wasm), with the session cookie
// sent same-origin.
package apiclient

import (
	"context"

	"twofold/shared/api"
)

// Login is POST /api/auth/login. A 200 answer may ask for a second step
// (Status verify or enroll).
func Login(ctx context.Context, req api.LoginRequest) (*api.LoginResponse, error) {
	var resp api.LoginResponse
	if err := do(ctx, "POST", api.PathLogin, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Logout is POST /api/auth/logout. Once the server has ended the session
// (or had none), the OnSessionEnded functions run.
func Logout(ctx context.Context) error {
	err := do(ctx, "POST", api.PathLogout, struct{}{}, nil)
	if err == nil {
		sessionEnded()
	}
	return err
}

// Pending is GET /api/auth/pending: the second step a pending sign-in
// waits for (login_expired when there is none).
func Pending(ctx context.Context) (*api.Pending, error) {
	var p api.Pending
	if err := do(ctx, "GET", api.PathPending, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Account is GET /api/account.
func Account(ctx context.Context) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "GET", api.PathAccount, nil, &acc); err != nil {
		return nil, err
	}
	noteServerTime(&acc)
	return &acc, nil
}

// UpdateAccount is PUT /api/account (step-up): email and email
// verification, replaced together.
func UpdateAccount(ctx context.Context, req api.AccountUpdate) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "PUT", api.PathAccount, req, &acc); err != nil {
		return nil, err
	}
	noteServerTime(&acc)
	return &acc, nil
}

// ChangePassword is POST /api/account/password (step-up).
func ChangePassword(ctx context.Context, req api.PasswordChange) error {
	return do(ctx, "POST", api.PathPassword, req, nil)
}

// Verify is POST /api/auth/verify: the second sign-in step with a TOTP
// code, a backup code or an emailed code. It may answer Status enroll.
func Verify(ctx context.Context, code string) (*api.LoginResponse, error) {
	var resp api.LoginResponse
	if err := do(ctx, "POST", api.PathVerify, api.CodeRequest{Code: code}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Resend is POST /api/auth/resend: a new emailed code for the pending
// sign-in (rate_limited with RetryAfter inside the cooldown).
func Resend(ctx context.Context) error {
	return do(ctx, "POST", api.PathResend, struct{}{}, nil)
}

// TOTPSetup is POST /api/account/tfa/setup: a new pending secret (step-up
// when TOTP is already on: renewing).
func TOTPSetup(ctx context.Context, req api.StepUp) (*api.TOTPSetup, error) {
	var s api.TOTPSetup
	if err := do(ctx, "POST", api.PathTOTPSetup, req, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// TOTPEnable is POST /api/account/tfa/enable with a code of the pending
// secret: six backup codes, shown once, and the account.
func TOTPEnable(ctx context.Context, code string) (*api.TOTPEnabled, error) {
	var res api.TOTPEnabled
	if err := do(ctx, "POST", api.PathTOTPEnable, api.CodeRequest{Code: code}, &res); err != nil {
		return nil, err
	}
	noteServerTime(&res.Account)
	return &res, nil
}

// TOTPDisable is POST /api/account/tfa/disable (step-up).
func TOTPDisable(ctx context.Context, req api.StepUp) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "POST", api.PathTOTPDisable, req, &acc); err != nil {
		return nil, err
	}
	noteServerTime(&acc)
	return &acc, nil
}

// RegenerateBackupCodes is POST /api/account/tfa/backup-codes (step-up):
// six new codes replace the old ones.
func RegenerateBackupCodes(ctx context.Context, req api.StepUp) (*api.BackupCodes, error) {
	var res api.BackupCodes
	if err := do(ctx, "POST", api.PathBackupCodes, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
