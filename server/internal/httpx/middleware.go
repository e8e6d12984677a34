package httpx

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"twofold/shared/api"
)

type ctxKey struct{}

// reqInfo is what the middleware learns about a request.
type reqInfo struct {
	ip     string
	log    *slog.Logger
	reason string // error code sent, for the request log
}

func infoFrom(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return info
}

func setReason(r *http.Request, code string) {
	if info := infoFrom(r.Context()); info != nil {
		info.reason = code
	}
}

// ClientIP is the client's address as resolved by the middleware.
func ClientIP(r *http.Request) string {
	if info := infoFrom(r.Context()); info != nil {
		return info.ip
	}
	return remoteIP(r).String()
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// IPResolver finds the client IP: the connection's address, unless it is a
// trusted proxy, in which case X-Forwarded-For is read from the right,
// skipping trusted proxies, and the first untrusted address is the client.
// A header from anyone else is ignored, so it cannot dodge a limit.
type IPResolver struct {
	Trusted []netip.Prefix
}

func (res IPResolver) trusted(a netip.Addr) bool {
	for _, p := range res.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client IP of r.
func (res IPResolver) Resolve(r *http.Request) netip.Addr {
	ip := remoteIP(r)
	if !ip.IsValid() || !res.trusted(ip) {
		return ip
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// Garbage in the chain: stop at the last address we trust.
			return ip
		}
		if !res.trusted(a) {
			return a
		}
		ip = a
	}
	return ip
}

// parseHop reads one X-Forwarded-For entry: an IP address, which some
// proxies and load balancers write with a port ("198.51.100.12:5555",
// "[2001:db8::1]:443") or in brackets ("[2001:db8::1]").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok = strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil && a.Is6() {
				return a.Unmap(), true
			}
		}
	}
	return netip.Addr{}, false
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Log resolves the client IP, recovers panics and writes one structured log
// line per request: method, path (never the query), status, error code,
// duration, size and IP. No header, cookie or body is logged.
func Log(logger *slog.Logger, ips IPResolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ip := ips.Resolve(r)
		ipStr := ""
		if ip.IsValid() {
			ipStr = ip.String()
		}
		info := &reqInfo{ip: ipStr, log: logger.With("ip", ipStr, "method", r.Method, "path", r.URL.Path)}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				info.log.Error("panic", "panic", p)
				if sw.status == 0 {
					JSON(sw, http.StatusInternalServerError, Fail(http.StatusInternalServerError, api.CodeInternal, "Internal error."))
				}
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.Int("status", sw.status),
				slog.Duration("duration", time.Since(start)),
				slog.Int("bytes", sw.bytes),
			}
			if info.reason != "" {
				attrs = append(attrs, slog.String("code", info.reason))
			}
			info.log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// Headers are the security headers of every response.
type Headers struct {
	// HSTS: the public URL is https.
	HSTS bool
}

// CSP allows only what the WASM console needs: its own scripts with
// WebAssembly compilation, its own styles, images from itself and data:
// URLs (the QR code), fetches to itself, and no framing.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Wrap adds the security headers, and no-store on /api.
func (h Headers) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if h.HSTS {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			hd.Set("Cache-Control", "no-store")
			hd.Set("Pragma", "no-cache")
		}
		next.ServeHTTP(w, r)
	})
}

// RefuseBearer answers 401 unauthorized to a request of the console API
// (/api/auth/, /api/account, /api/admin/) that carries a bearer token: those
// are the RustDesk client's (API.md). It runs inside CrossOrigin, which
// looks at a request before anything else.
func RefuseBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if consoleAPI(r.URL.Path) && hasBearer(r) {
			Error(w, r, Fail(http.StatusUnauthorized, api.CodeUnauthorized,
				"Bearer tokens are not accepted on the console API; sign in with the session cookie."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func consoleAPI(path string) bool {
	for _, p := range []string{"/api/auth/", "/api/account", "/api/admin/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func hasBearer(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	return len(auth) >= 7 && strings.EqualFold(auth[:7], "bearer ")
}

// CrossOrigin refuses cross-site requests that change state with 403
// forbidden, before anything else is looked at. It relies on the standard
// library's check (Sec-Fetch-Site, then Origin against Host); requests
// without browser headers (curl, Go clients) pass.
func CrossOrigin(publicOrigin string, next http.Handler) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, Fail(http.StatusForbidden, api.CodeForbidden, "Cross-site request refused."))
	})
	cop.SetDenyHandler(deny)
	if publicOrigin == "" {
		return cop.Handler(next), nil
	}
	if err := cop.AddTrustedOrigin(publicOrigin); err != nil {
		return nil, err
	}
	want, ok := canonicalOrigin(publicOrigin)
	if !ok {
		return nil, fmt.Errorf("cross-origin check: %q is not an origin", publicOrigin)
	}
	inner := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The standard check compares an Origin's host with Host, not its
		// scheme: a page of http://host could write to https://host. An
		// Origin, when a browser sends one with a write, is the public
		// URL's, scheme included.
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if o := r.Header.Get("Origin"); o != "" {
				if got, ok := canonicalOrigin(o); !ok || got != want {
					deny(w, r)
					return
				}
				// The public URL's origin: the standard check trusts it
				// too (AddTrustedOrigin), whatever Sec-Fetch-Site says.
				next.ServeHTTP(w, r)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}), nil
}

// canonicalOrigin is an origin (scheme://host[:port]) as scheme and
// canonicalHost, so that a default port written or left out compares
// equal; ok is false for anything else (e.g. "null").
func canonicalOrigin(origin string) (string, bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	return scheme + "://" + canonicalHost(u.Host, scheme), true
}

// HostCheck refuses with 403 forbidden, before anything else is looked
// at, a request whose Host is not the public URL's host (API.md: DNS
// rebinding; a hostile page whose name is made to resolve to this server
// would otherwise be same-origin with it). Hosts are compared as
// host:port, in lower case, with the public URL's default port filled in
// (a proxy in front must pass the Host header on). /api/health and
// /api/ready answer any Host: load balancers and orchestrators probe them
// by address. A page (outside /api/) gets a small HTML page that links to
// the public URL, for a person who typed another name for this server
// ("localhost" for "127.0.0.1").
func HostCheck(public *url.URL, next http.Handler) http.Handler {
	want := canonicalHost(public.Host, public.Scheme)
	home := public.Scheme + "://" + public.Host + "/"
	page := []byte(fmt.Sprintf(wrongHostPage, html.EscapeString(home)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if canonicalHost(r.Host, public.Scheme) == want || r.URL.Path == api.PathHealth || r.URL.Path == api.PathReady {
			next.ServeHTTP(w, r)
			return
		}
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			got := r.Host
			if len(got) > 100 {
				got = got[:100] + "..."
			}
			Error(w, r, Fail(http.StatusForbidden, api.CodeForbidden,
				"This server answers only at "+home+" (TWOFOLD_PUBLIC_URL), not at the host "+strconv.Quote(got)+"."))
			return
		}
		setReason(r, api.CodeForbidden)
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(http.StatusForbidden)
		if r.Method != http.MethodHead {
			w.Write(page)
		}
	})
}

// wrongHostPage is the answer to a page asked for under another name; %s
// is the public URL, HTML-escaped.
const wrongHostPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Twofold: wrong address</title></head>
<body>
<h1>Wrong address</h1>
<p>This console answers only at <a href="%[1]s">%[1]s</a>. Open that address instead.</p>
<p lang="fr">Cette console ne répond qu’à l’adresse <a href="%[1]s">%[1]s</a>. Ouvrez plutôt celle-ci.</p>
</body>
</html>
`

// canonicalHost is hostport (a Host header or a URL's host) as compared by
// HostCheck: lower case, without a final dot, an IP address in its
// canonical form, and the scheme's default port when none is given.
func canonicalHost(hostport, scheme string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
		if inner, ok := strings.CutPrefix(host, "["); ok {
			host, _ = strings.CutSuffix(inner, "]")
		}
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	return net.JoinHostPort(host, port)
}
