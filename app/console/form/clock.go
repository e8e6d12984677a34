package form

import (
	"twofold/app/apiclient"
	"twofold/app/i18n"
	"twofold/shared/api"
)

// ClockSkew reports whether err refused a code with the clock hint: the
// TOTP code was right 2 to 10 minutes ago, so the clock of the device
// that shows the codes is behind (API.md, "Conventions").
func ClockSkew(err error) bool {
	ae := apiclient.APIError(err)
	return ae != nil && ae.Code == api.CodeInvalidCode && ae.Hint == api.HintClockSkew
}

// refusedCode is the rule and the message of a refused code's field:
// wrong, the form's own text for a wrong code; with the clock hint, what
// is off and how to set it right. The field's error is a live region, so
// either is announced.
func refusedCode(err error, wrong string) (rule, message string) {
	if ClockSkew(err) {
		return api.HintClockSkew, i18n.T("code.clock_skew")
	}
	return api.CodeInvalidCode, wrong
}
