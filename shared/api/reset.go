package api

import "time"

// Paths of the forgotten-password flow (API.md, "Password reset").
const (
	// PathPasswordReset asks for a reset mail.
	PathPasswordReset = "/api/auth/password-reset"
	// PathPasswordResetConfirm sets the new password with the mailed token.
	PathPasswordResetConfirm = "/api/auth/password-reset/confirm"
	// PathAdminUserPasswordReset mails a user the reset link (an
	// administrator's action).
	PathAdminUserPasswordReset = "/api/admin/users/{id}/password-reset"
)

// Pages of the console that the server's mails link to. The console's
// route table must serve them.
const (
	// PageResetPassword is the page of a reset link:
	// PUBLIC_URL/reset-password#<token>. The token is in the fragment, so
	// it never reaches a server log; the page reads it from
	// location.hash and sends it in the body of PathPasswordResetConfirm.
	PageResetPassword = "/reset-password"
	// PageSettings is where reminders send the user (renew 2FA, make new
	// backup codes).
	PageSettings = "/settings"
)

// StatusSent is the status of the answer to a reset request.
const StatusSent = "sent"

// PasswordResetTTL is how long a reset link works (API.md).
const PasswordResetTTL = 30 * time.Minute

// PasswordResetRequest is the body of POST /api/auth/password-reset.
type PasswordResetRequest struct {
	// Login is a username or an email address.
	Login string `json:"login" validate:"required,max=254"`
}

// PasswordResetSent is the 202 answer of POST /api/auth/password-reset,
// the same whatever the account.
type PasswordResetSent struct {
	Status string `json:"status"`
}

// PasswordResetConfirm is the body of POST /api/auth/password-reset/confirm.
type PasswordResetConfirm struct {
	// Token is the part of the mailed link after '#'.
	Token       string `json:"token" validate:"required,max=128"`
	NewPassword string `json:"new_password" validate:"required,min=8,max=256"`
}
