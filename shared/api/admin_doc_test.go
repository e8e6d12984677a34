package api

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// adminExamples are the examples of docs/admin-api.md, built from this
// package's types.
func adminExamples() []struct {
	name  string
	value any
} {
	at := func(s string) *time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return &t
	}
	yes := true
	next := int64(1042)
	alice := AdminUser{
		User:     User{ID: 7, Username: "alice", Email: "alice@example.com"},
		Disabled: false, CreatedAt: *at("2026-01-12T08:00:00Z"), LastLogin: at("2026-05-04T09:30:00Z"),
		EmailVerification: true, TFAEnforced: true,
		TFA: TFA{State: TFAEnabled, EnabledAt: at("2026-02-01T10:00:00Z"), ExpiresAt: at("2026-07-31T10:00:00Z"),
			BackupCodesRemaining: 5, Enforced: true},
		LockedUntil: at("2026-05-04T09:45:30Z"),
	}
	bob := AdminUser{
		User:      User{ID: 8, Username: "bob", Email: "bob@example.com"},
		CreatedAt: *at("2026-05-04T10:00:00Z"),
		TFA:       TFA{State: TFANotEnabled},
	}
	return []struct {
		name  string
		value any
	}{
		{"AdminUser", alice},
		{"AdminUsers", AdminUsers{Users: []AdminUser{alice}, Total: 1, Page: 1, PerPage: 50}},
		{"AdminUserCreate", AdminUserCreate{Username: "bob", Email: "bob@example.com", Code: "123456", Reason: Reason{"new colleague"}}},
		{"AdminUserCreated", AdminUserCreated{User: bob, Password: "k7pqr-2mzta-w9hxe-c4uvn"}},
		{"AdminUserPatch", AdminUserPatch{Disabled: &yes, Reason: Reason{"left the company"}, StepUp: StepUp{Code: "123456"}}},
		{"AdminAction", AdminAction{Reason: Reason{"lost her phone"}, StepUp: StepUp{Code: "123456"}}},
		{"AdminEvents", AdminEvents{Events: []AdminEvent{{
			ID: 1042, Time: *at("2026-05-04T09:41:07Z"), Type: "tfa_reset", UserID: 7, Username: "alice",
			Actor: "root", Reason: "lost her phone", IP: "192.0.2.10",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
		}}, NextBefore: &next}},
	}
}

// TestAdminAPIDoc: docs/admin-api.md documents every path of the
// administration API, and its JSON examples are this package's types
// marshalled, so a field renamed or added here fails until the document
// shows it. A failure prints the block the document must hold.
func TestAdminAPIDoc(t *testing.T) {
	b, err := os.ReadFile("../../docs/admin-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, ex := range adminExamples() {
		j, err := json.MarshalIndent(ex.value, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		block := "```json\n" + string(j) + "\n```"
		if !strings.Contains(doc, block) {
			t.Errorf("docs/admin-api.md lacks the example of %s:\n%s", ex.name, block)
		}
	}
	for _, p := range []string{PathAdminUsers, PathAdminUser, PathAdminUserReset2FA, PathAdminUserSignOut, PathAdminUserUnlock, PathAdminEvents} {
		if !strings.Contains(doc, p) {
			t.Errorf("docs/admin-api.md does not name %s", p)
		}
	}
}
