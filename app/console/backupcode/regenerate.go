package backupcode

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/shared/api"
)

// Regenerate confirms making six new backup codes (POST
// /api/account/tfa/backup-codes, a step-up: a 2FA code unless the session
// is elevated) in the dialog "regenerate-dialog". The old codes stop
// working.
type Regenerate struct {
	Account *api.Account
	// OnDone receives the new codes.
	OnDone      func(ctx app.Context, codes []string)
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)
}

// UI returns the dialog.
func (r Regenerate) UI() app.UI {
	return &form.StepUpDialog{
		ID: "regenerate", Title: i18n.T("backup.regenerate.title"), Text: i18n.T("backup.regenerate.text"),
		Submit: i18n.T("backup.regenerate.submit"), Submitting: i18n.T("backup.regenerate.submitting"),
		Account: r.Account,
		Send: func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			res, err := apiclient.RegenerateBackupCodes(ctx, req)
			return func(ctx app.Context) { r.OnDone(ctx, res.BackupCodes) }, err
		},
		OnClose: r.OnClose, OnSignedOut: r.OnSignedOut,
	}
}
