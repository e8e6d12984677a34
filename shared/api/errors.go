package api

// Error codes of API.md, carried in Error.Code.
const (
	CodeBadRequest         = "bad_request"
	CodeValidationFailed   = "validation_failed"
	CodeInvalidCredentials = "invalid_credentials"
	CodeUnauthorized       = "unauthorized"
	CodeLoginExpired       = "login_expired"
	CodeInvalidCode        = "invalid_code"
	CodeStepUpRequired     = "step_up_required"
	CodeRateLimited        = "rate_limited"
	CodeForbidden          = "forbidden"
	CodeEnrollmentRequired = "enrollment_required"
	CodeNotFound           = "not_found"
	CodeConflict           = "conflict"
	CodePayloadTooLarge    = "payload_too_large"
	CodeUnavailable        = "unavailable"
	CodeInternal           = "internal"
)

// HintClockSkew is the Hint of an invalid_code whose TOTP code was right 2
// to 10 minutes ago: the device's clock is behind (API.md, "Conventions").
const HintClockSkew = "clock_skew"

// Error is the body of every 4xx and 5xx answer.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"error"`
	// Fields maps a JSON field name to an English message (validation_failed only).
	Fields map[string]string `json:"fields,omitempty"`
	// Rules maps a JSON field name to the failed rule, a validator tag with its
	// parameter ("required", "min=8"), so that clients can translate.
	Rules map[string]string `json:"rules,omitempty"`
	// EmailHint is set on a 503 of an email-verification login.
	EmailHint string `json:"email_hint,omitempty"`
	// Hint adds a cause the user can act on to an invalid_code: HintClockSkew.
	Hint string `json:"hint,omitempty"`
	// RetryAfter is the Retry-After header in seconds, filled in by clients
	// from the header; the server never sends it in the body.
	RetryAfter int `json:"-"`
	// Status is the HTTP status, filled in by clients.
	Status int `json:"-"`
}

// Error implements the error interface with the human message.
func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Code
}

// SignedOut reports whether the error means the browser has no usable session
// any more (API.md: only unauthorized and login_expired mean that).
func (e *Error) SignedOut() bool {
	return e.Code == CodeUnauthorized || e.Code == CodeLoginExpired
}
