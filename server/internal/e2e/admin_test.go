package e2e

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/app/i18n"
	"twofold/server/internal/audit"
)

// adminJourney is issue 9's acceptance in the browser, in lang: an
// administrator with TOTP finds a user by search, resets their 2FA with
// a reason and a step-up code, and sees the event on the audit page.
// axe-core checks each new page, in both colour schemes (and, for
// English, both languages).
func adminJourney(t *testing.T, lang string, opts ...option) {
	e := start(t, 240*time.Second, opts...)
	cat := i18n.Catalog(lang)
	tr := func(key string, args ...string) string {
		s := cat[key]
		for i := 0; i+1 < len(args); i += 2 {
			s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
		}
		return s
	}

	root := e.newAPIUser("admin", adminPassword)
	root.createUser("bob", "", "bob password 123")
	alice := root.createUser("alice", "alice@example.com", "alice password 123")
	aliceAPI := e.newAPIUser("alice", "alice password 123")
	aliceAPI.enableTOTP()
	aliceAPI = e.newAPIUser("bob", "bob password 123") // alice's TOTP session is pending: keep bob's
	_ = aliceAPI

	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	secret, _ := e.enableTOTP()

	e.do("open the users from the header",
		chromedp.Click(chromedp.CSS("#header-admin")),
		mounted("admin-users-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#users-table")),
	)
	if a := e.attrs("header-admin"); a["aria-current"] != "page" {
		t.Errorf("header's Users link on the user table: aria-current=%q", a["aria-current"])
	}
	if a := e.attrs("admin-nav-users"); a["aria-current"] != "page" {
		t.Errorf("section link Users: aria-current=%q", a["aria-current"])
	}
	if n := e.count("#users-table tbody tr"); n != 3 {
		t.Errorf("users listed: %d, want 3", n)
	}
	if lang == i18n.English {
		e.axeInBothLanguages("admin-users")
	} else {
		e.axe("admin-users")
	}

	e.do("search for ali",
		e.fill("users-q", "ALI"),
		chromedp.Click(chromedp.CSS("#users-search-submit")),
		chromedp.WaitNotPresent(chromedp.CSS(`#users-table tr[data-username="bob"]`)),
	)
	if n := e.count("#users-table tbody tr"); n != 1 {
		t.Fatalf("users found for ALI: %d, want alice alone", n)
	}
	if got := e.text("users-count"); got != tr("admin.users.count_found", "q", "ALI", "n", "1") {
		t.Errorf("count: %q", got)
	}
	row := `#users-table tr[data-username="alice"]`
	if got := e.textOf(row + ` [data-tfa]`); got != tr("admin.tfa.enabled") {
		t.Errorf("alice's 2FA badge: %q, want %q", got, tr("admin.tfa.enabled"))
	}
	if got := e.textOf(row + " .user-email"); got != "alice@example.com" {
		t.Errorf("alice's email: %q", got)
	}

	id := strconv.FormatInt(alice.ID, 10)
	e.do("open alice's page",
		chromedp.Click(chromedp.CSS("#user-"+id+"-link")),
		mounted("admin-user-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#action-reset-2fa")),
	)
	e.do("open Reset 2FA",
		chromedp.Click(chromedp.CSS("#action-reset-2fa")),
		chromedp.WaitVisible(chromedp.CSS("#reset-2fa-dialog[open] #reset-2fa-code")),
	)
	e.expectFocus("reset-2fa-reason")
	e.axe("admin-user-dialog")
	reason := "lost her phone"
	if lang == i18n.French {
		reason = "téléphone perdu"
	}
	e.do("submit without a code", e.fill("reset-2fa-reason", reason), chromedp.Click(chromedp.CSS("#reset-2fa-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-2fa-code-error")))
	if got := e.text("reset-2fa-code-error"); got != tr("stepup.code.empty") {
		t.Errorf("empty code: %q", got)
	}
	e.do("reset with a code",
		e.fill("reset-2fa-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#reset-2fa-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#reset-2fa-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#user-badges [data-tfa="not_enabled"]`)),
	)
	if got := e.text("user-notice"); got != tr("admin.done.reset_2fa", "username", "alice") {
		t.Errorf("notice: %q", got)
	}
	e.axe("admin-user")

	e.do("open alice's events",
		chromedp.Click(chromedp.CSS("#user-events")),
		mounted("admin-events-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#events-table")),
	)
	e.waitFor("the username in the filter", `document.getElementById("events-user").value === "alice"`, 5*time.Second)
	first := "#events-table tbody tr:first-child"
	if got := e.textOf(first + " .event-type"); got != tr("audit.type.tfa_reset") {
		t.Errorf("newest event of alice: %q, want %q", got, tr("audit.type.tfa_reset"))
	}
	if got := e.textOf(first + " .event-reason"); got != reason {
		t.Errorf("reason: %q, want %q", got, reason)
	}
	if got := e.textOf(first + " td:nth-child(4)"); got != "admin" {
		t.Errorf("actor: %q, want admin", got)
	}
	if n := e.count(`#events-table tbody tr:not([data-type="tfa_reset"]) a[href$="?id=1"]`); n != 0 {
		t.Errorf("alice's events show %d events of another user", n)
	}
	if lang == i18n.English {
		e.axeInBothLanguages("admin-events")
	} else {
		e.axe("admin-events")
	}

	// The type filter alone, for every user.
	e.do("filter by type",
		e.fill("events-user", ""),
		chromedp.SetValue(chromedp.CSS("#events-type"), "user_created"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("events-type").dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.Click(chromedp.CSS("#events-apply")),
	)
	e.waitFor("the users' creations", `document.querySelectorAll("#events-table tbody tr").length === 2 &&
		[...document.querySelectorAll("#events-table tbody tr")].every(r => r.dataset.type === "user_created")`, 5*time.Second)

	// The phone's width: nothing scrolls sideways but the tables.
	e.do("phone size", narrow(), chromedp.Navigate(e.URL+"/admin/users"), mounted("admin-users-page", `[data-state="loaded"]`))
	e.noPageOverflow("user table at 390 px")
	e.snapshot("user-table-at-390-px")
	e.do("user page at phone size", chromedp.Navigate(e.URL+"/admin/user?id="+id), mounted("admin-user-page", `[data-state="loaded"]`))
	e.noPageOverflow("user page at 390 px")
	e.snapshot("user-page-at-390-px")
	e.do("audit log at phone size", chromedp.Navigate(e.URL+"/admin/events"), mounted("admin-events-page", `[data-state="loaded"]`))
	e.noPageOverflow("audit log at 390 px")
	// The audit log's rows read as cards: its region does not scroll
	// sideways either, each cell names its column, and the table keeps
	// its semantics (roles) for screen readers.
	if !e.js(`(el => el.scrollWidth <= el.clientWidth)(document.getElementById("events-table"))`) {
		w, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`(el => el.scrollWidth + " > " + el.clientWidth)(document.getElementById("events-table"))`))
		t.Errorf("audit log at 390 px: the table scrolls sideways in its region: %s", w)
	}
	if !e.js(`getComputedStyle(document.querySelector("#events-table tbody td"), "::before").content === '"' + document.querySelector("#events-table tbody td").dataset.label + '"'`) {
		t.Errorf("audit log at 390 px: the cells do not name their column")
	}
	if n := e.count(`#events-table table[role="table"] tbody[role="rowgroup"] > tr[role="row"] > td[role="cell"]`); n == 0 {
		t.Errorf("audit log at 390 px: the table's roles are missing")
	}
	e.snapshot("audit-log-at-390-px")
	e.noConsoleErrors()
}

func TestAdminResetsTwoFactor(t *testing.T) { adminJourney(t, i18n.English) }

func TestAdminResetsTwoFactorInFrench(t *testing.T) {
	adminJourney(t, i18n.French, withLocale("fr-FR"))
}

// TestAdminPagesRefuseOthers: a user who is not an administrator has no
// Users link, and the administrators' pages say they are not allowed.
func TestAdminPagesRefuseOthers(t *testing.T) {
	e := start(t, 90*time.Second)
	root := e.newAPIUser("admin", adminPassword)
	root.createUser("bob", "", "bob password 123")
	e.do("sign in as bob", e.signIn("bob", "bob password 123"), settingsLoaded())
	if e.present("header-admin") {
		t.Errorf("a user who is not an administrator sees the Users link")
	}
	for _, path := range []string{"/admin/users", "/admin/user?id=1", "/admin/events"} {
		e.do("open "+path, chromedp.Navigate(e.URL+path),
			chromedp.WaitVisible(chromedp.CSS(`[data-mounted="true"][data-forbidden="true"] #admin-forbidden-text`)))
		if got := e.text("admin-forbidden-text"); got != "Only administrators may see this page. Your account is not an administrator's." {
			t.Errorf("%s: %q", path, got)
		}
		if e.present("users-table") || e.present("events-table") || e.present("user-actions") {
			t.Errorf("%s shows administrators' data", path)
		}
	}
	e.axe("admin-forbidden")
}

// TestAdminUserActions: New user shows the made password once, with a
// copy button; the last administrator cannot remove their own rights
// (the API's 409 is shown in words); disabling a user ends their
// session; the administrator's step-up while TOTP is off is the password.
func TestAdminUserActions(t *testing.T) {
	e := start(t, 150*time.Second)
	e.grantClipboard()
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	e.Clock.Advance(6 * time.Minute) // the sign-in's step-up ends
	e.do("open the users", chromedp.Navigate(e.URL+"/admin/users"), mounted("admin-users-page", `[data-state="loaded"]`))

	e.do("open New user",
		chromedp.Click(chromedp.CSS("#users-new")),
		chromedp.WaitVisible(chromedp.CSS("#create-dialog[open] #create-username")),
	)
	e.expectFocus("create-username")
	e.axe("admin-create")
	e.do("create carol",
		e.fill("create-username", "carol"),
		e.fill("create-email", "carol@example.com"),
		e.fill("create-password", adminPassword),
		chromedp.Click(chromedp.CSS("#create-submit")),
		chromedp.WaitVisible(chromedp.CSS("#create-new-password")),
	)
	password := e.text("create-new-password")
	if len(password) < 16 {
		t.Fatalf("made password %q: want at least 16 characters", password)
	}
	e.do("copy it", chromedp.Click(chromedp.CSS("#create-copy")), chromedp.WaitVisible(chromedp.CSS("#create-copy-status")))
	e.waitFor("copied", `document.getElementById("create-copy-status").textContent === "Password copied."`, 5*time.Second)
	if got := e.clipboard(); got != password {
		t.Errorf("clipboard: %q, want the password", got)
	}
	carol := e.newAPIUser("carol", password)
	e.do("close", chromedp.Click(chromedp.CSS("#create-close")), chromedp.WaitNotPresent(chromedp.CSS("#create-dialog")))
	e.expectFocus("users-new")
	e.waitFor("carol in the list", `document.querySelector('#users-table tr[data-username="carol"]') !== null`, 5*time.Second)

	// The last administrator keeps their rights.
	e.do("open my own page", chromedp.Navigate(e.URL+"/admin/user?id=1"), mounted("admin-user-page", `[data-state="loaded"]`))
	e.do("remove my rights",
		chromedp.Click(chromedp.CSS("#action-remove-admin")),
		chromedp.WaitVisible(chromedp.CSS("#remove-admin-dialog[open] #remove-admin-submit")),
		chromedp.Click(chromedp.CSS("#remove-admin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#remove-admin-error")),
	)
	if got := e.text("remove-admin-error"); got != "This would leave no enabled administrator: make another user an administrator first." {
		t.Errorf("last administrator: %q", got)
	}
	e.do("cancel", chromedp.Click(chromedp.CSS("#remove-admin-cancel")), chromedp.WaitNotPresent(chromedp.CSS("#remove-admin-dialog")))
	e.expectFocus("action-remove-admin")

	// Disable carol: her session ends.
	e.do("open carol's page", chromedp.Navigate(e.URL+"/admin/users"), mounted("admin-users-page", `[data-state="loaded"]`),
		chromedp.Click(chromedp.CSS(`#users-table tr[data-username="carol"] a`)), mounted("admin-user-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#action-disable")))
	e.do("disable carol",
		chromedp.Click(chromedp.CSS("#action-disable")),
		chromedp.WaitVisible(chromedp.CSS("#disable-dialog[open] #disable-submit")),
		e.fill("disable-reason", "left the company"),
		chromedp.Click(chromedp.CSS("#disable-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#disable-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#user-badges [data-marker="disabled"]`)),
		chromedp.WaitVisible(chromedp.CSS("#action-enable")),
	)
	if s := carol.accountStatus(); s != 401 {
		t.Errorf("disabled carol's session: %d, want 401", s)
	}

	// The audit log pages with the API's cursor: 50 events, then Load
	// more for the older ones, newest first throughout.
	href, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.getElementById("user-events").getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(href, "/admin/events?user_id="), 10, 64)
	if err != nil {
		t.Fatalf("events link %q: %v", href, err)
	}
	for i := 0; i < 60; i++ {
		if err := e.Server.Audit.Record(context.Background(), e.Server.DB, id, "step_up", audit.Origin{IP: "192.0.2.1"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	e.do("open carol's events", chromedp.Click(chromedp.CSS("#user-events")),
		mounted("admin-events-page", `[data-state="loaded"]`), chromedp.WaitVisible(chromedp.CSS("#events-more")))
	if n := e.count("#events-table tbody tr"); n != 50 {
		t.Errorf("first page: %d events, want 50", n)
	}
	e.do("load more", chromedp.Click(chromedp.CSS("#events-more")), chromedp.WaitNotPresent(chromedp.CSS("#events-more")))
	ids, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]int64](`[...document.querySelectorAll("#events-table tbody tr")].map(r => Number(r.id.slice(6)))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 63 || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) || slices.Contains(ids[1:], ids[0]) {
		t.Errorf("all of carol's events: %v, want at least 63, newest first, once each", ids)
	}
	e.expectFocus("event-" + strconv.FormatInt(ids[50], 10))
	e.noConsoleErrors()
}
