package firstpaint

// helloMain is the go-app hello-world the console is compared with: the
// getting-started app of go-app v10 (one component, pre-rendered by its
// server, behind go-app's stock loader and worker), with a text field and
// a button to time the same "usable form" as the console's sign-in form.
// It differs from the stock example in three ways, all to compare like
// with like: the server's code is left out of the WASM (build tags; the
// stock example links net/http into it, 13.6 MB instead of about 6 MB),
// its icons are local files (the stock ones are on GitHub, out of reach
// here), and its server sends app.wasm compressed with brotli as
// Twofold's does (go-app itself sends it raw).
const helloMain = `// Command hello is go-app's hello-world, built by twofold/tools/firstpaint.
package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

type hello struct {
	app.Compo
	mounted bool
}

func (h *hello) OnMount(ctx app.Context) { h.mounted = true }

func (h *hello) Render() app.UI {
	root := app.Div().ID("hello")
	if h.mounted {
		root = root.DataSet("mounted", true)
	}
	return root.Body(
		app.H1().Text("Hello World!"),
		app.Form().Body(
			app.Input().ID("probe-input").Type("text"),
			app.Button().ID("probe-submit").Type("submit").Text("Send"),
		),
	)
}

func main() {
	app.Route("/", func() app.Composer { return &hello{} })
	app.RunWhenOnBrowser()
	serve()
}
`

// helloWasm is the browser's side of serve: nothing (the WASM does not
// link the server's net/http).
const helloWasm = `//go:build wasm

package main

func serve() {}
`

// helloServer serves the hello-world: go-app's handler, with app.wasm
// sent compressed with brotli.
const helloServer = `//go:build !wasm

package main

import (
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func serve() {
	raw, err := os.ReadFile("web/app.wasm")
	if err != nil {
		log.Fatal(err)
	}
	br, err := os.ReadFile("web/app.wasm.br")
	if err != nil {
		log.Fatal(err)
	}
	h := &app.Handler{
		Name:              "Hello",
		Description:       "An Hello World! example",
		Version:           os.Getenv("HELLO_VERSION"),
		WasmContentLength: strconv.Itoa(len(raw)),
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-512.png",
			SVG:      "/web/icon.svg",
		},
	}
	http.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/web/app.wasm" && strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
			w.Header().Set("Content-Type", "application/wasm")
			w.Header().Set("Content-Encoding", "br")
			w.Header().Set("Vary", "Accept-Encoding")
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Length", strconv.Itoa(len(br)))
			w.Write(br)
			return
		}
		h.ServeHTTP(w, r)
	}))
	log.Fatal(http.ListenAndServe(os.Getenv("HELLO_ADDR"), nil))
}
`

// helloMod is the hello-world's go.mod.
const helloMod = `module hello

go 1.26

require github.com/maxence-charriere/go-app/v10 v10.1.11
`
