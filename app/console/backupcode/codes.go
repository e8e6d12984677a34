// Package backupcode is the console's backup-code UI: the six codes shown
// once (copy, download as a text file) and their regeneration. The codes
// are stored hashed on the server, so they are never shown again.
package backupcode

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/browser"
	"twofold/app/i18n"
	"twofold/app/widget"
)

// CodesDialogID is the id of the backup-codes dialog (and of the inline
// block's title prefix).
const CodesDialogID = "codes-dialog"

// Codes shows new backup codes once, as the seed's dialog does, with
// "Copy all", "Download" (a .txt file) and a close that says they were
// saved. It is a modal dialog (settings) or, Inline, part of the
// enrolment page.
//
// The codes cannot be lost by accident: the dialog closes at once only
// after Copy all or Download, or with "I have saved these codes". Before
// that, Escape and × ask first, below the codes, which stay readable.
type Codes struct {
	app.Compo

	Codes    []string
	Username string
	// Inline renders the block in the page instead of a dialog.
	Inline bool
	// DoneLabel names the closing button (default "I have saved these
	// codes").
	DoneLabel string
	// OnDone closes: the closing button, or Escape and × once the codes
	// were saved or the question answered.
	OnDone app.EventHandler

	status string
	// saved: the codes were copied or downloaded.
	saved bool
	// asking: Escape or × came before the codes were saved; the dialog
	// asks whether to close.
	asking bool
	// ctx is the component's own context: the focus moves after updates
	// that remove the button clicked (whose context goes with it).
	ctx app.Context
	// stopAsking removes the question the browser asks before leaving the
	// page while the codes are not saved.
	stopAsking func()
}

// OnMount opens the dialog with the focus on its title, or moves the focus
// to the inline title.
func (c *Codes) OnMount(ctx app.Context) {
	c.ctx = ctx
	// Leaving the page (a reload, closing the tab) would lose the codes
	// too: the browser asks first until they are saved.
	c.stopAsking = browser.OnBeforeUnload(func() bool { return !c.saved })
	if c.Inline {
		ctx.Defer(func(app.Context) {
			if el := app.Window().GetElementByID(widget.TitleID(CodesDialogID)); el.Truthy() {
				el.Call("focus")
			}
		})
		return
	}
	widget.ShowModal(ctx, CodesDialogID, "")
}

// OnDismount stops asking before leaving the page.
func (c *Codes) OnDismount() {
	if c.stopAsking != nil {
		c.stopAsking()
		c.stopAsking = nil
	}
}

func (c *Codes) Render() app.UI {
	items := make([]app.UI, len(c.Codes))
	for i, code := range c.Codes {
		items[i] = app.Li().Body(app.Code().Class("code").Text(code))
	}
	done := c.DoneLabel
	if done == "" {
		done = i18n.T("backup.done")
	}
	body := []app.UI{
		app.P().ID("codes-intro").Text(i18n.T("backup.intro")),
		app.Ol().ID("backup-codes").Class("codes").Aria("label", i18n.T("backup.list_label")).Body(items...),
		app.P().Class("hint").Text(i18n.T("backup.once")),
		app.Div().Class("codes-tools").Body(
			widget.Button{
				ID: "backup-copy", Label: i18n.T("backup.copy"), Type: "button",
				Kind: widget.ButtonSecondary, OnClick: c.copyAll,
			}.UI(),
			widget.Button{
				ID: "backup-download", Label: i18n.T("backup.download"), Type: "button",
				Kind: widget.ButtonSecondary, OnClick: c.download,
			}.UI(),
		),
		app.P().ID("backup-status").Class("hint").Role("status").Aria("live", "polite").Text(c.status),
		c.renderActions(done),
	}
	if c.Inline {
		return app.Section().ID("codes").Class("codes-inline").Aria("labelledby", widget.TitleID(CodesDialogID)).Body(
			append([]app.UI{
				app.H2().ID(widget.TitleID(CodesDialogID)).Class("card-title").TabIndex(-1).Text(i18n.T("backup.title")),
			}, body...)...,
		)
	}
	return widget.Dialog{
		ID: CodesDialogID, Title: i18n.T("backup.title"), DescribedBy: "codes-intro",
		CloseLabel: i18n.T("dialog.close"), OnClose: c.close, Body: body,
	}.UI()
}

// renderActions is the dialog's footer: the closing button or, while the
// dialog asks, the question with its two answers.
func (c *Codes) renderActions(done string) app.UI {
	if c.asking {
		return app.Div().ID("backup-confirm").Class("dialog-actions dialog-confirm").
			Role("group").Aria("labelledby", "backup-confirm-text").Body(
			app.P().ID("backup-confirm-text").Class("confirm-text").Role("alert").Text(i18n.T("backup.confirm.text")),
			app.Div().Class("form-actions").Body(
				widget.Button{
					ID: "backup-keep", Label: i18n.T("backup.confirm.keep"), Type: "button",
					Kind: widget.ButtonSecondary, OnClick: c.keep,
				}.UI(),
				widget.Button{ID: "backup-confirm-close", Label: i18n.T("backup.confirm.close"), Type: "button", OnClick: c.OnDone}.UI(),
			),
		)
	}
	return app.Div().Class("form-actions dialog-actions").Body(
		widget.Button{ID: "backup-done", Label: done, Type: "button", OnClick: c.OnDone}.UI(),
	)
}

// close is Escape and ×: it closes once the codes were saved, otherwise
// it asks first (and goes on asking: only an answer closes).
func (c *Codes) close(ctx app.Context, e app.Event) {
	if c.saved || c.Inline {
		c.OnDone(ctx, e)
		return
	}
	c.asking = true
	c.ctx.Defer(func(app.Context) { focusID("backup-keep") })
}

// keep answers the question: back to the codes, which are to be saved.
func (c *Codes) keep(ctx app.Context, e app.Event) {
	c.asking = false
	c.ctx.Defer(func(app.Context) { focusID("backup-copy") })
}

// focusID moves the focus to the element id, if it is there.
func focusID(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}

// Text is the content of the copied text and of the downloaded file.
func Text(username string, codes []string, now time.Time) string {
	var b strings.Builder
	b.WriteString(i18n.T("backup.file.title", "username", username))
	b.WriteString("\n")
	b.WriteString(i18n.T("backup.file.created", "date", now.Format(i18n.T("format.datetime"))))
	b.WriteString("\n\n")
	for _, code := range codes {
		b.WriteString(code)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(i18n.T("backup.file.help"))
	b.WriteString("\n")
	return b.String()
}

// FileName is the name of the downloaded file, in the language in use:
// the product, "backup codes" and the username, in characters every file
// system takes.
func FileName(username string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(username) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		}
	}
	name := i18n.T("backup.file.name")
	if b.Len() > 0 {
		name += "-" + b.String()
	}
	return name + ".txt"
}

func (c *Codes) copyAll(ctx app.Context, e app.Event) {
	text := strings.Join(c.Codes, "\n") + "\n"
	c.status = ""
	ctx.Async(func() {
		err := browser.CopyText(text)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				c.status = i18n.T("backup.copy_failed")
				return
			}
			c.status, c.saved, c.asking = i18n.T("backup.copied"), true, false
		})
	})
}

func (c *Codes) download(ctx app.Context, e app.Event) {
	container := CodesDialogID
	if c.Inline {
		container = ""
	}
	name := FileName(c.Username)
	browser.Download(name, "text/plain;charset=utf-8", Text(c.Username, c.Codes, time.Now()), container)
	c.status, c.saved, c.asking = i18n.T("backup.downloaded", "file", name), true, false
}
