package api

import "time"

// Rules of the contract that both the server and the console need, given
// once here.
const (
	// EmailResendCooldown is the wait between two code mails of one
	// sign-in (API.md, POST /api/auth/resend).
	EmailResendCooldown = 60 * time.Second
	// ElevationTTL is how long a step-up lasts (API.md, "Step-up").
	ElevationTTL = 5 * time.Minute
)
