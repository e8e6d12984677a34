// Package mail sends the console's mails: through SMTP (go-mail) when
// TWOFOLD_SMTP_URL is set, or printed to standard error in development.
package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one mail, in plain text and HTML.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender sends a message or fails before its context's deadline.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrNotConfigured: no SMTP server in production mode, where mails are
// never printed.
var ErrNotConfigured = errors.New("no SMTP server configured (TWOFOLD_SMTP_URL)")

// Timeout bounds one delivery (connect, TLS, auth, data).
const Timeout = 10 * time.Second

// SMTP sends through an SMTP server.
type SMTP struct {
	url  *url.URL
	from string
	// Timeout bounds one delivery; Timeout by default.
	Timeout time.Duration
}

// NewSMTP returns a sender for an smtp:// (STARTTLS when offered) or
// smtps:// (implicit TLS) URL, with optional user and password.
func NewSMTP(u *url.URL, from string) *SMTP { return &SMTP{url: u, from: from, Timeout: Timeout} }

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", s.url.Host, err)
	}
	return nil
}

func (s *SMTP) client() (*gomail.Client, error) {
	host := s.url.Hostname()
	opts := []gomail.Option{gomail.WithTimeout(s.Timeout)}
	port := s.url.Port()
	switch s.url.Scheme {
	case "smtps":
		opts = append(opts, gomail.WithSSL())
		if port == "" {
			port = "465"
		}
	default:
		// API.md: STARTTLS when the server offers it.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		if port == "" {
			port = "587"
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("smtp port %q: %w", port, err)
	}
	opts = append(opts, gomail.WithPort(p))
	if u := s.url.User; u != nil && u.Username() != "" {
		pw, _ := u.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.Username()), gomail.WithPassword(pw))
	}
	return gomail.NewClient(host, opts...)
}

func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("from %q: %w", s.from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject) // encoded as RFC 2047 when not ASCII
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// Stderr prints mails as plain text instead of sending them: the
// development mode of API.md, so `make run` works without an SMTP server.
// It never writes to the structured log.
type Stderr struct {
	mu   sync.Mutex
	w    io.Writer
	from string
}

// NewStderr returns a sender that prints to w.
func NewStderr(w io.Writer, from string) *Stderr { return &Stderr{w: w, from: from} }

// Send prints m.
func (s *Stderr) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString("\n----- mail (SMTP is not configured: set TWOFOLD_SMTP_URL to send it) -----\n")
	b.WriteString("From: " + s.from + "\nTo: " + m.To + "\nSubject: " + m.Subject + "\n\n")
	b.WriteString(strings.TrimRight(m.Text, "\n"))
	b.WriteString("\n----- end of mail -----\n\n")
	_, err := io.WriteString(s.w, b.String())
	return err
}

// Disabled refuses to send: production mode without SMTP.
type Disabled struct{}

// Send fails with ErrNotConfigured.
func (Disabled) Send(context.Context, Message) error { return ErrNotConfigured }
