package db

import (
	"time"

	"github.com/uptrace/bun"
)

// PasswordReset is a forgotten-password link: only the SHA-256 of its
// token is stored. It works once, until ExpiresAt, and dies with any
// password change of its user (account.Service.StorePassword deletes it).
type PasswordReset struct {
	bun.BaseModel `bun:"table:password_resets"`

	ID        int64  `bun:"id,pk,autoincrement"`
	TokenHash []byte `bun:"token_hash,notnull"`
	// UserID is nil for a request that mails nobody (unknown login, no
	// email, disabled account): such a row never opens anything.
	UserID    *int64     `bun:"user_id"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

// Reminder remembers one reminder mail per cause: Kind (what it is about)
// and Ref (which secret or which set of backup codes) are unique per user.
// The row is inserted in the transaction that decides to send; SentAt is
// set once the mail server took the mail.
type Reminder struct {
	bun.BaseModel `bun:"table:reminders"`

	ID        int64     `bun:"id,pk,autoincrement"`
	UserID    int64     `bun:"user_id,notnull"`
	Kind      string    `bun:"kind,notnull"`
	Ref       string    `bun:"ref,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	// ClaimedAt is set while a run sends the mail; it is cleared when the
	// mail server refused it, so a later run tries again.
	ClaimedAt *time.Time `bun:"claimed_at"`
	SentAt    *time.Time `bun:"sent_at"`
	// Attempts counts the sends tried.
	Attempts int `bun:"attempts,notnull"`
}

// Lease is a named lock on a background job, held by one server instance
// until it is released or expires.
type Lease struct {
	bun.BaseModel `bun:"table:leases"`

	Name       string    `bun:"name,pk"`
	Owner      string    `bun:"owner,notnull"`
	AcquiredAt time.Time `bun:"acquired_at,notnull"`
	ExpiresAt  time.Time `bun:"expires_at,notnull"`
}
