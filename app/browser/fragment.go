package browser

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// TakeFragment returns the address's fragment (after '#', "" when none)
// and removes it from the address bar and the current history entry with
// history.replaceState, so that what it held (a password-reset token) is
// neither shown, nor bookmarked, nor kept in the history. It is never
// stored anywhere.
func TakeFragment() string {
	if app.IsServer {
		return ""
	}
	win := app.Window()
	loc := win.Get("location")
	hash := strings.TrimPrefix(loc.Get("hash").String(), "#")
	if hash == "" {
		return ""
	}
	win.Get("history").Call("replaceState", win.Get("history").Get("state"), "",
		loc.Get("pathname").String()+loc.Get("search").String())
	return hash
}
