// Package console is the WASM console: its one route table, the shell and
// the pages.
package console

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Paths of the console's pages.
const (
	PathSignIn   = "/"
	PathSettings = "/settings"
	// The second sign-in step ("/verify": TOTP or email code) and the
	// enrolment page come with their issues: add them here and in
	// nextPage (signin.go).
)

// Register declares the console's routes. The WASM binary and the server
// (which pre-renders pages and answers 404 for other paths) both call it.
func Register() {
	app.Route(PathSignIn, func() app.Composer { return newSignIn() })
	app.Route(PathSettings, func() app.Composer { return newSettings() })
}
