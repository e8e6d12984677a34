package console

import (
	"context"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// adminUser is one user's page for administrators: the user's state and
// every action (disable or enable, make or remove administrator, enforce
// 2FA, email verification on or off, reset 2FA, sign out everywhere,
// unlock, send a password-reset mail), each a button that opens a
// confirmation dialog with an optional reason and the administrator's
// step-up.
type adminUser struct {
	app.Compo
	adminGate

	id   int64
	user *api.AdminUser
	// action is the open dialog's action ("" when none).
	action string
	notice string
	ctx    app.Context
}

// OnMount marks the page as the WASM's.
func (p *adminUser) OnMount(ctx app.Context) {
	p.mounted = true
	p.ctx = ctx
}

// OnNav reads the user's id from the URL and loads the account, then the
// user.
func (p *adminUser) OnNav(ctx app.Context) {
	setTitle(ctx, "admin.user.page_title")
	if app.IsServer {
		return
	}
	p.id, _ = strconv.ParseInt(ctx.Page().URL().Query().Get("id"), 10, 64)
	p.user, p.action, p.notice = nil, "", ""
	takeArrival(ctx, "admin-title")
	p.start(ctx, app.Event{})
}

func (p *adminUser) start(ctx app.Context, e app.Event) {
	p.loadAccount(ctx, p.load)
}

// load asks the server for the user.
func (p *adminUser) load(ctx app.Context) {
	id := p.id
	if id <= 0 {
		p.status, p.loadErr = statusFailed, i18n.T("admin.user.not_found")
		return
	}
	ctx.Async(func() {
		u, err := apiclient.AdminUser(ctx, id)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case err == nil:
				p.user, p.status = u, statusLoaded
			case apiclient.Is(err, api.CodeNotFound):
				p.status, p.loadErr = statusFailed, i18n.T("admin.user.not_found")
			default:
				p.failed(ctx, err)
			}
		})
	})
}

func (p *adminUser) Render() app.UI {
	return p.frame("admin-user-page", PathAdminUser, p.start, func() []app.UI {
		u := p.user
		return []app.UI{
			app.P().Class("breadcrumb").Body(
				app.A().ID("admin-back").Class("link").Href(PathAdminUsers).Text(i18n.T("admin.user.back")),
			),
			app.H1().ID("admin-title").Class("page-title").TabIndex(-1).Body(
				app.Span().Class("sr-only").Text(i18n.T("admin.user.heading_prefix")),
				app.Text(u.Username),
			),
			adminNav(""),
			app.P().ID("user-notice").Class("saved settings-notice").Role("status").TabIndex(-1).Text(p.notice),
			app.Section().ID("user-facts").Class("card").Aria("labelledby", "user-facts-title").Body(
				app.H2().ID("user-facts-title").Class("card-title").Text(i18n.T("admin.user.facts")),
				app.Div().ID("user-badges").Class("badges").Body(append([]app.UI{tfaBadge(u.TFA)}, userBadges(u)...)...),
				app.Dl().Class("facts").Body(p.facts()...),
				app.A().ID("user-events").Class("link").Href(PathAdminEvents+"?user_id="+form.Itoa(int(u.ID))).
					Text(i18n.T("admin.user.events")),
			),
			app.Section().ID("user-actions").Class("card").Aria("labelledby", "user-actions-title").Body(
				app.H2().ID("user-actions-title").Class("card-title").Text(i18n.T("admin.user.actions")),
				app.Div().Class("actions").Body(p.actionRows()...),
			),
			p.renderDialog(),
		}
	})
}

// facts are the user's details as a description list.
func (p *adminUser) facts() []app.UI {
	u := p.user
	fact := func(term, value string) []app.UI {
		return []app.UI{app.Dt().Text(term), app.Dd().Text(value)}
	}
	email := u.Email
	if email == "" {
		email = i18n.T("admin.user.no_email")
	}
	tfa := i18n.T("admin.tfa.not_enabled")
	switch {
	case u.TFA.State == api.TFAExpired:
		tfa = i18n.T("admin.tfa.expired")
	case u.TFA.State == api.TFAEnabled && u.TFA.EnabledAt != nil:
		tfa = i18n.T("admin.user.tfa_since", "date", formatDate(*u.TFA.EnabledAt))
	case u.TFA.State == api.TFAEnabled:
		tfa = i18n.T("admin.tfa.enabled")
	}
	role := i18n.T("admin.user.role_user")
	if u.IsAdmin {
		role = i18n.T("admin.marker.admin")
	}
	state := i18n.T("admin.user.enabled")
	if u.Disabled {
		state = i18n.T("admin.marker.disabled")
	}
	locked := i18n.T("admin.user.not_locked")
	if u.LockedUntil != nil {
		locked = i18n.T("admin.locked_until", "date", formatDateTime(*u.LockedUntil))
	}
	var out []app.UI
	out = append(out, fact(i18n.T("admin.user.email"), email)...)
	out = append(out, fact(i18n.T("admin.user.state"), state)...)
	out = append(out, fact(i18n.T("admin.user.role"), role)...)
	out = append(out, fact(i18n.T("admin.user.tfa"), tfa)...)
	if form.TOTPOn(u.TFA.State) {
		out = append(out, fact(i18n.T("admin.user.backup_codes"), form.Itoa(u.TFA.BackupCodesRemaining))...)
	}
	out = append(out, fact(i18n.T("admin.user.tfa_enforced"), onOff(u.TFA.Enforced))...)
	out = append(out, fact(i18n.T("admin.col.email_verification"), onOff(u.EmailVerification))...)
	out = append(out, fact(i18n.T("admin.user.locked"), locked)...)
	out = append(out, fact(i18n.T("admin.col.last_login"), lastLogin(u))...)
	out = append(out, fact(i18n.T("admin.user.created"), formatDateTime(u.CreatedAt))...)
	return out
}

// Actions of the user page, by name (the button is "action-<name>", its
// dialog "<name>-dialog").
const (
	actDisable      = "disable"
	actEnable       = "enable"
	actMakeAdmin    = "make-admin"
	actRemoveAdmin  = "remove-admin"
	actEnforce      = "enforce"
	actUnenforce    = "unenforce"
	actVerifyOn     = "verification-on"
	actVerifyOff    = "verification-off"
	actReset2FA     = "reset-2fa"
	actSignOut      = "sign-out"
	actUnlock       = "unlock"
	actPasswordMail = "password-reset"
)

// actionsOf are the actions that apply to u, in the page's order: of each
// pair of opposites, the one that changes something.
func actionsOf(u *api.AdminUser) []string {
	pick := func(on bool, ifOn, ifOff string) string {
		if on {
			return ifOn
		}
		return ifOff
	}
	return []string{
		pick(u.Disabled, actEnable, actDisable),
		pick(u.IsAdmin, actRemoveAdmin, actMakeAdmin),
		pick(u.TFAEnforced, actUnenforce, actEnforce),
		pick(u.EmailVerification, actVerifyOff, actVerifyOn),
		actReset2FA, actSignOut, actUnlock, actPasswordMail,
	}
}

// actionText is an action's button label, its dialog's text and whether
// it is a dangerous one.
func actionText(name string) (label, text string, danger bool) {
	switch name {
	case actDisable:
		return i18n.T("admin.act.disable"), i18n.T("admin.act.disable.text"), true
	case actEnable:
		return i18n.T("admin.act.enable"), i18n.T("admin.act.enable.text"), false
	case actMakeAdmin:
		return i18n.T("admin.act.make_admin"), i18n.T("admin.act.make_admin.text"), false
	case actRemoveAdmin:
		return i18n.T("admin.act.remove_admin"), i18n.T("admin.act.remove_admin.text"), true
	case actEnforce:
		return i18n.T("admin.act.enforce"), i18n.T("admin.act.enforce.text"), false
	case actUnenforce:
		return i18n.T("admin.act.unenforce"), i18n.T("admin.act.unenforce.text"), false
	case actVerifyOn:
		return i18n.T("admin.act.verification_on"), i18n.T("admin.act.verification_on.text"), false
	case actVerifyOff:
		return i18n.T("admin.act.verification_off"), i18n.T("admin.act.verification_off.text"), false
	case actReset2FA:
		return i18n.T("admin.act.reset_2fa"), i18n.T("admin.act.reset_2fa.text"), true
	case actSignOut:
		return i18n.T("admin.act.sign_out"), i18n.T("admin.act.sign_out.text"), true
	case actUnlock:
		return i18n.T("admin.act.unlock"), i18n.T("admin.act.unlock.text"), false
	case actPasswordMail:
		return i18n.T("admin.act.password_reset"), i18n.T("admin.act.password_reset.text"), false
	}
	return name, "", false
}

// actionRows are the action buttons, each with what it does.
func (p *adminUser) actionRows() []app.UI {
	names := actionsOf(p.user)
	rows := make([]app.UI, len(names))
	for i, name := range names {
		label, text, danger := actionText(name)
		cls := "btn btn-secondary"
		if danger {
			cls = "btn btn-danger"
		}
		rows[i] = app.Div().Class("action-row").Body(
			app.P().ID("action-"+name+"-hint").Class("hint").Text(text),
			app.Button().ID("action-"+name).Type("button").Class(cls).DataSet("action", name).
				Aria("describedby", "action-"+name+"-hint").OnClick(p.openAction).Text(label),
		)
	}
	return rows
}

func (p *adminUser) openAction(ctx app.Context, e app.Event) {
	p.notice = ""
	p.action = ctx.JSSrc().Get("dataset").Get("action").String()
}

// closeDialog closes the action's dialog and gives the focus back to its
// button (or to the notice, when the action replaced the button).
func (p *adminUser) closeDialog(ctx app.Context, e app.Event) {
	name := p.action
	p.action = ""
	p.ctx.Defer(func(app.Context) {
		if p.notice != "" || !form.Focus("action-"+name) {
			form.Focus("user-notice")
		}
	})
}

// renderDialog is the open action's confirmation.
func (p *adminUser) renderDialog() app.UI {
	name := p.action
	if name == "" {
		return app.Text("")
	}
	label, text, danger := actionText(name)
	kind := widget.ButtonPrimary
	if danger {
		kind = widget.ButtonDanger
	}
	id := p.user.ID
	return &form.StepUpDialog{
		ID: name, Account: p.account, Title: label,
		Text:   i18n.T("admin.act.confirm", "username", p.user.Username) + " " + text,
		Submit: label, Submitting: i18n.T("admin.act.working"), Kind: kind, Reason: true,
		SendConfirmed: func(ctx context.Context, c form.Confirmed) (func(app.Context), error) {
			u, err := sendAction(ctx, name, id, c)
			return func(ctx app.Context) { p.done(name, u) }, err
		},
		Explain: func(err error) string { return explainAdminError(name, err) },
		OnClose: p.closeDialog, OnSignedOut: sessionExpired,
	}
}

// sendAction makes the request of an action; the user comes back when
// the answer has it.
func sendAction(ctx context.Context, name string, id int64, c form.Confirmed) (*api.AdminUser, error) {
	on, off := true, false
	patch := api.AdminUserPatch{Reason: api.Reason{Reason: c.Reason}, StepUp: c.StepUp}
	switch name {
	case actDisable:
		patch.Disabled = &on
	case actEnable:
		patch.Disabled = &off
	case actMakeAdmin:
		patch.IsAdmin = &on
	case actRemoveAdmin:
		patch.IsAdmin = &off
	case actEnforce:
		patch.TFAEnforced = &on
	case actUnenforce:
		patch.TFAEnforced = &off
	case actVerifyOn:
		patch.EmailVerification = &on
	case actVerifyOff:
		patch.EmailVerification = &off
	default:
		path := map[string]string{
			actReset2FA: api.PathAdminUserReset2FA, actSignOut: api.PathAdminUserSignOut,
			actUnlock: api.PathAdminUserUnlock, actPasswordMail: api.PathAdminUserPasswordReset,
		}[name]
		return apiclient.AdminAction(ctx, path, id, api.AdminAction{Reason: patch.Reason, StepUp: c.StepUp})
	}
	return apiclient.AdminPatchUser(ctx, id, patch)
}

// done follows a successful action: the user as it is now, a notice, and
// the account again (the step-up code elevated the session; an
// administrator who removed their own rights is no longer one).
func (p *adminUser) done(name string, u *api.AdminUser) {
	if u != nil {
		p.user = u
	}
	p.notice = actionDone(name, p.user.Username)
	p.closeDialog(p.ctx, app.Event{})
	if u == nil {
		p.load(p.ctx)
	}
	p.refreshAccount(p.ctx)
}

// actionDone is the notice of a successful action.
func actionDone(name, username string) string {
	switch name {
	case actDisable:
		return i18n.T("admin.done.disabled", "username", username)
	case actEnable:
		return i18n.T("admin.done.enabled", "username", username)
	case actMakeAdmin:
		return i18n.T("admin.done.admin", "username", username)
	case actRemoveAdmin:
		return i18n.T("admin.done.not_admin", "username", username)
	case actEnforce:
		return i18n.T("admin.done.enforced", "username", username)
	case actUnenforce:
		return i18n.T("admin.done.not_enforced", "username", username)
	case actVerifyOn:
		return i18n.T("admin.done.verification_on", "username", username)
	case actVerifyOff:
		return i18n.T("admin.done.verification_off", "username", username)
	case actReset2FA:
		return i18n.T("admin.done.reset_2fa", "username", username)
	case actSignOut:
		return i18n.T("admin.done.signed_out", "username", username)
	case actUnlock:
		return i18n.T("admin.done.unlocked", "username", username)
	case actPasswordMail:
		return i18n.T("admin.done.password_reset", "username", username)
	}
	return ""
}

// explainAdminError words the refusals of an administrator's action that
// the generic texts would not explain: the last administrator, a user
// without email, rights lost meanwhile, a user gone.
func explainAdminError(name string, err error) string {
	ae := apiclient.APIError(err)
	if ae == nil {
		return ""
	}
	switch ae.Code {
	case api.CodeConflict:
		if name == actPasswordMail {
			return i18n.T("admin.error.no_email")
		}
		if name == actDisable || name == actRemoveAdmin {
			return i18n.T("admin.error.last_admin")
		}
	case api.CodeValidationFailed:
		if _, ok := ae.Fields["email_verification"]; ok {
			return i18n.T("admin.error.no_email")
		}
	case api.CodeForbidden:
		return i18n.T("admin.error.forbidden")
	case api.CodeNotFound:
		return i18n.T("admin.user.not_found")
	}
	return ""
}

// refreshAccount reloads the account quietly: an inline step-up code
// elevated the session, or the administrator's own rights changed.
func (g *adminGate) refreshAccount(ctx app.Context) {
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		if err == nil {
			ctx.Dispatch(func(ctx app.Context) {
				g.account = acc
				if !acc.User.IsAdmin {
					g.forbidden = true
				}
			})
		}
	})
}
