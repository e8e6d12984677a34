package webui

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"twofold/web"
)

func TestLanguageOfARequest(t *testing.T) {
	tests := []struct {
		name, cookie, accept, want string
	}{
		{"nothing", "", "", "en"},
		{"browser French", "", "fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"browser German then French", "", "de-DE,de;q=0.9,fr;q=0.5", "fr"},
		{"by quality", "", "en;q=0.2, fr-CA;q=0.8", "fr"},
		{"refused", "", "fr;q=0, en", "en"},
		{"unsupported only", "", "de, es", "en"},
		{"the device's choice wins", "twofold_lang=en", "fr-FR,fr", "en"},
		{"the device's French", "other=1; twofold_lang=fr", "en-US", "fr"},
		{"unknown choice ignored", "twofold_lang=xx", "fr", "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", tt.cookie)
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			if got := Language(r); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestThemeOfARequest(t *testing.T) {
	for cookie, want := range map[string]string{
		"": "", "twofold_theme=dark": "dark", "twofold_theme=light": "light", "twofold_theme=pink": "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookie)
		if got := Theme(r); got != want {
			t.Errorf("%q: got %q, want %q", cookie, got, want)
		}
	}
}

// get requests path from u with the headers given as name, value pairs.
func get(t *testing.T, u *UI, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	u.ServeHTTP(rec, r)
	return rec
}

// Each page is pre-rendered in the visitor's language and theme: the
// French page holds the French texts only, the theme chosen is on <html>,
// and a cached page of another language or theme is never reused (the
// ETag names both).
func TestPagesPreRenderedInLanguageAndTheme(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	en := get(t, u, "/")
	fr := get(t, u, "/", "Accept-Language", "fr-FR,fr;q=0.9")
	frDark := get(t, u, "/", "Accept-Language", "fr-FR", "Cookie", "twofold_theme=dark")
	for name, rec := range map[string]*httptest.ResponseRecorder{"en": en, "fr": fr, "fr dark": frDark} {
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html" {
			t.Fatalf("%s: %d %v", name, rec.Code, rec.Header())
		}
		if v := rec.Header().Get("Vary"); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Cookie") {
			t.Errorf("%s: Vary %q", name, v)
		}
	}
	checks := []struct {
		name string
		body string
		want []string
		not  []string
	}{
		{"en", en.Body.String(), []string{`<html lang="en">`, "<title>Sign in · Twofold</title>", ">Username<", "Protect your account"},
			[]string{"Connexion", "data-theme", "Loading"}},
		{"fr", fr.Body.String(), []string{`<html lang="fr">`, "<title>Connexion · Twofold</title>", "Nom d’utilisateur", "Protégez votre compte"},
			[]string{"Sign in", "Username", "Loading", "data-theme"}},
		{"fr dark", htmlTag(frDark.Body.String()), []string{`lang="fr"`, `data-theme="dark"`}, nil},
	}
	for _, c := range checks {
		for _, w := range c.want {
			if !strings.Contains(c.body, w) {
				t.Errorf("%s: the page lacks %q", c.name, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(c.body, n) {
				t.Errorf("%s: the page holds %q", c.name, n)
			}
		}
	}
	if sw := regexp.MustCompile(`<button[^>]*id="theme-switch"[^>]*>`).FindString(frDark.Body.String()); !strings.Contains(sw, `aria-pressed="true"`) {
		t.Errorf("dark chosen: the theme switch is not pressed: %s", sw)
	}
	etags := []string{en.Header().Get("ETag"), fr.Header().Get("ETag"), frDark.Header().Get("ETag")}
	if slices.Contains(etags, `"`+u.Version+`"`) || len(slices.Compact(slices.Sorted(slices.Values(etags)))) != 3 {
		t.Errorf("ETags %q: want three, none go-app's version alone", etags)
	}
	// A revalidation answers 304 for the same language only.
	if rec := get(t, u, "/", "Accept-Language", "fr", "If-None-Match", etags[1]); rec.Code != http.StatusNotModified {
		t.Errorf("same language: %d, want 304", rec.Code)
	}
	if rec := get(t, u, "/", "If-None-Match", etags[1]); rec.Code != 200 || !strings.Contains(rec.Body.String(), `lang="en"`) {
		t.Errorf("another language with the French ETag: %d", rec.Code)
	}
	// Every page of the console, in both languages; unknown paths are 404.
	for _, path := range []string{"/verify", "/enroll", "/settings", "/settings/security", "/settings/devices",
		"/admin/users", "/admin/user", "/admin/events"} {
		rec := get(t, u, path+"?method=totp", "Cookie", "twofold_lang=fr")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Chargement") {
			t.Errorf("%s in French: %d, no loading text", path, rec.Code)
		}
	}
	if rec := get(t, u, "/settings/nothing"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown page: %d", rec.Code)
	}
	if rec := get(t, u, "/settings/security"); !strings.Contains(rec.Body.String(), `aria-current="page"`) {
		t.Errorf("the security tab is not marked current in its pre-rendered page")
	}
}

// go-app writes attributes whose value is "true" without the value;
// ARIA reads a valueless aria-hidden as undefined.
func TestPreRenderedARIAHasValues(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	body := get(t, u, "/").Body.String()
	if bare := regexp.MustCompile(`\saria-[a-z]+[\s/>]`).FindAllString(body, -1); len(bare) > 0 {
		t.Errorf("ARIA attributes without a value: %q", bare)
	}
	if !strings.Contains(body, `aria-hidden="true"`) {
		t.Errorf("aria-hidden lost its value")
	}
	if got := string(fixARIA([]byte(`<p aria-hidden>x aria-busy</p><b aria-pressed="false">`))); got != `<p aria-hidden="true">x aria-busy</p><b aria-pressed="false">` {
		t.Errorf("fixARIA: %s", got)
	}
}

// The sign-in form works before the WASM runs: the pre-rendered one
// carries data-early and the busy label for the page's script, its button
// is enabled; the language switch, which needs the WASM, is disabled.
func TestPreRenderedSignInIsUsable(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	body := get(t, u, "/", "Cookie", "twofold_lang=fr").Body.String()
	form := regexp.MustCompile(`<form[^>]*id="signin-form"[^>]*>`).FindString(body)
	if !strings.Contains(form, `data-early="queue"`) || !strings.Contains(form, `data-busy-label="Connexion…"`) {
		t.Errorf("sign-in form: %s", form)
	}
	button := regexp.MustCompile(`<button[^>]*id="signin-submit"[^>]*>`).FindString(body)
	if button == "" || strings.Contains(button, "disabled") {
		t.Errorf("sign-in button: %q", button)
	}
	if lang := regexp.MustCompile(`<button[^>]*id="lang-en"[^>]*>`).FindString(body); !strings.Contains(lang, "disabled") {
		t.Errorf("language switch before the WASM: %q", lang)
	}
	script := get(t, u, pagePath).Body.String()
	for _, want := range []string{`addEventListener("submit"`, `hasAttribute("data-early")`, "twofoldQueuedSubmit", "preventDefault"} {
		if !strings.Contains(script, want) {
			t.Errorf("page script lacks %q", want)
		}
	}
}

// The dark colours are written twice in app.css (the system's choice and
// the switch's): both blocks must say the same.
func TestDarkThemeBlocksAgree(t *testing.T) {
	css, err := fs.ReadFile(web.FS(), "app.css")
	if err != nil {
		t.Fatal(err)
	}
	block := func(start string) []string {
		s := string(css)
		i := strings.Index(s, start)
		if i < 0 {
			t.Fatalf("app.css lacks %q", start)
		}
		s = s[i+len(start):]
		s = s[:strings.Index(s, "}")]
		var decls []string
		for _, d := range strings.Split(s, ";") {
			if d = strings.TrimSpace(d); d != "" {
				decls = append(decls, d)
			}
		}
		return decls
	}
	system := block(":root:not([data-theme=\"light\"]) {")
	chosen := block(":root[data-theme=\"dark\"] {")
	if len(system) < 20 || !slices.Equal(system, chosen) {
		t.Errorf("dark blocks differ:\n%q\n%q", system, chosen)
	}
}

// htmlTag returns the <html> start tag of a page (go-app writes its
// attributes in any order).
func htmlTag(page string) string { return regexp.MustCompile(`<html[^>]*>`).FindString(page) }

// Pages are rendered one at a time (the catalog's language is global):
// requests in both languages at once each get their own.
func TestPagesRenderedConcurrently(t *testing.T) {
	u, err := New(fakeStatic())
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/", "/verify", "/enroll", "/settings", "/settings/security"}
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lang, want := "en", "Skip to content"
			if i%2 == 1 {
				lang, want = "fr", "Aller au contenu"
			}
			path := paths[i%len(paths)]
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Cookie", "twofold_lang="+lang)
			rec := httptest.NewRecorder()
			u.ServeHTTP(rec, r)
			if body := rec.Body.String(); !strings.Contains(htmlTag(body), `lang="`+lang+`"`) || !strings.Contains(body, want) {
				errs <- fmt.Sprintf("%s in %s: %s", path, lang, htmlTag(body))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
