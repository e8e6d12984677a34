package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Helpers of the console-experience tests (issue 12): the first paint
// before the WASM runs, screenshots read as pixels, the keyboard focus.

// holdWasm makes every page of the tab wait before it compiles app.wasm,
// until releaseWasm: the test sees what the server's pre-rendered page
// does before the WASM runs (its first paint), online or from the service
// worker's cache. The script is the test's, through DevTools (the page's
// CSP does not apply to it).
func (e *env) holdWasm() page.ScriptIdentifier {
	e.t.Helper()
	const hold = `(() => {
		const original = WebAssembly.instantiateStreaming;
		let release;
		const released = new Promise((r) => { release = r; });
		window.twofoldTestReleaseWasm = () => release();
		WebAssembly.instantiateStreaming = async (...args) => { await released; return original.apply(WebAssembly, args); };
	})();`
	res, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (page.AddScriptToEvaluateOnNewDocumentResult, error) {
		return cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hold})
	})
	if err != nil {
		e.t.Fatalf("hold the WASM: %v", err)
	}
	return res.Identifier
}

// unholdWasm stops holding the WASM of the pages opened from now on.
func (e *env) unholdWasm(id page.ScriptIdentifier) {
	e.t.Helper()
	_, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: id})
	})
	if err != nil {
		e.t.Fatalf("stop holding the WASM: %v", err)
	}
}

// releaseWasm lets the page compile and run app.wasm.
func releaseWasm() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`window.twofoldTestReleaseWasm && window.twofoldTestReleaseWasm()`)
}

// preWasm waits for the server's page of root id, before the WASM: its
// root is there, not mounted.
func preWasm(id string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS("#" + id + ":not([data-mounted])"))
}

// textNow returns the text of the element id as it is now ("" when there
// is none), without waiting for it to show.
func (e *env) textNow(id string) string {
	e.t.Helper()
	s, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`(() => { const el = document.getElementById(`+jsString(id)+`);
		return el ? el.textContent.trim() : ""; })()`))
	if err != nil {
		e.t.Fatalf("text of #%s: %v", id, err)
	}
	return s
}

// screenshot captures the viewport as an image.
func (e *env) screenshot() image.Image {
	e.t.Helper()
	b, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		e.t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		e.t.Fatalf("decode the screenshot: %v", err)
	}
	return img
}

// colourStats are what a screenshot's pixels look like.
type colourStats struct {
	// Top is the most frequent colour (8-bit RGB) and its share.
	Top      [3]uint8
	TopShare float64
	// Light is the share of light pixels (luma above 180 of 255), Grey
	// the share of go-app's loader grey (#2d2c2c, within 4).
	Light, Grey float64
}

// colours sums up the pixels of img.
func colours(img image.Image) colourStats {
	b := img.Bounds()
	count := map[[3]uint8]int{}
	var light, grey, total int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			count[c]++
			total++
			if luma := 0.2126*float64(c[0]) + 0.7152*float64(c[1]) + 0.0722*float64(c[2]); luma > 180 {
				light++
			}
			if near(c[0], 0x2d) && near(c[1], 0x2c) && near(c[2], 0x2c) {
				grey++
			}
		}
	}
	var st colourStats
	best := 0
	for c, n := range count {
		if n > best {
			best, st.Top = n, c
		}
	}
	st.TopShare = float64(best) / float64(total)
	st.Light = float64(light) / float64(total)
	st.Grey = float64(grey) / float64(total)
	return st
}

func near(a, b uint8) bool { return a >= b-4 && a <= b+4 }

// rgbOf parses a computed CSS colour "rgb(r, g, b)".
func rgbOf(css string) ([3]uint8, error) {
	var c [3]uint8
	_, err := fmt.Sscanf(strings.ReplaceAll(css, " ", ""), "rgb(%d,%d,%d)", &c[0], &c[1], &c[2])
	return c, err
}

// focused is the element with the keyboard focus and whether it shows it.
type focused struct {
	ID   string `json:"id"`
	Tag  string `json:"tag"`
	HTML string `json:"html"`
	// Dialog is the id of the dialog it is in ("" when none).
	Dialog string `json:"dialog"`
	// Visible: it matches :focus-visible and draws an outline (or a
	// shadow) of its own.
	Visible bool `json:"visible"`
}

const readFocus = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) {
		return {id: "", tag: el ? el.tagName.toLowerCase() : "", html: "", dialog: "", visible: false};
	}
	const st = getComputedStyle(el);
	const ring = (st.outlineStyle !== "none" && parseFloat(st.outlineWidth) > 0) || st.boxShadow !== "none";
	const dlg = el.closest("dialog");
	return {id: el.id, tag: el.tagName.toLowerCase(), html: el.outerHTML.slice(0, 100),
		dialog: dlg ? dlg.id : "", visible: el.matches(":focus-visible") && ring};
})()`

// focus reads where the keyboard focus is.
func (e *env) focus() focused {
	e.t.Helper()
	f, err := chromedp.Run(e.ctx, chromedp.Evaluate[focused](readFocus))
	if err != nil {
		e.t.Fatalf("read the focus: %v", err)
	}
	return f
}

// tabTo presses Tab (Shift+Tab when back) until the element id has the
// focus, at most max times; every stop on the way must show its focus and
// none may be the document itself (an invisible stop).
func (e *env) tabTo(id string, back bool, max int) {
	e.t.Helper()
	var path []string
	for range max {
		key := chromedp.KeyEvent("\t")
		if back {
			key = chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift))
		}
		e.do("press Tab", key)
		f := e.focus()
		path = append(path, "#"+f.ID)
		if f.Tag == "" || f.Tag == "body" || f.Tag == "html" {
			e.t.Fatalf("Tab reached an invisible stop (%q) on the way to #%s: %q", f.Tag, id, path)
		}
		if !f.Visible {
			e.t.Errorf("the focus on %s does not show", f.HTML)
		}
		if f.ID == id {
			return
		}
	}
	e.t.Fatalf("#%s not reached with %d Tabs: %q", id, max, path)
}

// key presses one key ("\r" Enter, " " space, "\u001b" Escape).
func key(k string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(k) }

// expectFocusShown checks that id has the focus and shows it.
func (e *env) expectFocusShown(id string) {
	e.t.Helper()
	e.expectFocus(id)
	if f := e.focus(); f.ID == id && !f.Visible {
		e.t.Errorf("the focus on #%s does not show: %s", id, f.HTML)
	}
}

// inView reports, for each id, whether the element is entirely inside the
// viewport and on top there (nothing covers its centre).
func (e *env) inView(ids ...string) map[string]bool {
	e.t.Helper()
	var quoted []string
	for _, id := range ids {
		quoted = append(quoted, jsString(id))
	}
	m, err := chromedp.Run(e.ctx, chromedp.Evaluate[map[string]bool](`(() => {
		const out = {};
		for (const id of [`+strings.Join(quoted, ",")+`]) {
			const el = document.getElementById(id);
			if (!el) { out[id] = false; continue; }
			const r = el.getBoundingClientRect();
			const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
				r.bottom <= window.innerHeight && r.right <= window.innerWidth;
			const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			out[id] = inside && top !== null && (top === el || el.contains(top));
		}
		return out;
	})()`))
	if err != nil {
		e.t.Fatalf("look at the viewport: %v", err)
	}
	return m
}

// cutPlaceholders lists the visible inputs whose placeholder is wider than
// their text box (measured with the input's own font).
func (e *env) cutPlaceholders() []string {
	e.t.Helper()
	cut, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`(() => {
		const ctx = document.createElement("canvas").getContext("2d");
		const out = [];
		for (const el of document.querySelectorAll("input[placeholder]")) {
			if (el.getClientRects().length === 0 || !el.placeholder) continue;
			const st = getComputedStyle(el, "::placeholder");
			ctx.font = st.font || getComputedStyle(el).font;
			const room = el.clientWidth - parseFloat(getComputedStyle(el).paddingLeft) - parseFloat(getComputedStyle(el).paddingRight);
			const width = ctx.measureText(el.placeholder).width;
			if (width > room) out.push("#" + el.id + " " + JSON.stringify(el.placeholder) + " " + Math.round(width) + "px in " + Math.round(room) + "px");
		}
		return out;
	})()`))
	if err != nil {
		e.t.Fatalf("measure the placeholders: %v", err)
	}
	return cut
}

// waitFor polls a boolean expression for up to d.
func (e *env) waitFor(what, expr string, d time.Duration) {
	e.t.Helper()
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))); err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// expectAmber checks that the text of id is drawn in an amber colour
// (more red and green than blue; the theme's --amber).
func (e *env) expectAmber(id string) {
	e.t.Helper()
	css, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`getComputedStyle(document.getElementById(`+jsString(id)+`)).color`))
	if err != nil {
		e.t.Fatalf("colour of #%s: %v", id, err)
	}
	c, err := rgbOf(css)
	if err != nil || !(int(c[0]) > int(c[2])+60 && int(c[1]) > int(c[2])+20) {
		e.t.Errorf("#%s is drawn in %s, not amber", id, css)
	}
}

// expectOfflineFields checks the offline basic settings: the same fields
// as online, the email shown read-only, every input and button of the
// section disabled (not only the buttons).
func (e *env) expectOfflineFields(email string) {
	e.t.Helper()
	if got := e.value("email"); got != email {
		e.t.Errorf("offline email: got %q, want %q", got, email)
	}
	if !e.js(`document.getElementById("email").readOnly`) {
		e.t.Errorf("offline: the email is not read-only")
	}
	if !e.present("email-verification") || !e.present("basic-submit") {
		e.t.Errorf("offline: the basic settings lack the email verification box or Submit")
	}
	open, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#main input, #main button, #main select, #main textarea")]
		.filter((el) => el.type !== "hidden" && !el.hidden && !el.matches(":disabled")).map((el) => "#" + el.id)`))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(open) > 0 {
		e.t.Errorf("offline: controls that still work: %q", open)
	}
}

// jsQuote quotes any string as a JavaScript string literal.
func jsQuote(s string) string { return fmt.Sprintf("%q", s) }

// axeInBothLanguages runs axe-core (light and dark colours) on the page as
// it is, in its language and then in the other one, checking that every
// text is in that language, then switches back. The switch is the
// header's; while a modal dialog makes the header inert, the test clicks
// it from the page's script (the page re-renders the dialog in the other
// language, as it would for a language chosen before opening it).
func (e *env) axeInBothLanguages(name string) {
	e.t.Helper()
	first, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		e.t.Fatal(err)
	}
	second := "en"
	if first == "en" {
		second = "fr"
	}
	for _, lang := range []string{first, second} {
		e.languageByScript(lang)
		e.expectLanguage(lang, name+" ("+lang+")")
		e.axe(name + "-" + lang)
	}
	e.languageByScript(first)
}

// languageByScript clicks the header's button of lang from the page's
// script and waits for the page in that language.
func (e *env) languageByScript(lang string) {
	e.t.Helper()
	e.do("switch to "+lang, chromedp.Evaluate[chromedp.Void](`document.getElementById("lang-`+lang+`").click()`))
	e.waitFor("the page in "+lang, `document.documentElement.lang === "`+lang+`" &&
		document.getElementById("lang-`+lang+`").getAttribute("aria-pressed") === "true"`, 5*time.Second)
}
