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

// Logout is POST /api/auth/logout.
func Logout(ctx context.Context) error {
	return do(ctx, "POST", api.PathLogout, struct{}{}, nil)
}

// Account is GET /api/account.
func Account(ctx context.Context) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "GET", api.PathAccount, nil, &acc); err != nil {
		return nil, err
	}
	return &acc, nil
}

// UpdateAccount is PUT /api/account (step-up): email and email
// verification, replaced together.
func UpdateAccount(ctx context.Context, req api.AccountUpdate) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "PUT", api.PathAccount, req, &acc); err != nil {
		return nil, err
	}
	return &acc, nil
}

// ChangePassword is POST /api/account/password (step-up).
func ChangePassword(ctx context.Context, req api.PasswordChange) error {
	return do(ctx, "POST", api.PathPassword, req, nil)
}
