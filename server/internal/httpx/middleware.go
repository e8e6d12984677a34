package httpx

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
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
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// Garbage in the chain: stop at the last address we trust.
			return ip
		}
		a = a.Unmap()
		if !res.trusted(a) {
			return a
		}
		ip = a
	}
	return ip
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

// Wrap adds the security headers, and no-store plus bearer refusal on /api.
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
			if consoleAPI(r.URL.Path) && hasBearer(r) {
				Error(w, r, Fail(http.StatusUnauthorized, api.CodeUnauthorized,
					"Bearer tokens are not accepted on the console API; sign in with the session cookie."))
				return
			}
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
	if publicOrigin != "" {
		if err := cop.AddTrustedOrigin(publicOrigin); err != nil {
			return nil, err
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, Fail(http.StatusForbidden, api.CodeForbidden, "Cross-site request refused."))
	}))
	return cop.Handler(next), nil
}
