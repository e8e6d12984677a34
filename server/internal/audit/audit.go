// Package audit records a user's security events (sign-ins, failed codes,
// 2FA and settings changes) and lists them newest first.
package audit

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
)

// Event types.
const (
	Login                  = "login"
	Logout                 = "logout"
	SessionEnded           = "session_ended"
	SessionsEnded          = "sessions_ended"
	PasswordChanged        = "password_changed"
	EmailChanged           = "email_changed"
	SettingsChanged        = "settings_changed"
	StepUp                 = "step_up"
	StepUpFailed           = "step_up_failed"
	CodeFailed             = "code_failed"
	TFAEnabled             = "tfa_enabled"
	TFARenewed             = "tfa_renewed"
	TFADisabled            = "tfa_disabled"
	TFAReset               = "tfa_reset"
	BackupCodeUsed         = "backup_code_used"
	BackupCodesRegenerated = "backup_codes_regenerated"
	// Security keys and passkeys: added, renamed, removed, used to sign
	// in (the detail is the key's name); passwordless on or off.
	PasskeyAdded        = "passkey_added"
	PasskeyRenamed      = "passkey_renamed"
	PasskeyRemoved      = "passkey_removed"
	PasskeyUsed         = "passkey_used"
	PasswordlessChanged = "passwordless_changed"
)

// Origin says where a change came from, and who made it when it was not
// the user.
type Origin struct {
	IP        string
	UserAgent string
	// Actor is who made the change: "" for the user, an administrator's
	// username, or "cli".
	Actor string
	// Reason is an administrator's optional reason for the change.
	Reason string
}

// ActorCLI is the actor of changes made with the command line.
const ActorCLI = "cli"

// Recorder writes and reads events.
type Recorder struct {
	db    *db.DB
	clock clock.Clock
}

// New returns a Recorder.
func New(d *db.DB, c clock.Clock) *Recorder { return &Recorder{db: d, clock: c} }

// Record writes an event with idb, so it commits or rolls back with the
// change it describes.
func (r *Recorder) Record(ctx context.Context, idb bun.IDB, userID int64, typ string, o Origin, detail string) error {
	e := r.Event(userID, typ, o, detail)
	q, args := db.InsertValues(idb.NewInsert().Model(e), 1, e.Columns()...)
	if _, err := q.Conn(db.Prepared(idb, args...)).Exec(ctx); err != nil {
		return fmt.Errorf("record %s event for user %d: %w", typ, userID, err)
	}
	return nil
}

// Event returns the event that Record would write, for a caller that
// writes it together with its change (account.Service.SetLastLogin).
func (r *Recorder) Event(userID int64, typ string, o Origin, detail string) *db.Event {
	return &db.Event{UserID: userID, Time: r.clock.Now(), Type: typ, IP: o.IP, UserAgent: truncate(o.UserAgent, 512),
		Detail: detail, Actor: o.Actor, Reason: truncate(o.Reason, 2000)}
}

// List returns the newest events of a user, at most limit.
func (r *Recorder) List(ctx context.Context, userID int64, limit int) ([]db.Event, error) {
	var events []db.Event
	err := r.db.NewSelect().Model(&events).Where("user_id = ?", userID).
		Order("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list events of user %d: %w", userID, err)
	}
	return events, nil
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
