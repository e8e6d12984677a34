package notify

import (
	"strings"
	"testing"
	"time"

	"twofold/shared/api"
)

// TestAdminNotices: every notice of an administrator's change, in every
// language, names the administrator and the reason and points to the
// administrators instead of telling the user to change their password.
func TestAdminNotices(t *testing.T) {
	n := New(nil, nil, "https://console.example.com")
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	labels := map[string][2]string{"en": {"Changed by: root", "Reason: lost phone"}, "fr": {"Modifié par: root", "Motif: lost phone"}}
	for _, lang := range api.Languages {
		for _, kind := range AdminKinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				m, err := n.compose(Event{Kind: kind, To: "u@example.com", Username: "alice", Time: at, IP: "192.0.2.7",
					UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", Lang: lang, Actor: "root", Reason: "lost phone"})
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range []string{"alice", "2026-03-04 05:06 UTC", labels[lang][0], labels[lang][1], "https://console.example.com", catalogs[lang][string(kind)]} {
					if !strings.Contains(m.Text, w) {
						t.Errorf("text lacks %q:\n%s", w, m.Text)
					}
				}
				if strings.Contains(m.Text, catalogs[lang]["advice"][:20]) || !strings.Contains(m.Text, catalogs[lang]["advice.admin"][:20]) {
					t.Errorf("advice of a user's own change in an administrator's notice:\n%s", m.Text)
				}
				if m.Subject != subjectPrefix(lang)+catalogs[lang][string(kind)+".subject"] {
					t.Errorf("subject %q", m.Subject)
				}
			})
		}
	}
	// Without an actor, the user's own advice and no "changed by".
	m, _ := n.compose(Event{Kind: PasswordChanged, To: "u@x", Lang: "en"})
	if strings.Contains(m.Text, "Changed by") || strings.Contains(m.Text, "Reason") || !strings.Contains(m.Text, "change your password") {
		t.Errorf("own change:\n%s", m.Text)
	}
	// No reason: no reason line.
	m, _ = n.compose(Event{Kind: Unlocked, To: "u@x", Lang: "en", Actor: "root"})
	if !strings.Contains(m.Text, "Changed by: root") || strings.Contains(m.Text, "Reason") {
		t.Errorf("no reason:\n%s", m.Text)
	}
}

// TestAdminNoticeOfSeveralChanges: one mail for several changes at once,
// under one subject, with every change's text.
func TestAdminNoticeOfSeveralChanges(t *testing.T) {
	n := New(nil, nil, "http://x")
	m, err := n.compose(Event{Kind: AccountDisabled, More: []Kind{AdminRevoked, TFAEnforced}, To: "u@x", Lang: "fr", Actor: "root"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Twofold\u00a0: Votre compte a été modifié par un administrateur" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, k := range []Kind{AccountDisabled, AdminRevoked, TFAEnforced} {
		if !strings.Contains(m.Text, catalogs["fr"][string(k)]) {
			t.Errorf("text lacks %s:\n%s", k, m.Text)
		}
	}
	if _, err := n.compose(Event{Kind: AccountDisabled, More: []Kind{"no_such_kind"}, To: "u@x", Actor: "root"}); err == nil {
		t.Error("a notice with an unknown change composed")
	}
}

// TestAdminNoticeEscapesReason: the reason and the administrator's name are
// escaped in the HTML part.
func TestAdminNoticeEscapesReason(t *testing.T) {
	n := New(nil, nil, "http://x")
	m, err := n.compose(Event{Kind: SignedOut, To: "u@x", Lang: "en", Actor: `<b>root</b>`, Reason: `<script>alert(1)</script>`})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>root") ||
		!strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(m.Text, "<script>alert(1)</script>") {
		t.Errorf("html:\n%s\ntext:\n%s", m.HTML, m.Text)
	}
}
