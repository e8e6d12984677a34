// Command app is the Twofold console compiled to WebAssembly (web/static/app.wasm).
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console"
)

func main() {
	console.Register()
	app.RunWhenOnBrowser()
}
