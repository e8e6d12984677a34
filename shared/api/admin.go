package api

import "time"

// Paths of the administration API (API.md, "Administration"). Every one
// needs a full session of an administrator; those that change something
// are step-up requests.
const (
	// PathAdminUsers lists users (GET) and creates one (POST).
	PathAdminUsers = "/api/admin/users"
	// PathAdminUser reads (GET) and changes (PATCH) one user.
	PathAdminUser = "/api/admin/users/{id}"
	// PathAdminUserReset2FA removes a user's TOTP secret and backup codes.
	PathAdminUserReset2FA = "/api/admin/users/{id}/reset-2fa"
	// PathAdminUserSignOut ends every session and bearer token of a user.
	PathAdminUserSignOut = "/api/admin/users/{id}/sign-out"
	// PathAdminUserUnlock clears a user's password and code failure counters.
	PathAdminUserUnlock = "/api/admin/users/{id}/unlock"
	// PathAdminEvents lists every user's events, newest first.
	PathAdminEvents = "/api/admin/events"
)

// Bounds of the administration API.
const (
	// AdminDefaultPerPage and AdminMaxPerPage bound GET /api/admin/users.
	AdminDefaultPerPage = 50
	AdminMaxPerPage     = 200
	// AdminDefaultEvents and AdminMaxEvents bound GET /api/admin/events.
	AdminDefaultEvents = 50
	AdminMaxEvents     = 200
	// MaxReasonLen is the longest reason an administrator may give, in
	// characters.
	MaxReasonLen = 500
)

// AdminUser is a user as administrators see it: User with its state.
type AdminUser struct {
	User
	Disabled  bool       `json:"disabled"`
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login"`
	// EmailVerification is the user's email login verification setting.
	EmailVerification bool `json:"email_verification"`
	// TFAEnforced is the administrator's per-user choice (an addition to
	// API.md); TFA.Enforced is also true when TWOFOLD_ENFORCE_2FA applies.
	TFAEnforced bool `json:"tfa_enforced"`
	// TFA is the same object as Account's.
	TFA TFA `json:"tfa"`
	// LockedUntil is when the account's password or second-factor lock
	// ends, if it is locked now.
	LockedUntil *time.Time `json:"locked_until"`
}

// AdminUsers is the answer of GET /api/admin/users: one page of users by
// username, and the number of users that match.
type AdminUsers struct {
	Users []AdminUser `json:"users"`
	Total int64       `json:"total"`
	// Page and PerPage echo the page that was served (an addition to API.md).
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// AdminUsersQuery is the query of GET /api/admin/users, checked with the
// shared rules: ?q=&page=1&per_page=50.
type AdminUsersQuery struct {
	// Q matches a substring of the username or the email, case-insensitively.
	Q       string `json:"q" validate:"max=254"`
	Page    int    `json:"page" validate:"min=1,max=1000000"`
	PerPage int    `json:"per_page" validate:"min=1,max=200"`
}

// Reason is the optional reason of an administrator's change, recorded
// with the event and told to the user in the notice mail.
type Reason struct {
	Reason string `json:"reason,omitempty" validate:"max=500"`
}

// AdminAction is the body of POST /api/admin/users/{id}/reset-2fa,
// /sign-out and /unlock: an optional reason and the administrator's
// step-up credentials. An empty body is accepted.
type AdminAction struct {
	Reason
	StepUp
}

// AdminUserCreate is the body of POST /api/admin/users. Password is the
// new user's (without it, a random one is made and returned once); the
// administrator's own password, for the step-up while their TOTP is off,
// goes in CurrentPassword (an addition to API.md: "password" names the new
// user's here).
type AdminUserCreate struct {
	Username        string `json:"username" validate:"required,max=64"`
	Email           string `json:"email,omitempty" validate:"omitempty,email,max=254"`
	IsAdmin         bool   `json:"is_admin,omitempty"`
	Password        string `json:"password,omitempty" validate:"omitempty,min=8,max=256"`
	CurrentPassword string `json:"current_password,omitempty" validate:"omitempty,max=1024"`
	Code            string `json:"code,omitempty" validate:"omitempty,max=64"`
	Reason
}

// AdminUserCreated is the 201 answer of POST /api/admin/users. Password is
// set only when the server made it: it is shown this once.
type AdminUserCreated struct {
	User     AdminUser `json:"user"`
	Password string    `json:"password,omitempty"`
}

// AdminUserPatch is the body of PATCH /api/admin/users/{id}: only the
// fields sent change.
type AdminUserPatch struct {
	Disabled          *bool `json:"disabled,omitempty"`
	IsAdmin           *bool `json:"is_admin,omitempty"`
	TFAEnforced       *bool `json:"tfa_enforced,omitempty"`
	EmailVerification *bool `json:"email_verification,omitempty"`
	Reason
	StepUp
}

// AdminEvent is one entry of GET /api/admin/events.
type AdminEvent struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	UserID   int64     `json:"user_id"`
	Username string    `json:"username"`
	// Actor is who made the change: "" for the user, an administrator's
	// username, or "cli".
	Actor     string `json:"actor"`
	Reason    string `json:"reason"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	// Detail qualifies the type, e.g. "email_verification_on" (an addition
	// to API.md).
	Detail string `json:"detail"`
}

// AdminEvents is the answer of GET /api/admin/events. NextBefore is the
// "before" of the next (older) page, null on the last one.
type AdminEvents struct {
	Events     []AdminEvent `json:"events"`
	NextBefore *int64       `json:"next_before"`
}

// AdminEventsQuery is the query of GET /api/admin/events, checked with the
// shared rules: ?user_id=&type=&before=&limit=50 (0: no filter, from the
// newest).
type AdminEventsQuery struct {
	UserID int64  `json:"user_id" validate:"min=0"`
	Type   string `json:"type" validate:"max=64"`
	Before int64  `json:"before" validate:"min=0"`
	Limit  int    `json:"limit" validate:"min=1,max=200"`
}
