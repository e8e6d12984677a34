package console

import (
	"errors"
	"strconv"

	"twofold/app/apiclient"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// problem is what is wrong with one field: the failed rule (a validator tag
// with its parameter, or an API error code) and its English message. The
// rule is kept so that a translation can replace the message later.
type problem struct {
	Rule    string
	Message string
}

// problems are the errors a form shows: next to its fields (by JSON name)
// and, for the rest, one alert at the top.
type problems struct {
	fields map[string]problem
	alert  string
}

// set records a problem of a field; the first one of a field wins.
func (p *problems) set(field, rule, message string) {
	if p.fields == nil {
		p.fields = map[string]problem{}
	}
	if _, ok := p.fields[field]; !ok {
		p.fields[field] = problem{Rule: rule, Message: message}
	}
}

// msg returns the message of a field, or "".
func (p problems) msg(field string) string { return p.fields[field].Message }

func (p problems) empty() bool { return len(p.fields) == 0 && p.alert == "" }

// formField ties a JSON field name to the input that shows it.
type formField struct {
	name    string
	inputID string
}

// first returns the input id of the first field with a problem, in the
// form's order, or alertID when only the alert is set.
func (p problems) first(fields []formField, alertID string) string {
	for _, f := range fields {
		if _, ok := p.fields[f.name]; ok {
			return f.inputID
		}
	}
	if p.alert != "" {
		return alertID
	}
	return ""
}

// fromValidation converts the shared validator's problems.
func fromValidation(vp *validate.Problems) problems {
	var p problems
	if vp.Empty() {
		return p
	}
	for field, msg := range vp.Fields {
		p.set(field, vp.Rules[field], msg)
	}
	return p
}

// fromError turns an API call's error into problems: the fields of a
// validation_failed answer that the form shows go next to them; anything
// else becomes the alert.
func fromError(err error, fields []formField) problems {
	var p problems
	ae := apiclient.APIError(err)
	if ae != nil && len(ae.Fields) > 0 {
		for _, f := range fields {
			if msg, ok := ae.Fields[f.name]; ok {
				p.set(f.name, ae.Rules[f.name], msg)
			}
		}
		if len(p.fields) == len(ae.Fields) {
			return p
		}
	}
	p.alert = errorText(err)
	return p
}

// errorText is the message of an error that belongs to no field.
func errorText(err error) string {
	if errors.Is(err, apiclient.ErrOffline) {
		return "The server cannot be reached. Check your connection and try again."
	}
	ae := apiclient.APIError(err)
	if ae == nil {
		return "Something went wrong: " + err.Error()
	}
	switch ae.Code {
	case api.CodeRateLimited:
		return tooManyAttempts(ae.RetryAfter)
	case api.CodeUnavailable:
		if ae.Message != "" {
			return ae.Message
		}
		return "The service is unavailable. Try again in a moment."
	}
	if ae.Message != "" {
		return ae.Message
	}
	return "The request failed (" + ae.Code + ")."
}

// tooManyAttempts is the message of a rate_limited answer.
func tooManyAttempts(retryAfter int) string {
	switch {
	case retryAfter <= 0:
		return "Too many attempts. Try again later."
	case retryAfter == 1:
		return "Too many attempts. Try again in 1 second."
	}
	return "Too many attempts. Try again in " + strconv.Itoa(retryAfter) + " seconds."
}

func itoa(n int) string { return strconv.Itoa(n) }
