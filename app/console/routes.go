// Package console is the WASM console: its one route table, the shell and
// the pages. The method packages (totp, emailcode, backupcode) hold the
// pieces of each 2FA method; package form what the forms share.
package console

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Paths of the console's pages.
const (
	PathSignIn = "/"
	// PathVerify is the second sign-in step: ?method=totp or ?method=email
	// (never a code, a token or the email address in the URL).
	PathVerify = "/verify"
	// PathEnroll is the page of a sign-in that must set up 2FA first (the
	// enrolment session may only set up TOTP, read the account and sign out).
	PathEnroll   = "/enroll"
	PathSettings = "/settings"
)

// Register declares the console's routes. The WASM binary and the server
// (which pre-renders pages and answers 404 for other paths) both call it.
func Register() {
	app.Route(PathSignIn, func() app.Composer { return newSignIn() })
	app.Route(PathVerify, func() app.Composer { return newVerify() })
	app.Route(PathEnroll, func() app.Composer { return newEnroll() })
	app.Route(PathSettings, func() app.Composer { return newSettings() })
}
