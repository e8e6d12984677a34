package apiclient

import (
	"context"
	"strconv"
	"strings"

	"twofold/shared/api"
	sp "twofold/shared/passkey"
)

func passkeyPath(id int64) string {
	return strings.Replace(api.PathPasskey, "{id}", strconv.FormatInt(id, 10), 1)
}

// Passkeys is GET /api/account/passkeys.
func Passkeys(ctx context.Context) ([]api.Passkey, error) {
	var out api.Passkeys
	if err := do(ctx, "GET", api.PathPasskeys, nil, &out); err != nil {
		return nil, err
	}
	return out.Passkeys, nil
}

// PasskeyRegisterBegin is POST /api/account/passkeys/register (step-up).
func PasskeyRegisterBegin(ctx context.Context, req api.StepUp) (*sp.CreationOptions, error) {
	var out api.PasskeyCreation
	if err := do(ctx, "POST", api.PathPasskeyRegister, req, &out); err != nil {
		return nil, err
	}
	return &out.PublicKey, nil
}

// PasskeyRegister is POST /api/account/passkeys: the new key.
func PasskeyRegister(ctx context.Context, req api.PasskeyRegister) (*api.PasskeyRegistered, error) {
	var out api.PasskeyRegistered
	if err := do(ctx, "POST", api.PathPasskeys, req, &out); err != nil {
		return nil, err
	}
	noteServerTime(&out.Account)
	return &out, nil
}

// RenamePasskey is PATCH /api/account/passkeys/{id} (step-up).
func RenamePasskey(ctx context.Context, id int64, req api.PasskeyRename) error {
	return do(ctx, "PATCH", passkeyPath(id), req, nil)
}

// DeletePasskey is DELETE /api/account/passkeys/{id} (step-up).
func DeletePasskey(ctx context.Context, id int64, req api.StepUp) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "DELETE", passkeyPath(id), req, &acc); err != nil {
		return nil, err
	}
	noteServerTime(&acc)
	return &acc, nil
}

// PasskeyChallenge is POST /api/account/passkeys/challenge: options for a
// step-up with a key.
func PasskeyChallenge(ctx context.Context) (*sp.RequestOptions, error) {
	return requestOptions(ctx, api.PathPasskeyChallenge)
}

// SetPasswordless is PUT /api/account/passwordless (step-up).
func SetPasswordless(ctx context.Context, req api.PasswordlessUpdate) (*api.Account, error) {
	var acc api.Account
	if err := do(ctx, "PUT", api.PathPasswordless, req, &acc); err != nil {
		return nil, err
	}
	noteServerTime(&acc)
	return &acc, nil
}

// AuthPasskeyChallenge is POST /api/auth/passkey/challenge: options for
// the pending sign-in's key.
func AuthPasskeyChallenge(ctx context.Context) (*sp.RequestOptions, error) {
	return requestOptions(ctx, api.PathAuthPasskeyChallenge)
}

// AuthPasskeyVerify is POST /api/auth/passkey/verify.
func AuthPasskeyVerify(ctx context.Context, a *sp.Assertion) (*api.LoginResponse, error) {
	var resp api.LoginResponse
	if err := do(ctx, "POST", api.PathAuthPasskeyVerify, api.PasskeyAssertion{Credential: *a}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// PasskeyLoginBegin is POST /api/auth/passkey/begin: options for a
// sign-in with a passkey alone.
func PasskeyLoginBegin(ctx context.Context) (*sp.RequestOptions, error) {
	return requestOptions(ctx, api.PathPasskeyLoginBegin)
}

// PasskeyLogin is POST /api/auth/passkey/login.
func PasskeyLogin(ctx context.Context, a *sp.Assertion) (*api.LoginResponse, error) {
	var resp api.LoginResponse
	if err := do(ctx, "POST", api.PathPasskeyLogin, api.PasskeyAssertion{Credential: *a}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func requestOptions(ctx context.Context, path string) (*sp.RequestOptions, error) {
	var out api.PasskeyRequest
	if err := do(ctx, "POST", path, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out.PublicKey, nil
}
