package notify

import (
	"strings"
	"testing"
	"time"
)

func TestResetMail(t *testing.T) {
	n := New(nil, nil, "https://console.example.com/base")
	const token = "tok_EN-abc"
	tests := []struct {
		lang, admin string
		want        []string
	}{
		{"en", "", []string{"Reset your Twofold password", "account alice", "works once, for 30 minutes"}},
		{"fr", "", []string{"Réinitialisez votre mot de passe", "compte Twofold alice", "pendant 30\u00a0minutes"}},
		{"xx", "", []string{"Reset your Twofold password"}},
		{"en", "root", []string{"An administrator (root) sent you this link."}},
		{"fr", "root", []string{"Un administrateur (root) vous a envoyé ce lien."}},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.admin, func(t *testing.T) {
			m := n.ResetMail("u@example.com", "alice", tt.lang, token, tt.admin)
			link := "https://console.example.com/base/reset-password#" + token
			if m.To != "u@example.com" || !strings.Contains(m.Text, "\n    "+link+"\n") || !strings.Contains(m.HTML, `href="`+link+`"`) {
				t.Fatalf("link missing:\n%s\n%s", m.Text, m.HTML)
			}
			all := m.Subject + "\n" + m.Text
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("mail lacks %q:\n%s", w, all)
				}
			}
			if tt.admin == "" && strings.Contains(m.Text, "(root)") {
				t.Errorf("an administrator line in a self-service mail:\n%s", m.Text)
			}
			if strings.Contains(m.Text, "{") || strings.Contains(m.HTML, "{") {
				t.Errorf("placeholder left:\n%s\n%s", m.Text, m.HTML)
			}
		})
	}
	m := n.ResetMail("u@x", `<script>x</script>`, "en", token, `"><b>`)
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>") {
		t.Errorf("html carries a username or admin name unescaped:\n%s", m.HTML)
	}
}

func TestReminderMails(t *testing.T) {
	n := New(nil, nil, "https://console.example.com")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    Reminder
		want []string
	}{
		{"14 days, en", Reminder{Kind: ReminderTFAExpiring, Lang: "en", ExpiresAt: now.Add(14 * 24 * time.Hour), Now: now},
			[]string{"Renew your two-factor authentication", "on 2026-03-15 (in 14 days)", "Renew 2FA"}},
		{"3 days less a minute, fr", Reminder{Kind: ReminderTFAExpiring, Lang: "fr", ExpiresAt: now.Add(3*24*time.Hour - time.Minute), Now: now},
			[]string{"Renouvelez votre double authentification", "le 2026-03-04 (dans 3 jours)", "Renouveler 2FA"}},
		{"backup codes, en", Reminder{Kind: ReminderBackupCodesLow, Lang: "en", Left: 2},
			[]string{"Few backup codes left", "Only 2 backup codes are left on your account alice", "Regenerate backup codes"}},
		{"backup codes, fr", Reminder{Kind: ReminderBackupCodesLow, Lang: "fr", Left: 0},
			[]string{"peu de codes de secours", "Il ne reste que 0 codes de secours sur votre compte alice", "Régénérer les codes de secours"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.To, tt.r.Username = "u@example.com", "alice"
			m, err := n.ReminderMail(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			all := m.Subject + "\n" + m.Text + "\n" + m.HTML
			for _, w := range append(tt.want, "https://console.example.com/settings", "alice") {
				if !strings.Contains(all, w) {
					t.Errorf("mail lacks %q:\n%s", w, all)
				}
			}
			if strings.Contains(m.Text, "{") || strings.Contains(m.HTML, "{") || !strings.HasPrefix(m.Subject, subjectPrefix(tt.r.Lang)) {
				t.Errorf("subject %q or placeholder left:\n%s", m.Subject, m.Text)
			}
		})
	}
	if _, err := n.ReminderMail(Reminder{Kind: "no_such_reminder"}); err == nil {
		t.Error("a reminder without text composed")
	}
}
