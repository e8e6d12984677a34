// Package metrics counts what an operator watches on each instance (sign-
// ins, code checks, limit hits, mails, password-hash queue, request
// latency, database pool) and serves them in Prometheus' text format on a
// separate address (TWOFOLD_METRICS_ADDR). Labels never hold a username,
// an email, an IP or a token: only fixed words and route patterns.
//
// A nil *Metrics counts nothing, so services work without it.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"twofold/server/internal/mail"
)

// Metrics are one server's collectors, in their own registry.
type Metrics struct {
	reg        *prometheus.Registry
	signIns    *prometheus.CounterVec
	codeChecks *prometheus.CounterVec
	limitHits  *prometheus.CounterVec
	mails      *prometheus.CounterVec
	hashWait   prometheus.Histogram
	requests   *prometheus.HistogramVec
}

// New returns metrics registered in a new registry, with Go's runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_signins_total",
			Help: "Sign-in steps by method (password, totp, email, backup) and result (ok, verify, enroll, invalid_credentials, invalid_code, login_expired, rate_limited, forbidden, unavailable, error).",
		}, []string{"method", "result"}),
		codeChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_code_checks_total",
			Help: "Second-factor code checks (sign-in, step-up, confirming a new secret) by method and result (ok, invalid, expired, rate_limited, error).",
		}, []string{"method", "result"}),
		limitHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_limit_hits_total",
			Help: "Requests refused by an attempt limit, by limit (pw:ui per username and IP, pw:u per username, pw:d per device, 2fa:u per account, 2fa:ip per IP, mail:u code mails, reset:*).",
		}, []string{"limit"}),
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twofold_mails_total",
			Help: "Mails handed to the mail server (result sent) or refused or not delivered (result failed).",
		}, []string{"result"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "twofold_password_hash_wait_seconds",
			Help:    "Time a password hash waited for a slot (one per CPU).",
			Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "twofold_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and status class.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
	}
	m.reg.MustRegister(m.signIns, m.codeChecks, m.limitHits, m.mails, m.hashWait, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// SignIn counts a sign-in step.
func (m *Metrics) SignIn(method, result string) {
	if m != nil {
		m.signIns.WithLabelValues(method, result).Inc()
	}
}

// CodeCheck counts a second-factor code check.
func (m *Metrics) CodeCheck(method, result string) {
	if m != nil {
		m.codeChecks.WithLabelValues(method, result).Inc()
	}
}

// LimitHit counts a request refused by the limit family limit.
func (m *Metrics) LimitHit(limit string) {
	if m != nil {
		m.limitHits.WithLabelValues(limit).Inc()
	}
}

// HashWait records how long a password hash waited for a slot.
func (m *Metrics) HashWait(d time.Duration) {
	if m != nil {
		m.hashWait.Observe(d.Seconds())
	}
}

// HashQueue exports the number of password hashes waiting for a slot now.
func (m *Metrics) HashQueue(waiting func() int) {
	if m != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "twofold_password_hash_queue",
			Help: "Password hashes waiting for a slot now.",
		}, func() float64 { return float64(waiting()) }))
	}
}

// DB exports the database pool's use (open, in use, idle connections,
// waits) as go_sql_* with db_name="twofold".
func (m *Metrics) DB(d *sql.DB) {
	if m != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(d, "twofold"))
	}
}

// Sender counts the mails of s.
func (m *Metrics) Sender(s mail.Sender) mail.Sender {
	if m == nil {
		return s
	}
	return sender{s, m}
}

type sender struct {
	mail.Sender
	m *Metrics
}

func (s sender) Send(ctx context.Context, msg mail.Message) error {
	err := s.Sender.Send(ctx, msg)
	if err != nil {
		s.m.mails.WithLabelValues("failed").Inc()
	} else {
		s.m.mails.WithLabelValues("sent").Inc()
	}
	return err
}

// Unwrap returns the counted sender.
func (s sender) Unwrap() mail.Sender { return s.Sender }

// Router finds the pattern that serves a request (an http.ServeMux).
type Router interface {
	Handler(r *http.Request) (http.Handler, string)
}

// Wrap times every request served by h, labelled with the pattern mux
// routes it to (never its path: paths hold ids) and its status class.
func (m *Metrics) Wrap(mux Router, h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status/100)+"xx").Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.written {
		s.status, s.written = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
