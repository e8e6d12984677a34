package audit

// Event types of the account lifecycle: forgotten passwords.
const (
	// PasswordResetRequested: a reset link was mailed to the user (by
	// their own request, or an administrator's: see the event's actor).
	PasswordResetRequested = "password_reset_requested"
	// PasswordReset: the password was set with a reset link; every
	// session and token of the user ended.
	PasswordReset = "password_reset"
)
