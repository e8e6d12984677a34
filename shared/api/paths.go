package api

// Paths of the console API. The router and the UI client both use these
// constants, so a grep for one finds every place that serves or calls it.
const (
	PathHealth = "/api/health"
	PathReady  = "/api/ready"

	PathLogin  = "/api/auth/login"
	PathVerify = "/api/auth/verify"
	PathResend = "/api/auth/resend"
	// PathPending describes the pending sign-in (an addition to API.md):
	// the verification page uses it after a reload.
	PathPending = "/api/auth/pending"
	PathLogout  = "/api/auth/logout"

	PathAccount       = "/api/account"
	PathPassword      = "/api/account/password"
	PathAccountVerify = "/api/account/verify"
	PathEvents        = "/api/account/events"

	PathSessions          = "/api/account/sessions"
	PathSession           = "/api/account/sessions/{id}"
	PathSessionsEndOthers = "/api/account/sessions/end-others"

	PathTOTPSetup   = "/api/account/tfa/setup"
	PathTOTPEnable  = "/api/account/tfa/enable"
	PathTOTPDisable = "/api/account/tfa/disable"
	PathBackupCodes = "/api/account/tfa/backup-codes"
)
