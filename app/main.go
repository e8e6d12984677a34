// Command app is the Twofold console compiled to WebAssembly (web/static/app.wasm).
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console"
)

func main() {
	console.Register()
	if app.IsClient {
		console.Start()
		// The WASM runs, so app.wasm is in the HTTP cache: let the service
		// worker keep it for offline use without downloading it again.
		if f := app.Window().Get("twofoldWasmLoaded"); f.Truthy() {
			app.Window().Call("twofoldWasmLoaded")
		}
	}
	app.RunWhenOnBrowser()
}
