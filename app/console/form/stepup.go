package form

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// ElevationMargin: an elevation that ends sooner than this is treated as
// ended, so the step-up is asked before the server would refuse.
const ElevationMargin = 15 * time.Second

// TOTPOn reports whether TOTP is on (enabled or expired): then the
// step-up is a 2FA code, otherwise the password.
func TOTPOn(state string) bool { return state == api.TFAEnabled || state == api.TFAExpired }

// Elevated reports whether the session's step-up still lasts at now, a
// time of the server's clock (apiclient.ServerNow). Should the two clocks
// still differ, a form that trusted a wrong "elevated" gets
// step_up_required and asks then.
func Elevated(acc *api.Account, now time.Time) bool {
	return acc != nil && acc.ElevatedUntil != nil && acc.ElevatedUntil.After(now.Add(ElevationMargin))
}

// StepUp is the state of a 2FA step-up asked inside a form (API.md,
// "Step-up"): the code typed, and whether the server asked for one.
type StepUp struct {
	Code  string
	Asked bool
}

// NeedsCode reports whether the form must ask for a 2FA code: TOTP is on
// and the session is not elevated, or the server said so.
func (s StepUp) NeedsCode(acc *api.Account) bool {
	if acc == nil || !TOTPOn(acc.TFA.State) {
		return false
	}
	return s.Asked || !Elevated(acc, apiclient.ServerNow())
}

// StepUpCodeField is the "2FA code" field of a step-up. It takes a TOTP
// code or a backup code, so it keeps the full keyboard.
func StepUpCodeField(id, value, errMsg string, onInput app.EventHandler) app.UI {
	return widget.Field{
		ID: id, Label: i18n.T("stepup.code.label"), Value: value,
		Autocomplete: "one-time-code", Placeholder: i18n.T("stepup.code.placeholder"),
		Hint: i18n.T("stepup.code.hint"), Error: errMsg, Required: true, Code: true,
		OnInput: onInput,
	}.UI()
}

// CheckStepUpCode records in p the problem of a 2FA code typed in a
// step-up field: the seed's "Please enter your 2FA code" when it is empty,
// the shape's rule otherwise.
func CheckStepUpCode(p *Problems, field, code string) {
	switch rule := validate.TFACode(code); rule {
	case "":
	case "required":
		p.Set(field, rule, i18n.T("stepup.code.empty"))
	default:
		p.SetRule(field, rule)
	}
}

// StepUpPasswordField is the "Current password" field of a step-up while
// TOTP is off. username goes in a hidden field before it, so password
// managers fill the right account.
func StepUpPasswordField(id, username, value, errMsg string, onInput app.EventHandler) app.UI {
	return app.Div().Class("form").Body(
		app.Input().Type("text").Name("username").Attr("autocomplete", "username").
			Value(username).ReadOnly(true).Hidden(true),
		widget.Field{
			ID: id, Label: i18n.T("stepup.password.label"), Type: "password", Value: value,
			Autocomplete: "current-password", Required: true, Error: errMsg,
			Hint: i18n.T("stepup.password.hint"), OnInput: onInput,
		}.UI(),
	)
}

// StepUpFailed handles the step-up answers of a request sent with the
// code of s (empty when the session looked elevated): step_up_required
// asks for a code, invalid_code is an error of the code's field (never a
// sign-out). It reports whether err was one of them; the caller moves
// the focus to inputID.
func StepUpFailed(ctx app.Context, err error, s *StepUp, p *Problems, field, inputID string) bool {
	switch {
	case apiclient.Is(err, api.CodeStepUpRequired):
		s.Asked = true
		*p = Problems{}
		p.Set(field, api.CodeStepUpRequired, i18n.T("stepup.code.needed"))
	case apiclient.Is(err, api.CodeInvalidCode):
		s.Asked, s.Code = true, ""
		ClearInputs(ctx, inputID)
		*p = Problems{}
		rule, msg := refusedCode(err, i18n.T("error.invalid_code"))
		p.Set(field, rule, msg)
	default:
		return false
	}
	return true
}
