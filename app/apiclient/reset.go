package apiclient

import (
	"context"

	"twofold/shared/api"
)

// RequestPasswordReset is POST /api/auth/password-reset: the same answer
// whatever the login names (a mail goes only to an existing, enabled
// account with an email).
func RequestPasswordReset(ctx context.Context, login string) error {
	var resp api.PasswordResetSent
	return do(ctx, "POST", api.PathPasswordReset, api.PasswordResetRequest{Login: login}, &resp)
}

// ConfirmPasswordReset is POST /api/auth/password-reset/confirm: the
// mailed token sets the new password (invalid_code when the token is
// unknown, used or expired). Nobody is signed in by it.
func ConfirmPasswordReset(ctx context.Context, req api.PasswordResetConfirm) error {
	return do(ctx, "POST", api.PathPasswordResetConfirm, req, nil)
}
