package webui

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console"
	"twofold/app/i18n"
)

// The first paint: go-app pre-renders each page with the console's own
// components, but in one language (the console's strings are a global
// catalog) and one theme. Here a page is pre-rendered for the visitor:
//   - in the language chosen on the device (console.LanguageCookie, set by
//     the language switch), else the first of Accept-Language the console
//     speaks, else English;
//   - with <html data-theme> from console.ThemeCookie (the header's
//     switch), so a dark choice is dark from the first frame; without a
//     choice the stylesheet follows prefers-color-scheme.
//
// A rendering depends only on (path, language, theme): each is made once,
// one at a time (the catalog's language is set for it), and kept. The
// answer's ETag names the three, so a browser's cached page is never
// reused in another language or theme (go-app's own ETag is the version
// alone, and it answers 304 to it).

// pageKey names a rendering.
type pageKey struct {
	path, lang, theme string
}

// rendered is a pre-rendered page.
type rendered struct {
	status int
	header http.Header
	body   []byte
}

// pages renders and keeps the pre-rendered pages.
type pages struct {
	mu    sync.Mutex
	done  map[pageKey]rendered
	theme string // the theme of the rendering in progress (under mu)
}

// html is go-app's Handler.HTML: the <html> element of the page being
// rendered, with its theme. go-app calls it while pages.render holds mu.
func (p *pages) html() app.HTMLHtml {
	h := app.Html()
	if p.theme != "" {
		h = h.DataSet("theme", p.theme)
	}
	return h
}

// isPage reports whether path is one of the console's pages.
func isPage(path string) bool { return slices.Contains(console.Paths(), path) }

// servePage answers a page in the visitor's language and theme.
func (u *UI) servePage(w http.ResponseWriter, r *http.Request) {
	if !isPage(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	key := pageKey{path: r.URL.Path, lang: Language(r), theme: Theme(r)}
	etag := `"` + u.Version + "-" + key.lang + "-" + themeName(key.theme) + `"`
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Language, Cookie")
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	page := u.render(key)
	for k, v := range page.header {
		if k != "Etag" && k != "Cache-Control" {
			h[k] = v
		}
	}
	w.WriteHeader(page.status)
	if r.Method != http.MethodHead {
		w.Write(page.body)
	}
}

// render returns the page of key, rendering it the first time.
func (u *UI) render(key pageKey) rendered {
	p := &u.pages
	p.mu.Lock()
	defer p.mu.Unlock()
	if page, ok := p.done[key]; ok {
		return page
	}
	// go-app reads these fields for each page it renders; every rendering
	// happens here, under mu.
	i18n.SetLanguage(key.lang)
	defer i18n.SetLanguage(i18n.English)
	p.theme = key.theme
	console.PrerenderTheme(key.theme)
	defer console.PrerenderTheme("")
	u.app.Lang = key.lang
	u.app.Description = console.Description()
	rec := &recorder{header: http.Header{}}
	req, err := http.NewRequest(http.MethodGet, key.path, nil)
	if err != nil {
		return rendered{status: http.StatusBadRequest, header: http.Header{}}
	}
	u.app.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	page := rendered{status: rec.status, header: rec.header, body: fixARIA(rec.body.Bytes())}
	page.header.Set("Content-Length", strconv.Itoa(len(page.body)))
	if page.status == http.StatusOK {
		if p.done == nil {
			p.done = map[pageKey]rendered{}
		}
		p.done[key] = page
	}
	return page
}

// bareARIA is an ARIA attribute written without a value.
var bareARIA = regexp.MustCompile(`(\s)(aria-[a-z]+)([\s/>])`)

// fixARIA gives back the value "true" that go-app's HTML encoder drops
// from every attribute (aria-hidden="true" comes out as aria-hidden, which
// ARIA reads as undefined, not true), so the first paint reads the same
// as the page the WASM renders.
func fixARIA(html []byte) []byte { return bareARIA.ReplaceAll(html, []byte(`$1$2="true"$3`)) }

// themeName is the theme's name in the ETag.
func themeName(theme string) string {
	if theme == "" {
		return "system"
	}
	return theme
}

// Language is the language a request's page is rendered in: the one
// chosen on the device (its cookie), else the first of Accept-Language
// (by quality) that the console speaks, else English.
func Language(r *http.Request) string {
	if c, err := r.Cookie(console.LanguageCookie); err == nil && slices.Contains(i18n.Languages, c.Value) {
		return c.Value
	}
	if lang := i18n.Match(acceptLanguages(r.Header.Get("Accept-Language"))); lang != "" {
		return lang
	}
	return i18n.English
}

// Theme is the theme chosen on the device ("light", "dark"), or "" to
// follow the system.
func Theme(r *http.Request) string {
	if c, err := r.Cookie(console.ThemeCookie); err == nil {
		return console.ThemeOf(c.Value)
	}
	return ""
}

// acceptLanguages returns the language tags of an Accept-Language header,
// most wanted first (q=0 refuses a tag).
func acceptLanguages(header string) []string {
	type tag struct {
		name string
		q    float64
	}
	var tags []tag
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			f, err := strconv.ParseFloat(p[2:], 64)
			if err != nil {
				continue
			}
			q = f
		}
		if name == "" || name == "*" || q <= 0 {
			continue
		}
		tags = append(tags, tag{name, q})
	}
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].q > tags[j].q })
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.name
	}
	return out
}
