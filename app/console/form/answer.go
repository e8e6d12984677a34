package form

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/shared/api"
)

// Answer says how a form shows that its request failed.
type Answer struct {
	// Fields and AlertID are where the problems go (see Problems.First).
	Fields  []Field
	AlertID string
	// OnSignedOut is called instead when the session is gone
	// (unauthorized, login_expired).
	OnSignedOut func(ctx app.Context)
	// Refused handles the errors the form words itself (a wrong code)
	// and reports whether err was one of them. It may be nil.
	Refused func(ctx app.Context, err error) bool
}

// Failed shows in p why the request failed (err is not nil): a gone
// session calls OnSignedOut and shows nothing; an error Refused handles
// is its own; anything else is worded by FromError (rate_limited with
// its wait, offline...). Then the focus moves to the first problem.
func (a Answer) Failed(ctx app.Context, err error, p *Problems) {
	switch {
	case apiclient.SignedOut(err):
		if a.OnSignedOut != nil {
			a.OnSignedOut(ctx)
		}
		return
	case a.Refused != nil && a.Refused(ctx, err):
	default:
		*p = FromError(err, a.Fields)
	}
	FocusLater(ctx, p.First(a.Fields, a.AlertID))
}

// CodeRefused reports whether err is invalid_code. Then the code is
// typed again: it empties the code (the state *code and the input
// inputID) and gives the field the error text, or the clock hint's.
func CodeRefused(ctx app.Context, err error, p *Problems, code *string, inputID, text string) bool {
	if !apiclient.Is(err, api.CodeInvalidCode) {
		return false
	}
	*code = ""
	ClearInputs(ctx, inputID)
	rule, msg := refusedCode(err, text)
	p.Set("code", rule, msg)
	return true
}
