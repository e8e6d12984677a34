package notify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/mail"
	"twofold/shared/api"
)

var kinds = []Kind{TFAEnabled, TFARenewed, TFADisabled, BackupCodeUsed, BackupCodesRegenerated, PasswordChanged, EmailChanged, FailedCodes, PasswordReset}

func TestEveryLanguageHasEveryText(t *testing.T) {
	if len(catalogs) != len(api.Languages) {
		t.Errorf("%d catalogs for languages %v", len(catalogs), api.Languages)
	}
	for _, lang := range api.Languages {
		c, ok := catalogs[lang]
		if !ok {
			t.Errorf("no mail texts in %q", lang)
			continue
		}
		for key := range catalogs[api.DefaultLanguage] {
			if c[key] == "" {
				t.Errorf("%s: no text for %q", lang, key)
			}
		}
		if len(c) != len(catalogs[api.DefaultLanguage]) {
			t.Errorf("%s: %d texts, want %d", lang, len(c), len(catalogs[api.DefaultLanguage]))
		}
	}
}

func TestNotices(t *testing.T) {
	n := New(nil, nil, "https://console.example.com")
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, lang := range append([]string{"de", ""}, api.Languages...) {
		for _, kind := range kinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				m, err := n.compose(Event{Kind: kind, To: "u@example.com", Username: "alice", Time: at, IP: "192.0.2.7",
					UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", Left: 1, Failures: 5, Lang: lang})
				if err != nil {
					t.Fatal(err)
				}
				want := []string{"alice", "2026-03-04 05:06 UTC", "192.0.2.7", "Firefox", "https://console.example.com", "-- Twofold"}
				for _, w := range want {
					if !strings.Contains(m.Text, w) {
						t.Errorf("text lacks %q:\n%s", w, m.Text)
					}
				}
				if strings.Contains(m.Text, "{") || strings.Contains(m.HTML, "{") {
					t.Errorf("placeholder left:\n%s\n%s", m.Text, m.HTML)
				}
				if !strings.HasPrefix(m.Subject, subjectPrefix(lang)) || m.To != "u@example.com" {
					t.Errorf("subject %q to %q", m.Subject, m.To)
				}
				wantLang := lang
				if _, ok := catalogs[lang]; !ok {
					wantLang = api.DefaultLanguage
				}
				if !strings.Contains(m.HTML, `<html lang="`+wantLang+`">`) || !strings.Contains(m.HTML, "<td>alice</td>") {
					t.Errorf("html:\n%s", m.HTML)
				}
			})
		}
	}
}

func TestNoticeFillsCounts(t *testing.T) {
	n := New(nil, nil, "http://x")
	m, _ := n.compose(Event{Kind: BackupCodeUsed, To: "u@x", Left: 2, Lang: "en"})
	if !strings.Contains(m.Text, "2 backup codes are left. Make new ones") {
		t.Errorf("backup code used, 2 left:\n%s", m.Text)
	}
	m, _ = n.compose(Event{Kind: BackupCodeUsed, To: "u@x", Left: 5, Lang: "fr"})
	if !strings.Contains(m.Text, "Il reste 5 codes") || strings.Contains(m.Text, "Créez-en") {
		t.Errorf("backup code used, 5 left:\n%s", m.Text)
	}
	m, _ = n.compose(Event{Kind: FailedCodes, To: "u@x", Failures: 5, Lang: "en"})
	if !strings.HasPrefix(m.Text, "5 wrong two-factor codes") {
		t.Errorf("failed codes:\n%s", m.Text)
	}
	if _, err := n.compose(Event{Kind: "no_such_kind", To: "u@x"}); err == nil {
		t.Error("a notice without text composed")
	}
}

// TestNoticeEscapesHTML sends hostile text where users and browsers put
// it: the HTML part escapes it, the text part keeps it as it is.
func TestNoticeEscapesHTML(t *testing.T) {
	n := New(nil, nil, "https://console.example.com")
	username := `<script>alert("u")</script>`
	ua := `"><img src=x onerror=alert(1)> Firefox/1 Linux`
	m, err := n.compose(Event{Kind: PasswordChanged, To: "u@x", Username: username, UserAgent: ua, IP: "<b>ip</b>", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>", "<img", "onerror", "<b>ip"} {
		if strings.Contains(m.HTML, raw) {
			t.Errorf("html carries %q unescaped:\n%s", raw, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;alert(&#34;u&#34;)&lt;/script&gt;") || !strings.Contains(m.HTML, "&lt;b&gt;ip&lt;/b&gt;") {
		t.Errorf("html does not show the escaped text:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, username) {
		t.Errorf("text part changed the username:\n%s", m.Text)
	}
	c := CodeMail("u@x", `<i>123456</i>`, "en")
	if strings.Contains(c.HTML, "<i>") || !strings.Contains(c.HTML, "&lt;i&gt;123456") {
		t.Errorf("code mail html:\n%s", c.HTML)
	}
}

func TestCodeMail(t *testing.T) {
	for lang, subject := range map[string]string{"en": "Your Twofold sign-in code", "fr": "Votre code de connexion Twofold", "xx": "Your Twofold sign-in code"} {
		m := CodeMail("u@example.com", "123456", lang)
		if m.Subject != subject || m.To != "u@example.com" || !strings.Contains(m.Text, "\n\n    123456\n\n") ||
			!strings.Contains(m.HTML, "<b>123456</b>") || !strings.HasSuffix(m.Text, "-- Twofold\n") {
			t.Errorf("%s: %+v", lang, m)
		}
	}
}

type countingSender struct {
	mu   sync.Mutex
	sent int
}

func (s *countingSender) Send(ctx context.Context, m mail.Message) error {
	time.Sleep(10 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	return nil
}

// TestNotifyAfterClose runs notices while Close waits (a request that
// outlives the shutdown): every notice is sent, and the WaitGroup is never
// added to while Close waits on it (the race detector would see it).
func TestNotifyAfterClose(t *testing.T) {
	s := &countingSender{}
	n := New(s, nil, "http://x")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Notify(Event{Kind: PasswordChanged, To: "u@x"})
		}()
	}
	n.Close()
	wg.Wait()
	n.Notify(Event{Kind: PasswordChanged, To: "u@x"})
	if s.sent != 21 {
		t.Fatalf("%d notices sent, want 21", s.sent)
	}
}

// TestFrenchTypography: French mails write as the console does: a no-break
// space before ":", ";", "?" and "!", curly apostrophes, and the subject
// prefix "Twofold : " with a no-break space.
func TestFrenchTypography(t *testing.T) {
	for k, v := range catalogs["fr"] {
		for _, bad := range []string{" :", " ;", " ?", " !", "'"} {
			if strings.Contains(v, bad) {
				t.Errorf("fr %s: %q holds %q", k, v, bad)
			}
		}
	}
	if subjectPrefix("fr") != "Twofold\u00a0: " || subjectPrefix("en") != "Twofold: " {
		t.Errorf("prefixes %q %q", subjectPrefix("fr"), subjectPrefix("en"))
	}
	m := CodeMail("u@example.com", "123456", "fr")
	if strings.Contains(m.Subject, "'") || strings.Contains(m.Text, " :") {
		t.Errorf("code mail: %q\n%s", m.Subject, m.Text)
	}
}
