// Package notify writes the mails of the console: the email sign-in code
// and one short security notice per event, each with time, IP and browser
// and what to do if it was not the user.
package notify

import (
	"context"
	"fmt"
	htmltemplate "html/template"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
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
	// Security keys and passkeys ({name} is the key's name).
	PasskeyAdded   Kind = "passkey_added"
	PasskeyRemoved Kind = "passkey_removed"
	PasskeyUsed    Kind = "passkey_used"
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
	// Name is the security key's name (Passkey*).
	Name string
	// Lang is the user's language ("en", "fr").
	Lang string
	// Actor is the administrator who made the change ("" when the user
	// did); Reason is their reason, if any. Both are shown in the notice.
	Actor  string
	Reason string
	// More are further changes made at once (one administrator's PATCH):
	// their texts follow Kind's, under one subject.
	More []Kind
}

// Notifier sends notices in the background: the change they describe is
// already committed, so a slow or failing mail server never delays or
// fails the request. Failures are logged (without content).
type Notifier struct {
	sender    mail.Sender
	logger    *slog.Logger
	publicURL string
	wg        sync.WaitGroup
	// mu orders wg.Add against Close's wg.Wait; closed is set by Close.
	mu     sync.Mutex
	closed bool
}

// New returns a Notifier.
func New(s mail.Sender, logger *slog.Logger, publicURL string) *Notifier {
	return &Notifier{sender: s, logger: logger, publicURL: publicURL}
}

// Notify sends the notice of e, if the user has an email address. After
// Close (a request that outlived the server's shutdown), it sends it before
// returning instead.
func (n *Notifier) Notify(e Event) {
	if e.To == "" {
		return
	}
	m, err := n.compose(e)
	if err != nil {
		n.logger.Error("security notice not composed", "kind", string(e.Kind), "err", err)
		return
	}
	send := func() {
		ctx, cancel := context.WithTimeout(context.Background(), mail.Timeout)
		defer cancel()
		if err := n.sender.Send(ctx, m); err != nil {
			n.logger.Warn("security notice not sent", "kind", string(e.Kind), "err", err)
		}
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		send()
		return
	}
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		send()
	}()
}

// Wait blocks until the notices under way are sent or failed. Unlike
// Close, it lets new notices start afterwards.
func (n *Notifier) Wait() { n.wg.Wait() }

// Close waits for the notices under way; later ones are sent in the
// caller's goroutine (see Notify).
func (n *Notifier) Close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.wg.Wait()
}

// detail is one line of a notice's table.
type detail struct{ Label, Value string }

// notice is what the notice templates show.
type notice struct {
	Lang    string
	What    string
	Details []detail
	Advice  string
}

// codeMail is what the code mail templates show.
type codeMail struct {
	Lang  string
	Intro string
	Code  string
	Rules string
}

// The mails' templates. The HTML ones escape by context whatever comes
// from users or browsers (username, User-Agent).
var (
	noticeText = texttemplate.Must(texttemplate.New("notice").Parse(
		"{{.What}}\n\n{{range .Details}}{{.Label}}: {{.Value}}\n{{end}}\n{{.Advice}}\n\n-- Twofold\n"))
	noticeHTML = htmltemplate.Must(htmltemplate.New("notice").Parse(
		`<!doctype html><html lang="{{.Lang}}"><body style="font-family:sans-serif;color:#111">` +
			`<p>{{.What}}</p><table>{{range .Details}}<tr><td><b>{{.Label}}</b></td><td>{{.Value}}</td></tr>{{end}}</table>` +
			`<p>{{.Advice}}</p><p>— Twofold</p></body></html>`))
	codeText = texttemplate.Must(texttemplate.New("code").Parse(
		"{{.Intro}}\n\n    {{.Code}}\n\n{{.Rules}}\n\n-- Twofold\n"))
	codeHTML = htmltemplate.Must(htmltemplate.New("code").Parse(
		`<!doctype html><html lang="{{.Lang}}"><body style="font-family:sans-serif;color:#111">` +
			`<p>{{.Intro}}</p><p style="font-size:28px;letter-spacing:4px"><b>{{.Code}}</b></p>` +
			`<p>{{.Rules}}</p><p>— Twofold</p></body></html>`))
)

// executor is what text/template and html/template templates share.
type executor interface {
	Execute(w io.Writer, data any) error
}

// render executes the text and HTML templates of a mail on data.
func render(text, html executor, data any) (string, string, error) {
	var t, h strings.Builder
	if err := text.Execute(&t, data); err != nil {
		return "", "", fmt.Errorf("mail text: %w", err)
	}
	if err := html.Execute(&h, data); err != nil {
		return "", "", fmt.Errorf("mail html: %w", err)
	}
	return t.String(), h.String(), nil
}

func (n *Notifier) compose(e Event) (mail.Message, error) {
	lang := langOf(e.Lang)
	t := catalogs[lang]
	subject := t[string(e.Kind)+".subject"]
	what := strings.NewReplacer("{left}", strconv.Itoa(e.Left), "{failures}", strconv.Itoa(e.Failures), "{name}", e.Name).Replace(t[string(e.Kind)])
	if subject == "" || what == "" {
		return mail.Message{}, fmt.Errorf("no text for notice %q in %q", e.Kind, lang)
	}
	if e.Kind == BackupCodeUsed && e.Left <= 2 {
		what += " " + t["backup_code_used.low"]
	}
	for _, k := range e.More {
		more := t[string(k)]
		if more == "" {
			return mail.Message{}, fmt.Errorf("no text for notice %q in %q", k, lang)
		}
		what += " " + more
		subject = t["account_changed.subject"]
	}
	data := notice{
		Lang: lang,
		What: what,
		Details: []detail{
			{t["account"], e.Username},
			{t["time"], e.Time.UTC().Format("2006-01-02 15:04 MST")},
			{t["ip"], e.IP},
			{t["browser"], browser(e.UserAgent, t)},
		},
		Advice: strings.ReplaceAll(t["advice"], "{url}", n.publicURL),
	}
	if e.Actor != "" {
		data.Details = append(data.Details, detail{t["by"], e.Actor})
		if e.Reason != "" {
			data.Details = append(data.Details, detail{t["reason"], e.Reason})
		}
		data.Advice = strings.ReplaceAll(t["advice.admin"], "{url}", n.publicURL)
	}
	text, html, err := render(noticeText, noticeHTML, data)
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: e.To, Subject: subjectPrefix(lang) + subject, Text: text, HTML: html}, nil
}

// CodeMail is the mail that carries an email sign-in code, in lang. Its
// templates are fixed and filled with strings only, so they cannot fail
// once TestCodeMail has run them; if they ever did, CodeMail panics rather
// than send a mail without its code.
func CodeMail(to, code, lang string) mail.Message {
	lang = langOf(lang)
	t := catalogs[lang]
	text, html, err := render(codeText, codeHTML, codeMail{Lang: lang, Intro: t["code.intro"], Code: code, Rules: t["code.rules"]})
	if err != nil {
		panic("notify: code mail templates: " + err.Error())
	}
	return mail.Message{To: to, Subject: t["code.subject"], Text: text, HTML: html}
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
