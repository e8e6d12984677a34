// Package passkey is the console's security keys and passkeys: the list on
// the security settings (add, rename, remove, the passwordless switch), the
// second sign-in step with a key, and sign-in with a passkey alone. The
// browser side goes through app/browser's navigator.credentials bridge;
// the JSON encoding is shared/passkey's, as on the server.
package passkey

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// Dialogs of the section.
const (
	dialogAdd          = "add"
	dialogRename       = "rename"
	dialogRemove       = "remove"
	dialogPasswordless = "passwordless"
)

// Keys is the "Security keys and passkeys" part of the security settings.
type Keys struct {
	app.Compo

	Account *api.Account
	Offline bool
	// OnAccount receives the account after a change; OnCodes the backup
	// codes made with the first second factor (shown once).
	OnAccount   func(ctx app.Context, acc *api.Account)
	OnCodes     func(ctx app.Context, codes []string)
	OnSignedOut func(ctx app.Context)

	// ctx is the section's own context: the list reloads after a dialog
	// closed, whose context goes with it.
	ctx     app.Context
	mounted bool
	keys    []api.Passkey
	name    string
	nameErr string
	dialog  string
	target  api.Passkey
	rename  string
	// notice is the catalog key of the last change's message, with the
	// key's name: rendered in the language in use.
	notice     string
	noticeName string
}

// OnMount loads the keys.
func (k *Keys) OnMount(ctx app.Context) {
	k.ctx, k.mounted = ctx, true
	k.load()
}

func (k *Keys) load() {
	ctx := k.ctx
	if app.IsServer || !k.mounted || k.Account == nil || !k.Account.PasskeysAvailable {
		return
	}
	ctx.Async(func() {
		keys, err := apiclient.Passkeys(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil {
				k.keys = keys
			}
		})
	})
}

func formatDate(t time.Time) string { return t.Local().Format(i18n.T("format.date")) }

func (k *Keys) Render() app.UI {
	head := app.H3().ID("passkeys-title").Class("section-title").TabIndex(-1).Text(i18n.T("passkey.title"))
	if k.Account == nil || !k.Account.PasskeysAvailable {
		return app.Div().ID("security-passkeys").Class("security-passkeys").Body(
			head, app.P().ID("passkeys-unavailable").Class("muted").Text(i18n.T("passkey.unavailable")))
	}
	supported := browser.WebAuthn()
	rows := make([]app.UI, 0, len(k.keys))
	for _, key := range k.keys {
		rows = append(rows, k.renderKey(key))
	}
	return app.Div().ID("security-passkeys").Class("security-passkeys").Body(
		head,
		app.P().ID("passkeys-intro").Class("hint").Text(i18n.T("passkey.intro")),
		widget.Alert{ID: "passkeys-notice", Kind: widget.AlertSuccess, Text: k.noticeText()}.UI(),
		app.If(!supported, func() app.UI {
			return app.P().ID("passkeys-unsupported").Class("warning").Text(i18n.T("passkey.unsupported"))
		}),
		app.If(len(k.keys) == 0, func() app.UI {
			return app.P().ID("passkeys-none").Class("muted").Text(i18n.T("passkey.none"))
		}).Else(func() app.UI {
			return app.Ul().ID("passkeys-list").Class("passkeys-list").Aria("labelledby", "passkeys-title").Body(rows...)
		}),
		app.Form().ID("passkey-add-form").Class("form passkey-add").NoValidate(true).OnSubmit(k.openAdd).Body(
			widget.Field{
				ID: "passkey-name", Label: i18n.T("passkey.name.label"), Value: k.name,
				Placeholder: i18n.T("passkey.name.placeholder"), Error: k.nameErr, Required: true,
				Disabled: k.Offline || !supported,
				OnInput:  func(ctx app.Context, e app.Event) { k.name = widget.InputValue(ctx) },
			}.UI(),
			app.Div().Class("form-actions").Body(
				widget.Button{ID: "passkey-add", Label: i18n.T("passkey.add"), Kind: widget.ButtonSecondary,
					Icon: "lock", Disabled: k.Offline || !supported}.UI(),
			),
		),
		app.If(len(k.keys) > 0, func() app.UI {
			return widget.Checkbox{
				ID: "passwordless", Label: i18n.T("passkey.passwordless"), Checked: k.Account.Passwordless,
				Hint: i18n.T("passkey.passwordless.hint"), Disabled: k.Offline, OnChange: k.openPasswordless,
			}.UI()
		}),
		k.renderDialog(),
	)
}

func (k *Keys) noticeText() string {
	switch k.notice {
	case "added":
		return i18n.T("passkey.added", "name", k.noticeName)
	case "removed":
		return i18n.T("passkey.removed")
	}
	return ""
}

func (k *Keys) renderKey(key api.Passkey) app.UI {
	id := strconv.FormatInt(key.ID, 10)
	used := i18n.T("passkey.never_used")
	if key.LastUsedAt != nil {
		used = i18n.T("passkey.last_used", "date", formatDate(*key.LastUsedAt))
	}
	return app.Li().ID("passkey-"+id).Class("security-row passkey-row").DataSet("name", key.Name).Body(
		app.Div().Body(
			app.P().Class("security-label passkey-name").Text(key.Name),
			app.P().Class("muted").Text(i18n.T("passkey.created", "date", formatDate(key.CreatedAt))+" · "+used),
		),
		app.Div().Class("passkey-actions").Body(
			app.Button().ID("passkey-rename-"+id).Type("button").Class("btn btn-secondary btn-sm").
				Aria("label", i18n.T("passkey.rename")+" "+key.Name).Disabled(k.Offline).
				OnClick(func(ctx app.Context, e app.Event) { k.open(dialogRename, key) }).Text(i18n.T("passkey.rename")),
			app.Button().ID("passkey-remove-"+id).Type("button").Class("btn btn-danger btn-sm").
				Aria("label", i18n.T("passkey.remove")+" "+key.Name).Disabled(k.Offline).
				OnClick(func(ctx app.Context, e app.Event) { k.open(dialogRemove, key) }).Text(i18n.T("passkey.remove")),
		),
	)
}

func (k *Keys) open(dialog string, key api.Passkey) {
	k.dialog, k.target, k.rename, k.notice = dialog, key, key.Name, ""
}

func (k *Keys) close(ctx app.Context, e app.Event) {
	k.dialog = ""
	form.FocusLater(ctx, "passkeys-title")
}

func (k *Keys) openAdd(ctx app.Context, e app.Event) {
	e.PreventDefault()
	k.name, k.notice = strings.TrimSpace(k.name), ""
	if k.name == "" {
		k.nameErr = i18n.T("passkey.name.empty")
		form.FocusLater(ctx, "passkey-name")
		return
	}
	k.nameErr, k.dialog = "", dialogAdd
}

func (k *Keys) openPasswordless(ctx app.Context, e app.Event) {
	k.notice = ""
	k.dialog = dialogPasswordless
}

func (k *Keys) renderDialog() app.UI {
	d := &form.StepUpDialog{Account: k.Account, OnClose: k.close, OnSignedOut: k.OnSignedOut}
	switch k.dialog {
	case dialogAdd:
		name := k.name
		d.ID, d.Title, d.Text = "passkey-add", i18n.T("passkey.add.title"), i18n.T("passkey.add.text", "name", name)
		d.Submit, d.Submitting = i18n.T("passkey.add.submit"), i18n.T("passkey.add.submitting")
		d.Send = func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			opts, err := apiclient.PasskeyRegisterBegin(ctx, req)
			if err != nil {
				return nil, err
			}
			att, err := browser.CreateKey(*opts)
			if err != nil {
				return nil, err
			}
			res, err := apiclient.PasskeyRegister(ctx, api.PasskeyRegister{Name: name, Credential: *att})
			if err != nil {
				return nil, err
			}
			return func(ctx app.Context) {
				k.name, k.dialog, k.notice, k.noticeName = "", "", "added", res.Passkey.Name
				form.ClearInputs(ctx, "passkey-name")
				k.OnAccount(ctx, &res.Account)
				k.load()
				if len(res.BackupCodes) > 0 {
					k.OnCodes(ctx, res.BackupCodes)
				} else {
					form.FocusLater(ctx, "passkeys-notice")
				}
			}, nil
		}
	case dialogRename:
		target := k.target
		d.ID, d.Title, d.Text = "passkey-rename", i18n.T("passkey.rename.title"), target.Name
		d.Submit, d.Submitting = i18n.T("passkey.rename.submit"), i18n.T("passkey.rename.submitting")
		d.Fields = widget.Field{
			ID: "passkey-rename-name", Label: i18n.T("passkey.rename.label"), Value: k.rename, Required: true,
			OnInput: func(ctx app.Context, e app.Event) { k.rename = widget.InputValue(ctx) },
		}.UI()
		d.Send = func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			err := apiclient.RenamePasskey(ctx, target.ID, api.PasskeyRename{Name: strings.TrimSpace(k.rename), StepUp: req})
			return func(ctx app.Context) { k.dialog = ""; k.load(); form.FocusLater(ctx, "passkeys-title") }, err
		}
	case dialogRemove:
		target := k.target
		d.ID, d.Title, d.Text = "passkey-remove", i18n.T("passkey.remove.title"), i18n.T("passkey.remove.text", "name", target.Name)
		d.Submit, d.Submitting, d.Kind = i18n.T("passkey.remove.submit"), i18n.T("passkey.remove.submitting"), widget.ButtonDanger
		d.Send = func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			acc, err := apiclient.DeletePasskey(ctx, target.ID, req)
			return func(ctx app.Context) {
				k.dialog, k.notice = "", "removed"
				k.OnAccount(ctx, acc)
				k.load()
				form.FocusLater(ctx, "passkeys-notice")
			}, err
		}
	case dialogPasswordless:
		on := !k.Account.Passwordless
		text := i18n.T("passkey.passwordless.off")
		if on {
			text = i18n.T("passkey.passwordless.on")
		}
		d.ID, d.Title, d.Text = "passwordless", i18n.T("passkey.passwordless.title"), text
		d.Submit, d.Submitting = i18n.T("passkey.passwordless.submit"), i18n.T("passkey.passwordless.submitting")
		d.Send = func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			acc, err := apiclient.SetPasswordless(ctx, api.PasswordlessUpdate{Enabled: &on, StepUp: req})
			return func(ctx app.Context) { k.dialog = ""; k.OnAccount(ctx, acc); form.FocusLater(ctx, "passwordless") }, err
		}
	default:
		return app.Text("")
	}
	return d
}
