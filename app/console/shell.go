package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/i18n"
	"twofold/shared/api"
)

// frame is the frame of every page: its root element, the header and the
// main content. The root carries data-mounted="true" only once the WASM
// has mounted the page (before that, the browser shows the server's
// pre-rendered HTML, which has no handlers), so tests and scripts wait for
// [data-mounted=true].
type frame struct {
	// ID is the page root's id ("settings-page").
	ID      string
	Mounted bool
	// Account is the signed-in account, whose username the header shows;
	// nil on the sign-in pages and until it is loaded.
	Account *api.Account
	// Offline: the server cannot be reached, so signing out cannot either.
	Offline bool
	// AdminPage: the page is one of the administrators' (the header marks
	// its Users link current).
	AdminPage bool
}

// UI renders the frame around the page's main content.
func (f frame) UI(main ...app.UI) app.HTMLDiv {
	root := app.Div().ID(f.ID).Class("page")
	if f.Mounted {
		root = root.DataSet("mounted", true)
	}
	username, admin := "", false
	if f.Account != nil {
		username, admin = f.Account.User.Username, f.Account.User.IsAdmin
	}
	return root.Body(
		app.A().Href("#main").Class("skip-link").Text(i18n.T("shell.skip")),
		&header{Username: username, Offline: f.Offline, Admin: admin, AdminPage: f.AdminPage},
		app.Main().ID("main").Class("main").TabIndex(-1).Body(main...),
		app.Footer().Class("footer").Body(
			app.P().Text(i18n.T("shell.footer")),
		),
	)
}

// hiddenUsername is the username in a form that asks for a password, not
// shown (display: none): password managers use it to file or fill the
// password of the right account.
func hiddenUsername(name string) app.UI {
	return app.Input().Type("text").Name("username").Attr("autocomplete", "username").
		Value(name).ReadOnly(true).Hidden(true)
}
