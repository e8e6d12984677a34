package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/server/internal/account"
)

// TestAdminUsersPaging: with 56 users the table shows 50, then Next
// (reached and pressed with the keyboard) shows the 6 others; the pager
// is a labelled navigation whose buttons are named, the page number is
// announced, and the focus stays on the pager.
func TestAdminUsersPaging(t *testing.T) {
	e := start(t, 120*time.Second)
	ctx := context.Background()
	hash, err := e.Server.Users.HashPassword(ctx, "user01", "user password 123")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 55; i++ {
		if _, err := e.Server.Users.CreateHashed(ctx, e.Server.DB, account.NewUser{Username: fmt.Sprintf("user%02d", i)}, hash); err != nil {
			t.Fatal(err)
		}
	}

	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	e.do("open the users", chromedp.Navigate(e.URL+"/admin/users"), mounted("admin-users-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#users-pager")))
	if n := e.count("#users-table tbody tr"); n != 50 {
		t.Errorf("first page: %d users, want 50", n)
	}
	if got := e.text("users-page"); got != "Page 1 of 2" {
		t.Errorf("page: %q", got)
	}
	if a := e.attrs("users-pager"); a["aria-label"] != "Pages" {
		t.Errorf("pager's label: %q", a["aria-label"])
	}
	if a := e.attrs("users-page"); a["role"] != "status" {
		t.Errorf("page number: role %q, want status (announced)", a["role"])
	}
	if got, want := e.text("users-prev")+"|"+e.text("users-next"), "Previous|Next"; got != want {
		t.Errorf("pager's buttons: %q, want %q", got, want)
	}
	if !e.js(`document.getElementById("users-prev").disabled`) {
		t.Errorf("Previous is enabled on the first page")
	}

	e.do("focus the table", chromedp.Focus(chromedp.CSS("#users-table")))
	e.tabTo("users-next", false, 60)
	e.do("press Enter on Next", key("\r"))
	e.waitFor("page 2", `document.getElementById("users-page").textContent === "Page 2 of 2" &&
		document.querySelectorAll("#users-table tbody tr").length === 6`, 10*time.Second)
	names, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#users-table tbody tr")].map(r => r.dataset.username)`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, " "); got != "user50 user51 user52 user53 user54 user55" {
		t.Errorf("second page: %s", got)
	}
	if !e.js(`document.getElementById("users-next").disabled`) {
		t.Errorf("Next is enabled on the last page")
	}
	e.expectFocusShown("users-prev")
	e.axe("admin-users-page-2")

	e.do("press Enter on Previous", key("\r"))
	e.waitFor("page 1", `document.getElementById("users-page").textContent === "Page 1 of 2" &&
		document.querySelectorAll("#users-table tbody tr").length === 50`, 10*time.Second)
	e.expectFocusShown("users-next")
	e.noConsoleErrors()
}
