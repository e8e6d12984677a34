// Package browser wraps the browser features the console uses beyond the
// DOM it renders: the clipboard, file downloads, localStorage, the
// browser's languages and window events. It goes through
// app.Window(), so it adds no JavaScript file and nothing the CSP forbids.
package browser

import (
	"errors"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// ErrClipboard: the browser has no clipboard API here (an insecure page)
// or refused the write (no permission, page not focused).
var ErrClipboard = errors.New("the clipboard is not available")

// CopyText writes text to the clipboard. It waits for the browser's
// answer, so call it in ctx.Async.
func CopyText(text string) error {
	if app.IsServer {
		return ErrClipboard
	}
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		return ErrClipboard
	}
	ch := make(chan error, 1)
	var onOK, onFail app.Func
	release := func() {
		onOK.Release()
		onFail.Release()
	}
	onOK = app.FuncOf(func(app.Value, []app.Value) any {
		ch <- nil
		release()
		return nil
	})
	onFail = app.FuncOf(func(app.Value, []app.Value) any {
		ch <- ErrClipboard
		release()
		return nil
	})
	clip.Call("writeText", text).Call("then", onOK, onFail)
	return <-ch
}

// Download saves text as a file named name: a Blob, an object URL and a
// click on an <a download>. The link is put inside the element containerID
// (the open modal dialog: the rest of the page is inert then), or the body.
// A blob: download is a navigation, not a fetch, so the CSP's default-src
// 'self' does not apply to it.
func Download(name, mimeType, text, containerID string) {
	if app.IsServer {
		return
	}
	win := app.Window()
	blob := win.Get("Blob").New([]any{text}, map[string]any{"type": mimeType})
	url := win.Get("URL").Call("createObjectURL", blob)
	doc := win.Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Set("hidden", true)
	parent := win.GetElementByID(containerID)
	if containerID == "" || !parent.Truthy() {
		parent = doc.Get("body")
	}
	parent.Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	// The download reads the blob after this returns: free it later.
	go func() {
		time.Sleep(time.Minute)
		win.Get("URL").Call("revokeObjectURL", url)
	}()
}

// OnBeforeUnload asks the browser to confirm leaving the page (a reload,
// closing the tab, another address) whenever ask returns true, until the
// returned function removes it. The browser words the question itself.
func OnBeforeUnload(ask func() bool) (remove func()) {
	if app.IsServer {
		return func() {}
	}
	fn := app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) > 0 && ask() {
			args[0].Call("preventDefault")
			args[0].Set("returnValue", "")
		}
		return nil
	})
	app.Window().Call("addEventListener", "beforeunload", fn)
	return func() {
		app.Window().Call("removeEventListener", "beforeunload", fn)
		fn.Release()
	}
}
