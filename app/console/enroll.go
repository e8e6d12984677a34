package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/backupcode"
	"twofold/app/console/form"
	"twofold/app/console/totp"
	"twofold/app/i18n"
	"twofold/shared/api"
)

// enrollPage ("/enroll") sets up TOTP on its own page: for a sign-in that
// must enrol first (login status enroll: that session may only set up
// TOTP, read the account and sign out), then shows the backup codes and
// leads to the settings.
type enrollPage struct {
	app.Compo

	mounted bool
	status  loadStatus
	account *api.Account
	loadErr string
	codes   []string // shown once TOTP is enabled
	leaving bool
}

func newEnroll() *enrollPage { return &enrollPage{status: statusLoading} }

func (p *enrollPage) OnMount(ctx app.Context) { p.mounted = true }

// OnNav loads the account: signed out goes to the sign-in page, TOTP
// already on to the settings.
func (p *enrollPage) OnNav(ctx app.Context) {
	setTitle(ctx, "enroll.page_title")
	if app.IsServer || p.account != nil {
		return
	}
	takeArrival(ctx, "enroll-title")
	p.load(ctx)
}

func (p *enrollPage) load(ctx app.Context) {
	p.status, p.loadErr = statusLoading, ""
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case signedOutOr(ctx, err):
			case err != nil:
				p.status, p.loadErr = statusFailed, form.ErrorText(err)
				form.FocusLater(ctx, "enroll-error")
			case form.TOTPOn(acc.TFA.State):
				goTo(ctx, PathSettings)
			default:
				p.status, p.account = statusLoaded, acc
			}
		})
	})
}

func (p *enrollPage) Render() app.UI {
	return frame{ID: "enroll-page", Mounted: p.mounted, Account: p.account}.UI(
		app.Div().Class("container container-narrow").Body(
			app.H1().ID("enroll-title").Class("page-title").TabIndex(-1).Text(i18n.T("enroll.title")),
			p.renderBody(),
		),
	).DataSet("state", string(p.status))
}

func (p *enrollPage) renderBody() app.UI {
	if card := loadCard(p.status, "enroll", p.loadErr, func(ctx app.Context, e app.Event) { p.load(ctx) }); card != nil {
		return card
	}
	if p.codes != nil {
		return app.Div().Class("card").Body(
			&backupcode.Codes{
				Codes: p.codes, Username: p.account.User.Username, Inline: true,
				DoneLabel: i18n.T("enroll.continue"), OnDone: p.done,
			},
		)
	}
	return app.Div().Class("card").Body(
		app.If(p.account.TFA.Enforced, func() app.UI {
			return app.P().ID("enroll-required").Class("alert alert-info").Text(i18n.T("enroll.required"))
		}),
		&totp.Enrol{
			Account: p.account, Inline: true, CancelLabel: i18n.T("enroll.sign_out"),
			OnEnabled: p.enabled, OnCancel: p.signOut, OnSignedOut: sessionExpired,
		},
	)
}

// enabled shows the backup codes: the session is a full one now.
func (p *enrollPage) enabled(ctx app.Context, res *api.TOTPEnabled) {
	p.account, p.codes = &res.Account, res.BackupCodes
}

func (p *enrollPage) done(ctx app.Context, e app.Event) { goTo(ctx, PathSettings) }

// signOut ends the enrolment session: it can do nothing else.
func (p *enrollPage) signOut(ctx app.Context, e app.Event) { logOut(ctx, &p.leaving) }
