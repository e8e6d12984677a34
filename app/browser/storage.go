package browser

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// The console's keys in localStorage. Nothing secret is ever stored: see
// package console (offline.go) for what the account key holds.
const (
	// KeyLanguage holds the chosen language code ("en", "fr") only.
	KeyLanguage = "twofold.lang"
	// KeyAccount holds the last known account view, for offline use.
	KeyAccount = "twofold.account"
)

// storage returns window.localStorage, or a false value where there is
// none (server pre-rendering, storage disabled by the user).
func storage() app.Value {
	if app.IsServer {
		return app.Undefined()
	}
	// Reading localStorage throws when the browser blocks it; JS
	// exceptions become Go panics.
	defer func() { recover() }()
	return app.Window().Get("localStorage")
}

// Load returns the value of key in localStorage, or "".
func Load(key string) (value string) {
	s := storage()
	if !s.Truthy() {
		return ""
	}
	defer func() {
		if recover() != nil {
			value = ""
		}
	}()
	v := s.Call("getItem", key)
	if v.Type() != app.TypeString {
		return ""
	}
	return v.String()
}

// Store sets key to value in localStorage; it reports whether it could
// (the storage may be full or disabled).
func Store(key, value string) (ok bool) {
	s := storage()
	if !s.Truthy() {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s.Call("setItem", key, value)
	return true
}

// Remove deletes key from localStorage.
func Remove(key string) {
	s := storage()
	if !s.Truthy() {
		return
	}
	defer func() { recover() }()
	s.Call("removeItem", key)
}

// Languages returns the browser's preferred languages (navigator.languages,
// else navigator.language), most preferred first.
func Languages() []string {
	if app.IsServer {
		return nil
	}
	nav := app.Window().Get("navigator")
	var out []string
	if langs := nav.Get("languages"); langs.Truthy() {
		for i := 0; i < langs.Length(); i++ {
			out = append(out, langs.Index(i).String())
		}
	}
	if len(out) == 0 {
		if l := nav.Get("language"); l.Type() == app.TypeString {
			out = append(out, l.String())
		}
	}
	return out
}

// SetDocumentLang sets the lang attribute of <html>, so screen readers and
// the browser read the page in its language.
func SetDocumentLang(lang string) {
	if app.IsServer {
		return
	}
	app.Window().Get("document").Get("documentElement").Set("lang", lang)
}

// SetTitle sets the document's title.
func SetTitle(title string) {
	if app.IsServer {
		return
	}
	app.Window().Get("document").Set("title", title)
}

// Online reports navigator.onLine (true on the server).
func Online() bool {
	if app.IsServer {
		return true
	}
	v := app.Window().Get("navigator").Get("onLine")
	return v.Type() != app.TypeBoolean || v.Bool()
}

// OnWindowEvent calls f on each event name ("online", "offline") of the
// window until the returned function removes it.
func OnWindowEvent(name string, f func()) (remove func()) {
	if app.IsServer {
		return func() {}
	}
	fn := app.FuncOf(func(app.Value, []app.Value) any {
		f()
		return nil
	})
	app.Window().Call("addEventListener", name, fn)
	return func() {
		app.Window().Call("removeEventListener", name, fn)
		fn.Release()
	}
}

// CacheNames returns the names of the origin's caches (Cache Storage), or
// nil when there are none or no Cache Storage. It waits for the browser's
// answer, so call it in ctx.Async.
func CacheNames() []string {
	if app.IsServer {
		return nil
	}
	caches := app.Window().Get("caches")
	if !caches.Truthy() {
		return nil
	}
	ch := make(chan []string, 1)
	var onOK, onFail app.Func
	release := func() {
		onOK.Release()
		onFail.Release()
	}
	onOK = app.FuncOf(func(this app.Value, args []app.Value) any {
		var names []string
		for i := 0; i < args[0].Length(); i++ {
			names = append(names, args[0].Index(i).String())
		}
		ch <- names
		release()
		return nil
	})
	onFail = app.FuncOf(func(app.Value, []app.Value) any {
		ch <- nil
		release()
		return nil
	})
	caches.Call("keys").Call("then", onOK, onFail)
	return <-ch
}
