// Package web embeds the console's static files: the stylesheet, the icons
// and what `make build` writes here (app.wasm with its .br and .gz copies).
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// FS returns the static files, served under /web/.
func FS() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // "static" is embedded above; this cannot fail.
	}
	return sub
}
