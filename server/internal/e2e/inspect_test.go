package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"twofold/app/i18n"
)

// What the browser tests look at in a page beyond its elements: the
// accessibility (axe-core), the language of every visible text, and what
// the browser stores.

// axeEnv names axe-core's axe.min.js (the Makefile sets it to the copy
// .ci/ensure-tools installs); unset, that copy is looked for.
const axeEnv = "TWOFOLD_AXE"

// axeDefault is where .ci/ensure-tools installs axe-core, from the
// repository's root.
const axeDefault = ".cache/axe-core/node_modules/axe-core/axe.min.js"

// axeFix is the command that installs axe-core where the Makefile looks.
const axeFix = "run `make test` (its .ci/ensure-tools test installs axe-core), or, at the repository's root: " +
	"npm install --no-save --prefix .cache/axe-core axe-core@4.14.1 (or set " + axeEnv + " to an axe.min.js)"

// axeSource reads axe.min.js, once.
var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv(axeEnv)
	if path == "" {
		path = filepath.Join(axeRoot, axeDefault)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(b), "axe") {
		return "", fmt.Errorf("%s does not look like axe-core", path)
	}
	return string(b), nil
})

// axeRoot is the repository's root, where axeDefault is looked for.
var axeRoot string

// axeViolation is one failed axe-core rule with the elements that fail it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// colorScheme emulates prefers-color-scheme ("light" or "dark").
func (e *env) colorScheme(scheme string) {
	e.t.Helper()
	_, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
	})
	if err != nil {
		e.t.Fatalf("emulate %s colours: %v", scheme, err)
	}
}

// axe runs axe-core on the page as it is, in light and in dark colours,
// and fails the test on any serious or critical violation, listing them
// all. axe.min.js is evaluated through the DevTools protocol, to which
// the page's CSP does not apply. With TWOFOLD_E2E_SCREENSHOTS=1 it also
// saves a screenshot of each.
func (e *env) axe(name string) {
	e.t.Helper()
	axeRoot = repoRoot(e.t)
	src, err := axeSource()
	if err != nil {
		e.t.Fatalf("axe-core is missing (%v): %s", err, axeFix)
	}
	for _, scheme := range []string{"light", "dark"} {
		e.colorScheme(scheme)
		if _, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined" || (() => {`+src+"\n;return true})()")); err != nil {
			e.t.Fatalf("inject axe-core: %v", err)
		}
		found, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]axeViolation](`(async () => {
			const r = await axe.run(document, {resultTypes: ["violations"]});
			return r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
				nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))}));
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			e.t.Fatalf("run axe-core on %s: %v", name, err)
		}
		for _, v := range found {
			msg := fmt.Sprintf("axe %s (%s): %s [%s] %s\n\t%s", name, scheme, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
			if v.Impact == "serious" || v.Impact == "critical" {
				e.t.Error(msg)
			} else {
				e.t.Log(msg)
			}
		}
		e.snapshot(name + "-" + scheme)
	}
	e.colorScheme("light")
}

// pageText is what a person meets in the page: its title, the text of
// every rendered element and the texts of attributes read out or shown
// (placeholder, aria-label, alt, title), each with the language of the
// element it belongs to.
type pageText struct {
	Lang    string     `json:"lang"`
	Texts   [][]string `json:"texts"` // [text, language]
	Missing []string   `json:"missing"`
}

const readTexts = `(() => {
	const langOf = (el) => { const l = el && el.closest("[lang]"); return l ? l.lang : ""; };
	const shown = (el) => el.checkVisibility ? el.checkVisibility({visibilityProperty: true}) : el.getClientRects().length > 0;
	const texts = [[document.title, document.documentElement.lang]];
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		const el = n.parentElement;
		const s = n.textContent.trim();
		// Codes and keys are data, not language.
		if (!s || !el || el.closest("script, style, code, #app-wasm-loader") || !shown(el)) continue;
		texts.push([s, langOf(el)]);
	}
	for (const el of document.body.querySelectorAll("[placeholder], [aria-label], [alt], [title]")) {
		if (!shown(el)) continue;
		for (const a of ["placeholder", "aria-label", "alt", "title"]) {
			const v = (el.getAttribute(a) || "").trim();
			if (v) texts.push([v, langOf(el)]);
		}
	}
	return {lang: document.documentElement.lang, texts, missing: window.twofoldMissingText || []};
})()`

// englishOnly are English words that no French text of the console
// contains: a visible one on a French page is a string that escaped the
// catalog.
var englishOnly = map[string]bool{
	"the": true, "your": true, "you": true, "and": true, "with": true, "is": true, "are": true,
	"to": true, "of": true, "this": true, "that": true, "sign": true, "signed": true, "enter": true,
	"settings": true, "password": true, "backup": true, "again": true, "will": true, "please": true,
	"loading": true, "failed": true, "wrong": true, "cannot": true, "not": true, "from": true,
	"for": true, "new": true, "save": true, "enable": true, "disable": true, "email": true,
}

var word = regexp.MustCompile(`[\p{L}]+`)

// catalogPatterns are the English texts of the console whose French text
// differs, as patterns (a placeholder matches anything).
var catalogPatterns = sync.OnceValue(func() map[string]*regexp.Regexp {
	en, fr := i18n.Catalog(i18n.English), i18n.Catalog(i18n.French)
	ph := regexp.MustCompile(`\\\{[a-z_]+\\\}`)
	out := map[string]*regexp.Regexp{}
	for key, text := range en {
		if fr[key] == text || strings.TrimSpace(text) == "" {
			continue
		}
		quoted := ph.ReplaceAllString(regexp.QuoteMeta(strings.TrimSpace(text)), `.+?`)
		out[key] = regexp.MustCompile(`^` + quoted + `$`)
	}
	return out
})

// expectLanguage fails the test on any text of the page that is not in
// lang: <html lang> must be lang, no text may have fallen back to English
// (i18n reports those in window.twofoldMissingText), and, on a French
// page, no text may be an English text of the catalog or hold an English
// word (a string that is not in the catalog at all). Elements that say
// they are in another language (lang="en" on the English switch) are left
// out.
func (e *env) expectLanguage(lang, where string) {
	e.t.Helper()
	pt, err := chromedp.Run(e.ctx, chromedp.Evaluate[pageText](readTexts))
	if err != nil {
		e.t.Fatalf("read the texts of %s: %v", where, err)
	}
	if pt.Lang != lang {
		e.t.Errorf("%s: <html lang=%q>, want %q", where, pt.Lang, lang)
	}
	for _, m := range slices.Compact(slices.Sorted(slices.Values(pt.Missing))) {
		e.t.Errorf("%s: no text in the catalog for %s (the page shows the English one)", where, m)
	}
	if len(pt.Texts) < 5 {
		e.t.Errorf("%s: only %d texts found: %q", where, len(pt.Texts), pt.Texts)
	}
	for _, tl := range pt.Texts {
		text, textLang := tl[0], tl[1]
		if textLang != lang {
			continue
		}
		if lang == i18n.French {
			for key, re := range catalogPatterns() {
				if re.MatchString(text) {
					e.t.Errorf("%s: English text %q (catalog key %s) on the French page", where, text, key)
				}
			}
			for _, w := range word.FindAllString(text, -1) {
				if englishOnly[strings.ToLower(w)] {
					e.t.Errorf("%s: English word %q in %q on the French page", where, w, text)
					break
				}
			}
		}
		if lang == i18n.English {
			fr, en := i18n.Catalog(i18n.French), i18n.Catalog(i18n.English)
			for key, t := range fr {
				if t != en[key] && len(t) > 3 && text == strings.TrimSpace(t) {
					e.t.Errorf("%s: French text %q (catalog key %s) on the English page", where, text, key)
				}
			}
		}
	}
	if e.t.Failed() {
		e.t.Logf("%s: texts: %q", where, pt.Texts)
	}
}

// storedItem is one thing the browser keeps: a localStorage entry or a
// Cache Storage response.
type storedItem struct {
	Where string `json:"where"` // "localStorage" or the cache's name
	Key   string `json:"key"`   // the entry's key or the response's URL
	Found string `json:"found"` // the first needle its content holds
}

// stored lists what localStorage and Cache Storage hold, and for each the
// first of needles found in its content (searched in the page, so the
// megabytes of app.wasm do not cross the DevTools connection).
func (e *env) stored(needles []string) []storedItem {
	e.t.Helper()
	var quoted []string
	for _, n := range needles {
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	items, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]storedItem](`(async () => {
		const needles = [`+strings.Join(quoted, ",")+`];
		const find = (s) => needles.find((n) => n && s.includes(n)) || "";
		const out = [];
		for (let i = 0; i < localStorage.length; i++) {
			const k = localStorage.key(i);
			out.push({where: "localStorage", key: k, found: find(k + "=" + localStorage.getItem(k))});
		}
		for (const name of await caches.keys()) {
			const c = await caches.open(name);
			for (const req of await c.keys()) {
				const res = await c.match(req);
				const body = new TextDecoder("utf-8", {fatal: false}).decode(await res.arrayBuffer());
				let head = "";
				res.headers.forEach((v, k) => { head += k + ": " + v + "\n"; });
				out.push({where: name, key: req.url, found: find(req.url + "\n" + head + body)});
			}
		}
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("read the browser's storage: %v", err)
	}
	return items
}

// sessionCookie returns the value of the session cookie the browser holds
// for the page ("" if none). It is HttpOnly: only DevTools can read it.
func (e *env) sessionCookie() string {
	e.t.Helper()
	res, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{e.URL + "/"}})
	})
	if err != nil {
		e.t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if strings.HasSuffix(c.Name, "twofold_session") {
			return c.Value
		}
	}
	return ""
}

// localStorage returns the page's localStorage.
func (e *env) localStorage() map[string]string {
	e.t.Helper()
	m, err := chromedp.Run(e.ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(Object.entries(localStorage))`))
	if err != nil {
		e.t.Fatalf("read localStorage: %v", err)
	}
	return m
}

// networkState makes the browser believe it is offline or online again
// (navigator.onLine, and the window's offline and online events).
func (e *env) networkState(online bool) {
	e.t.Helper()
	_, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: !online, DownloadThroughput: -1, UploadThroughput: -1,
		})
	})
	if err != nil {
		e.t.Fatalf("set the network online=%v: %v", online, err)
	}
}

// enabledControls lists the enabled buttons and form fields inside the
// element matched by css.
func (e *env) enabledControls(css string) []string {
	e.t.Helper()
	ids, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(`+fmt.Sprintf("%q", css)+` + " :is(button, input, select, textarea)")]
		.filter((el) => !el.matches(":disabled") && !el.hidden && el.type !== "hidden").map((el) => "#" + el.id + " " + el.textContent.trim())`))
	if err != nil {
		e.t.Fatalf("list the controls of %s: %v", css, err)
	}
	return ids
}

// languages returns navigator.languages.
func (e *env) languages() []string {
	e.t.Helper()
	l, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`[...navigator.languages]`))
	if err != nil {
		e.t.Fatalf("read navigator.languages: %v", err)
	}
	return l
}

// expectNoSecrets fails the test if localStorage or Cache Storage hold an
// /api/ response or any of secrets.
func (e *env) expectNoSecrets(secrets []string) []storedItem {
	e.t.Helper()
	secrets = slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return s == "" })
	items := e.stored(secrets)
	for _, it := range items {
		if strings.Contains(it.Key, "/api/") {
			e.t.Errorf("%s holds %s", it.Where, it.Key)
		}
		if it.Found != "" {
			e.t.Errorf("%s %s holds a secret: %q", it.Where, it.Key, it.Found)
		}
	}
	return items
}
