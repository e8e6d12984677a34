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
	var subject, what string
	switch e.Kind {
	case TFAEnabled:
		subject, what = "Two-factor authentication was turned on", "Two-factor authentication (an authenticator app) was turned on for your account, and six new backup codes were made."
	case TFARenewed:
		subject, what = "Two-factor authentication was renewed", "Your account's two-factor authentication was renewed: a new authenticator secret and six new backup codes replace the old ones."
	case TFADisabled:
		subject, what = "Two-factor authentication was turned off", "Two-factor authentication was turned off for your account. Signing in now needs only your password."
	case BackupCodeUsed:
		subject = "A backup code was used"
		what = "A backup code was used to confirm your identity. " + strconv.Itoa(e.Left) + " backup codes are left."
		if e.Left <= 2 {
			what += " Make new ones in Settings before you run out."
		}
	case BackupCodesRegenerated:
		subject, what = "New backup codes were made", "New backup codes were made for your account; the previous ones no longer work."
	case PasswordChanged:
		subject, what = "Your password was changed", "The password of your account was changed, and your other sessions were signed out."
	case EmailChanged:
		subject, what = "Your account's email address was changed", "The email address of your account was changed; this address will no longer receive its mails."
	case FailedCodes:
		subject = "Failed sign-in codes on your account"
		what = strconv.Itoa(e.Failures) + " wrong two-factor codes were entered in a row for your account, after a correct password. Someone may know your password."
	}
	when := e.Time.UTC().Format("2006-01-02 15:04 MST")
	details := [][2]string{{"Account", e.Username}, {"Time", when}, {"IP address", e.IP}, {"Browser", browser(e.UserAgent)}}
	advice := "If this was you, nothing more is needed. If it was not you, sign in at " + n.publicURL +
		" and change your password, then check your two-factor settings; if you cannot sign in, contact your administrator."

	var text strings.Builder
	text.WriteString(what + "\n\n")
	for _, d := range details {
		text.WriteString(d[0] + ": " + d[1] + "\n")
	}
	text.WriteString("\n" + advice + "\n\n-- Twofold\n")

	var h strings.Builder
	h.WriteString(`<!doctype html><html><body style="font-family:sans-serif;color:#111">`)
	h.WriteString("<p>" + html.EscapeString(what) + "</p><table>")
	for _, d := range details {
		h.WriteString("<tr><td><b>" + html.EscapeString(d[0]) + "</b></td><td>" + html.EscapeString(d[1]) + "</td></tr>")
	}
	h.WriteString("</table><p>" + html.EscapeString(advice) + "</p><p>— Twofold</p></body></html>")
	return mail.Message{To: e.To, Subject: "Twofold: " + subject, Text: text.String(), HTML: h.String()}
}

// CodeMail is the mail that carries an email sign-in code.
func CodeMail(to, code string) mail.Message {
	text := "Your Twofold sign-in code is:\n\n    " + code + "\n\nIt is valid for 10 minutes and works once. " +
		"If you did not try to sign in, someone may know your password: change it.\n\n-- Twofold\n"
	h := `<!doctype html><html><body style="font-family:sans-serif;color:#111"><p>Your Twofold sign-in code is:</p>` +
		`<p style="font-size:28px;letter-spacing:4px"><b>` + html.EscapeString(code) + `</b></p>` +
		`<p>It is valid for 10 minutes and works once. If you did not try to sign in, someone may know your password: change it.</p>` +
		`<p>— Twofold</p></body></html>`
	return mail.Message{To: to, Subject: "Your Twofold sign-in code", Text: text, HTML: h}
}

// browser names the browser and system of a User-Agent in a few words.
func browser(ua string) string {
	if ua == "" {
		return "unknown"
	}
	name := "a browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "a Go program"},
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
			return name + " on " + os.name
		}
	}
	return name
}
