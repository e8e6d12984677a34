package totp

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// Disable confirms turning TOTP off (POST /api/account/tfa/disable, a
// step-up: a 2FA code unless the session is elevated) in the dialog
// "disable-dialog".
type Disable struct {
	Account *api.Account
	// OnDone receives the account with TOTP off.
	OnDone      func(ctx app.Context, acc *api.Account)
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)
}

// UI returns the dialog.
func (d Disable) UI() app.UI {
	return &form.StepUpDialog{
		ID: "disable", Title: i18n.T("totp.disable.title"), Text: i18n.T("totp.disable.text"),
		Submit: i18n.T("totp.disable.submit"), Submitting: i18n.T("totp.disable.submitting"),
		Kind: widget.ButtonDanger, Account: d.Account,
		Send: func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			acc, err := apiclient.TOTPDisable(ctx, req)
			return func(ctx app.Context) { d.OnDone(ctx, acc) }, err
		},
		OnClose: d.OnClose, OnSignedOut: d.OnSignedOut,
	}
}
