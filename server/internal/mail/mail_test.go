package mail_test

import (
	"bytes"
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/mail"
	"twofold/server/internal/smtptest"
)

func TestSMTPSendsMultipartWithEncodedSubject(t *testing.T) {
	srv := smtptest.Start(t)
	u, _ := url.Parse(srv.URL())
	s := mail.NewSMTP(u, `"Twofold" <no-reply@example.com>`)
	err := s.Send(context.Background(), mail.Message{
		To: "élise@example.com", Subject: "Vérification de connexion", Text: "Code : 123456\n", HTML: "<p>Code : <b>123456</b></p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	m := srv.Wait(0, smtptest.To("élise@example.com"))
	if m.Subject != "Vérification de connexion" || !strings.Contains(m.Text, "Code : 123456") || !strings.Contains(m.HTML, "<b>123456</b>") {
		t.Fatalf("received %+v", m)
	}
	raw := string(m.Raw)
	for _, want := range []string{"multipart/alternative", "Subject: =?UTF-8?", "Message-ID:", "Date:", "MIME-Version: 1.0"} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw mail lacks %q:\n%s", want, raw)
		}
	}
	if m.From != "no-reply@example.com" {
		t.Errorf("envelope from %q", m.From)
	}
}

func TestSMTPFailures(t *testing.T) {
	// Nobody listening.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	u, _ := url.Parse("smtp://" + addr)
	if err := mail.NewSMTP(u, "a@example.com").Send(context.Background(), mail.Message{To: "b@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sent to a closed port")
	}
	// A server that accepts and never answers: the timeout bounds the wait.
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	u, _ = url.Parse("smtp://" + ln.Addr().String())
	s := mail.NewSMTP(u, "a@example.com")
	s.Timeout = 300 * time.Millisecond
	start := time.Now()
	if err := s.Send(context.Background(), mail.Message{To: "b@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sent to a silent server")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("send blocked %v, longer than its timeout", d)
	}
	// smtps:// insists on TLS: a plain server fails the handshake.
	srv := smtptest.Start(t)
	u, _ = url.Parse(strings.Replace(srv.URL(), "smtp://", "smtps://", 1))
	s = mail.NewSMTP(u, "a@example.com")
	s.Timeout = 2 * time.Second
	if err := s.Send(context.Background(), mail.Message{To: "b@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("smtps:// sent over plain text")
	}
	if len(srv.Mails()) != 0 {
		t.Fatal("a mail arrived over an smtps:// URL without TLS")
	}
}

func TestStderrAndDisabled(t *testing.T) {
	var b bytes.Buffer
	if err := mail.NewStderr(&b, "Twofold <no-reply@localhost>").Send(context.Background(), mail.Message{To: "a@example.com", Subject: "Hello", Text: "Your code is 123456\n"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SMTP is not configured", "To: a@example.com", "Subject: Hello", "Your code is 123456"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("printed mail lacks %q:\n%s", want, b.String())
		}
	}
	if err := (mail.Disabled{}).Send(context.Background(), mail.Message{}); err != mail.ErrNotConfigured {
		t.Fatalf("disabled sender: %v", err)
	}
}
