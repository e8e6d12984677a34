package console

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"twofold/app/i18n"
	"twofold/shared/api"
)

// The audit page's type filter offers every event type the
// administration API documents, each with a name in every language.
func TestEventTypesNamed(t *testing.T) {
	doc, err := os.ReadFile("../../docs/admin-api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, list, ok := strings.Cut(string(doc), "Event types, for the audit page's filter:")
	if !ok {
		t.Fatal("docs/admin-api.md has no list of event types")
	}
	list, _, _ = strings.Cut(list, "\n\n")
	documented := regexp.MustCompile("`([a-z_0-9]+)`").FindAllStringSubmatch(list, -1)
	if len(documented) < 20 {
		t.Fatalf("found %d documented types only", len(documented))
	}
	for _, m := range documented {
		if m[1] != "cli" && !slices.Contains(eventTypes, m[1]) {
			t.Errorf("event type %q is documented but not in the audit page's filter", m[1])
		}
	}
	for _, typ := range eventTypes {
		for _, lang := range i18n.Languages {
			if _, ok := i18n.Catalog(lang)["audit.type."+typ]; !ok {
				t.Errorf("event type %q has no %s name", typ, lang)
			}
		}
	}
}

// Of each pair of opposite actions, the user page offers the one that
// changes something.
func TestActionsOf(t *testing.T) {
	tests := []struct {
		name string
		user api.AdminUser
		want []string
	}{
		{"plain user", api.AdminUser{},
			[]string{actDisable, actMakeAdmin, actEnforce, actVerifyOn, actReset2FA, actSignOut, actUnlock, actPasswordMail}},
		{"disabled administrator with everything on", api.AdminUser{User: api.User{IsAdmin: true}, Disabled: true, TFAEnforced: true, EmailVerification: true},
			[]string{actEnable, actRemoveAdmin, actUnenforce, actVerifyOff, actReset2FA, actSignOut, actUnlock, actPasswordMail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := actionsOf(&tt.user); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, name := range tt.want {
				if label, text, _ := actionText(name); label == name || text == "" || actionDone(name, "x") == "" {
					t.Errorf("action %q has no label, text or notice", name)
				}
			}
		})
	}
}

func TestClientName(t *testing.T) {
	i18n.SetLanguage(i18n.French)
	defer i18n.SetLanguage(i18n.English)
	tests := []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox sur Linux"},
		{"curl/8.5.0", "curl"},
		{"Mozilla/5.0 (Windows NT 10.0) Unknown/1", "Navigateur inconnu sur Windows"},
		{"", "Navigateur inconnu"},
	}
	for _, tt := range tests {
		if got := clientName(tt.ua); got != tt.want {
			t.Errorf("clientName(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}
