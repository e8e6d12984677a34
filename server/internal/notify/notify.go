// Package notify writes the mails of the console: the email sign-in code
// and one short security notice per event, each with time, IP and browser
// and what to do if it was not the user.
package notify

import (
	"context"
	"html"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"twofold/server/internal/mail"
)

// Kind is a security event that deserves a mail.
type Kind string

// Kinds of notices.
const (
	TFAEnabled             Kind = "tfa_enabled"
	TFARenewed             Kind = "tfa_renewed"
	TFADisabled            Kind = "tfa_disabled"
	BackupCodeUsed         Kind = "backup_code_used"
	BackupCodesRegenerated Kind = "backup_codes_regenerated"
	PasswordChanged        Kind = "password_changed"
	EmailChanged           Kind = "email_changed"
	FailedCodes            Kind = "failed_codes"
)

// Event is what happened, to whom, from where.
type Event struct {
	Kind      Kind
	To        string
	Username  string
	Time      time.Time
	IP        string
	UserAgent string
	// Left is the number of backup codes left (BackupCodeUsed).
	Left int
	// Failures is the number of failed codes in a row (FailedCodes).
	Failures int
	// Lang is the user's language ("en", "fr").
	Lang string
}

// Notifier sends notices in the background: the change they describe is
// already committed, so a slow or failing mail server never delays or
// fails the request. Failures are logged (without content).
type Notifier struct {
	sender    mail.Sender
	logger    *slog.Logger
	publicURL string
	wg        sync.WaitGroup
}

// New returns a Notifier.
func New(s mail.Sender, logger *slog.Logger, publicURL string) *Notifier {
	return &Notifier{sender: s, logger: logger, publicURL: publicURL}
}

// Notify sends the notice of e, if the user has an email address.
func (n *Notifier) Notify(e Event) {
	if e.To == "" {
		return
	}
	m := n.compose(e)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), mail.Timeout)
		defer cancel()
		if err := n.sender.Send(ctx, m); err != nil {
			n.logger.Warn("security notice not sent", "kind", string(e.Kind), "err", err)
		}
	}()
}

// Wait blocks until the notices under way are sent or failed.
func (n *Notifier) Wait() { n.wg.Wait() }

func (n *Notifier) compose(e Event) mail.Message {
	t := catalog(e.Lang)
	subject, what := t[string(e.Kind)+".subject"], t[string(e.Kind)]
	what = strings.ReplaceAll(what, "{left}", strconv.Itoa(e.Left))
	what = strings.ReplaceAll(what, "{failures}", strconv.Itoa(e.Failures))
	if e.Kind == BackupCodeUsed && e.Left <= 2 {
		what += " " + t["backup_code_used.low"]
	}
	when := e.Time.UTC().Format("2006-01-02 15:04 MST")
	details := [][2]string{{t["account"], e.Username}, {t["time"], when}, {t["ip"], e.IP}, {t["browser"], browser(e.UserAgent, t)}}
	advice := strings.ReplaceAll(t["advice"], "{url}", n.publicURL)

	var text strings.Builder
	text.WriteString(what + "\n\n")
	for _, d := range details {
		text.WriteString(d[0] + ": " + d[1] + "\n")
	}
	text.WriteString("\n" + advice + "\n\n-- Twofold\n")

	var h strings.Builder
	h.WriteString(`<!doctype html><html lang="` + langOf(e.Lang) + `"><body style="font-family:sans-serif;color:#111">`)
	h.WriteString("<p>" + html.EscapeString(what) + "</p><table>")
	for _, d := range details {
		h.WriteString("<tr><td><b>" + html.EscapeString(d[0]) + "</b></td><td>" + html.EscapeString(d[1]) + "</td></tr>")
	}
	h.WriteString("</table><p>" + html.EscapeString(advice) + "</p><p>— Twofold</p></body></html>")
	return mail.Message{To: e.To, Subject: "Twofold: " + subject, Text: text.String(), HTML: h.String()}
}

// CodeMail is the mail that carries an email sign-in code, in lang.
func CodeMail(to, code, lang string) mail.Message {
	t := catalog(lang)
	text := t["code.intro"] + "\n\n    " + code + "\n\n" + t["code.rules"] + "\n\n-- Twofold\n"
	h := `<!doctype html><html lang="` + langOf(lang) + `"><body style="font-family:sans-serif;color:#111"><p>` +
		html.EscapeString(t["code.intro"]) + `</p><p style="font-size:28px;letter-spacing:4px"><b>` + html.EscapeString(code) +
		`</b></p><p>` + html.EscapeString(t["code.rules"]) + `</p><p>— Twofold</p></body></html>`
	return mail.Message{To: to, Subject: t["code.subject"], Text: text, HTML: h}
}

// browser names the browser and system of a User-Agent in a few words.
func browser(ua string, t map[string]string) string {
	if ua == "" {
		return t["unknown"]
	}
	name := t["a browser"]
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go"},
	} {
		if strings.Contains(ua, b.token) {
			name = b.name
			break
		}
	}
	for _, os := range []struct{ token, name string }{
		{"Windows", "Windows"}, {"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"},
		{"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, os.token) {
			return name + t["on"] + os.name
		}
	}
	return name
}
