package notify

import (
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"twofold/server/internal/mail"
	"twofold/shared/api"
)

// PasswordReset is the notice of a password set with a reset link.
const PasswordReset Kind = "password_reset"

// Reminder kinds: each is mailed once per cause (package reminder).
const (
	// ReminderTFAExpiring: 2FA turns "expired" soon; renew it.
	ReminderTFAExpiring Kind = "reminder_tfa_expiring"
	// ReminderBackupCodesLow: few backup codes are left; make new ones.
	ReminderBackupCodesLow Kind = "reminder_backup_codes_low"
)

// linkMail is what the templates of a mail with one link show.
type linkMail struct {
	Lang   string
	Intro  string
	Extra  string
	Link   string
	Button string
	Rules  string
}

// The templates of mails that carry one link (reset, reminders). The
// HTML one escapes by context: the link goes into an href attribute.
var (
	linkText = texttemplate.Must(texttemplate.New("link").Parse(
		"{{.Intro}}{{if .Extra}}\n\n{{.Extra}}{{end}}\n\n    {{.Link}}\n\n{{.Rules}}\n\n-- Twofold\n"))
	linkHTML = htmltemplate.Must(htmltemplate.New("link").Parse(
		`<!doctype html><html lang="{{.Lang}}"><body style="font-family:sans-serif;color:#111">` +
			`<p>{{.Intro}}</p>{{if .Extra}}<p>{{.Extra}}</p>{{end}}` +
			`<p><a href="{{.Link}}" style="display:inline-block;padding:10px 16px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">{{.Button}}</a></p>` +
			`<p style="font-size:13px;color:#444">{{.Link}}</p>` +
			`<p>{{.Rules}}</p><p>— Twofold</p></body></html>`))
)

// ResetLink is the link of a reset token: PUBLIC_URL/reset-password#token.
func (n *Notifier) ResetLink(token string) string {
	return n.publicURL + api.PageResetPassword + "#" + token
}

// ResetMail is the mail that carries a password-reset link for username,
// in lang. admin names the administrator who sent it ("" when the user
// asked for it). Its templates are fixed and filled with strings only,
// so they cannot fail once TestResetMail has run them; if they ever did,
// ResetMail panics rather than send a mail without its link.
func (n *Notifier) ResetMail(to, username, lang, token, admin string) mail.Message {
	lang = langOf(lang)
	t := catalogs[lang]
	data := linkMail{
		Lang:   lang,
		Intro:  strings.ReplaceAll(t["reset.intro"], "{username}", username),
		Link:   n.ResetLink(token),
		Button: t["reset.button"],
		Rules:  t["reset.rules"],
	}
	if admin != "" {
		data.Extra = strings.ReplaceAll(t["reset.admin"], "{admin}", admin)
	}
	text, html, err := render(linkText, linkHTML, data)
	if err != nil {
		panic("notify: reset mail templates: " + err.Error())
	}
	return mail.Message{To: to, Subject: t["reset.subject"], Text: text, HTML: html}
}

// Reminder is a reminder mail's subject matter.
type Reminder struct {
	Kind     Kind
	To       string
	Username string
	Lang     string
	// ExpiresAt is when 2FA turns "expired" (ReminderTFAExpiring).
	ExpiresAt time.Time
	// Now is the time of the reminder, to count the days left.
	Now time.Time
	// Left is the number of unused backup codes (ReminderBackupCodesLow).
	Left int
}

// ReminderMail composes a reminder, in the user's language, with the link
// to the settings page.
func (n *Notifier) ReminderMail(r Reminder) (mail.Message, error) {
	lang := langOf(r.Lang)
	t := catalogs[lang]
	days := int(r.ExpiresAt.Sub(r.Now).Hours()+23) / 24 // whole days, rounded up
	repl := strings.NewReplacer(
		"{username}", r.Username,
		"{date}", r.ExpiresAt.UTC().Format("2006-01-02"),
		"{days}", strconv.Itoa(max(days, 1)),
		"{left}", strconv.Itoa(r.Left),
	)
	k := string(r.Kind)
	data := linkMail{
		Lang:   lang,
		Intro:  repl.Replace(t[k]),
		Link:   n.publicURL + api.PageSettings,
		Button: t[k+".button"],
		Rules:  t["reminder.rules"],
	}
	if t[k] == "" {
		return mail.Message{}, fmt.Errorf("no text for reminder %q in %q", r.Kind, lang)
	}
	text, html, err := render(linkText, linkHTML, data)
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: r.To, Subject: subjectPrefix(lang) + t[k+".subject"], Text: text, HTML: html}, nil
}
