package audit

// Event types of administrators' changes (and of the command line's),
// recorded on the target user with the actor and the reason. Password
// changes, 2FA resets and ended sessions reuse PasswordChanged, TFAReset
// and SessionsEnded; an email verification change is SettingsChanged with
// the detail email_verification_on or email_verification_off.
const (
	UserCreated       = "user_created"
	UserDisabled      = "user_disabled"
	UserEnabled       = "user_enabled"
	AdminGranted      = "admin_granted"
	AdminRevoked      = "admin_revoked"
	TFAEnforcementOn  = "tfa_enforced"
	TFAEnforcementOff = "tfa_not_enforced"
	Unlocked          = "unlocked"
)
