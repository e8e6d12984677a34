// Package console is the WASM console: its one route table, the shell and
// the pages.
package console

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Register declares the console's routes. The WASM binary and the server
// (which pre-renders pages) both call it.
func Register() {
	app.Route("/", func() app.Composer { return &placeholder{} })
}

type placeholder struct{ app.Compo }

func (p *placeholder) Render() app.UI { return app.Div().Text("Twofold") }
