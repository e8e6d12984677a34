package api

import "time"

// Kinds of Account.Notices: what the settings page shows as banners.
const (
	// NoticeTFAExpiring: 2FA turns "expired" within 14 days.
	NoticeTFAExpiring = "tfa_expiring"
	// NoticeTFAExpired: 2FA is "expired" (it still works; renew it).
	NoticeTFAExpired = "tfa_expired"
	// NoticeBackupCodesLow: 2 or fewer unused backup codes are left.
	NoticeBackupCodesLow = "backup_codes_low"
)

// Actions a Notice offers, named after what the settings page does.
const (
	// ActionRenewTFA: "Renew 2FA" (setup, then enable, with step-up).
	ActionRenewTFA = "renew_tfa"
	// ActionRegenerateBackupCodes: "Regenerate" (POST PathBackupCodes).
	ActionRegenerateBackupCodes = "regenerate_backup_codes"
)

// Reminder thresholds (the mails of the reminders job and the banners
// alike).
const (
	// TFAExpiryNotice: 2FA turning "expired" within this is announced (a
	// mail, a banner)...
	TFAExpiryNotice = 14 * 24 * time.Hour
	// TFAExpiryLastNotice: ...and mailed again within this.
	TFAExpiryLastNotice = 3 * 24 * time.Hour
	// BackupCodesLow: this many unused backup codes or fewer are announced.
	BackupCodesLow = 2
)

// Notice is a banner of the settings page (an addition to API.md): a
// state of the account that asks for an action.
type Notice struct {
	Kind   string `json:"kind"`
	Action string `json:"action"`
	// ExpiresAt is when 2FA turns (or turned) "expired" (tfa_*).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// DaysLeft is the number of days until then, rounded up
	// (tfa_expiring; at least 1).
	DaysLeft int `json:"days_left,omitempty"`
	// BackupCodesRemaining is the number of unused backup codes
	// (backup_codes_low; may be 0).
	BackupCodesRemaining *int `json:"backup_codes_remaining,omitempty"`
}
