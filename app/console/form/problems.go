// Package form holds what the console's forms share: their problems
// (errors next to fields, or one alert at the top), the texts of API
// errors, the step-up rules, and DOM helpers that work around go-app's
// rendering. The pages of package console and the method packages (totp,
// emailcode, backupcode) all use it.
package form

import (
	"strconv"
	"strings"

	"twofold/app/apiclient"
	"twofold/app/i18n"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// Problem is what is wrong with one field: the failed rule (a validator
// tag with its parameter, or an API error code) and its message.
type Problem struct {
	Rule    string
	Message string
}

// Problems are the errors a form shows: next to its fields (by JSON name)
// and, for the rest, one alert at the top.
type Problems struct {
	fields map[string]Problem
	// Alert is the error that belongs to no field.
	Alert string
}

// Set records a problem of a field; the first one of a field wins.
func (p *Problems) Set(field, rule, message string) {
	if p.fields == nil {
		p.fields = map[string]Problem{}
	}
	if _, ok := p.fields[field]; !ok {
		p.fields[field] = Problem{Rule: rule, Message: message}
	}
}

// SetRule records the failed rule of a field with the rule's text.
func (p *Problems) SetRule(field, rule string) { p.Set(field, rule, RuleText(rule)) }

// Msg returns the message of a field, or "".
func (p Problems) Msg(field string) string { return p.fields[field].Message }

// Empty reports whether there is no problem at all.
func (p Problems) Empty() bool { return len(p.fields) == 0 && p.Alert == "" }

// Field ties a JSON field name to the input that shows it.
type Field struct {
	Name    string
	InputID string
}

// First returns the input id of the first field with a problem, in the
// form's order, or alertID when only the alert is set.
func (p Problems) First(fields []Field, alertID string) string {
	for _, f := range fields {
		if _, ok := p.fields[f.Name]; ok {
			return f.InputID
		}
	}
	if p.Alert != "" {
		return alertID
	}
	return ""
}

// FromValidation converts the shared validator's problems.
func FromValidation(vp *validate.Problems) Problems {
	var p Problems
	if vp.Empty() {
		return p
	}
	for field, msg := range vp.Fields {
		rule := vp.Rules[field]
		if t := RuleText(rule); t != "" {
			msg = t
		}
		p.Set(field, rule, msg)
	}
	return p
}

// FromError turns an API call's error into problems: the fields of a
// validation_failed answer that the form shows go next to them, in the
// console's words for their rule (never the server's English message);
// anything else becomes the alert.
func FromError(err error, fields []Field) Problems {
	var p Problems
	ae := apiclient.APIError(err)
	if ae != nil && len(ae.Fields) > 0 {
		for _, f := range fields {
			if _, ok := ae.Fields[f.Name]; ok {
				rule := ae.Rules[f.Name]
				msg := RuleText(rule)
				if msg == "" {
					msg = i18n.T("rule.invalid")
				}
				p.Set(f.Name, rule, msg)
			}
		}
		if len(p.fields) == len(ae.Fields) {
			return p
		}
	}
	p.Alert = ErrorText(err)
	return p
}

// RuleText is the console's text for a failed rule (a validator tag with
// its parameter, "min=8"), or "" for a rule it does not know.
func RuleText(rule string) string {
	tag, param, _ := strings.Cut(rule, "=")
	key := "rule." + tag
	if !i18n.Has(key) {
		return ""
	}
	return i18n.T(key, "param", param)
}

// errorCodes are the API error codes (API.md) that have a text of their
// own, "error.<code>".
var errorCodes = []string{
	api.CodeBadRequest, api.CodeValidationFailed, api.CodeInvalidCredentials,
	api.CodeUnauthorized, api.CodeLoginExpired, api.CodeInvalidCode,
	api.CodeStepUpRequired, api.CodeForbidden, api.CodeEnrollmentRequired,
	api.CodeNotFound, api.CodeConflict, api.CodePayloadTooLarge,
	api.CodeUnavailable, api.CodeInternal,
}

// ErrorText is the message of an error that belongs to no field, in the
// console's language: by the API's error code, never the server's
// English message.
func ErrorText(err error) string {
	if apiclient.Unreachable(err) {
		return i18n.T("error.offline")
	}
	ae := apiclient.APIError(err)
	if ae == nil {
		return i18n.T("error.unexpected")
	}
	if ae.Code == api.CodeRateLimited {
		return TooManyAttempts(ae.RetryAfter)
	}
	for _, code := range errorCodes {
		if ae.Code == code {
			return i18n.T("error." + code)
		}
	}
	return i18n.T("error.failed", "code", ae.Code)
}

// TooManyAttempts is the message of a rate_limited answer.
func TooManyAttempts(retryAfter int) string {
	switch {
	case retryAfter <= 0:
		return i18n.T("error.rate_limited")
	case retryAfter == 1:
		return i18n.T("error.rate_limited.one_second")
	}
	return i18n.T("error.rate_limited.seconds", "seconds", strconv.Itoa(retryAfter))
}

// Itoa formats n for a placeholder.
func Itoa(n int) string { return strconv.Itoa(n) }
