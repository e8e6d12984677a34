package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"twofold/server/internal/mail"
)

type fakeSender struct{ err error }

func (f fakeSender) Send(context.Context, mail.Message) error { return f.err }

// TestMetrics: requests are labelled by route pattern (not by path), mails
// by result, and a nil *Metrics counts nothing without failing.
func TestMetrics(t *testing.T) {
	m := New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/admin/users/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) })
	h := m.Wrap(mux, mux)
	for _, path := range []string{"/api/admin/users/17", "/api/admin/users/18", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	m.Sender(fakeSender{}).Send(context.Background(), mail.Message{})
	m.Sender(fakeSender{errors.New("refused")}).Send(context.Background(), mail.Message{})
	m.SignIn("password", "ok")
	m.LimitHit("2fa:u")

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`twofold_http_request_duration_seconds_count{route="GET /api/admin/users/{id}",status="4xx"} 2`,
		`twofold_http_request_duration_seconds_count{route="unmatched",status="4xx"} 1`,
		`twofold_mails_total{result="sent"} 1`,
		`twofold_mails_total{result="failed"} 1`,
		`twofold_signins_total{method="password",result="ok"} 1`,
		`twofold_limit_hits_total{limit="2fa:u"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("no %s in:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "/17") {
		t.Error("a path is a label")
	}

	var none *Metrics
	none.SignIn("password", "ok")
	none.HashWait(0)
	if s := none.Sender(fakeSender{}); s != (fakeSender{}) {
		t.Errorf("a nil Metrics wraps the sender: %T", s)
	}
	if got := none.Wrap(mux, mux); got != http.Handler(mux) {
		t.Errorf("a nil Metrics wraps the handler")
	}
}
