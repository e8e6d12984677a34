package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"twofold/server/internal/httpx"
)

// TestF13ForwardedForWithPort: X-Forwarded-For entries that carry a port
// or brackets are read (port and brackets dropped) when the connection
// comes from a trusted proxy; from anyone else the header is still
// ignored. Before the fix, an entry with a port fell back to the proxy's
// address.
func TestF13ForwardedForWithPort(t *testing.T) {
	res := httpx.IPResolver{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"IPv4 with a port", "127.0.0.1:1234", []string{"198.51.100.12:5555"}, "198.51.100.12"},
		{"IPv6 with a port", "127.0.0.1:1234", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 in brackets", "127.0.0.1:1234", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 plain", "127.0.0.1:1234", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped with a port", "127.0.0.1:1234", []string{"[::ffff:198.51.100.12]:80"}, "198.51.100.12"},
		{"spaces", "127.0.0.1:1234", []string{" 198.51.100.12:5555 "}, "198.51.100.12"},
		{"chain through trusted proxies with ports", "127.0.0.1:1234", []string{"203.0.113.5:1, 198.51.100.12:5555, 10.1.2.3:8080"}, "198.51.100.12"},
		{"chain over two headers", "127.0.0.1:1234", []string{"203.0.113.5", "10.1.2.3:8080"}, "203.0.113.5"},
		{"IPv6 client, IPv4 proxy with a port", "127.0.0.1:1234", []string{"[2001:db8::7]:9, 10.0.0.1:80"}, "2001:db8::7"},
		{"port out of range", "127.0.0.1:1234", []string{"198.51.100.12:99999"}, "127.0.0.1"},
		{"garbage", "127.0.0.1:1234", []string{"unknown"}, "127.0.0.1"},
		{"IPv4 in brackets", "127.0.0.1:1234", []string{"[198.51.100.12]"}, "127.0.0.1"},
		{"empty brackets", "127.0.0.1:1234", []string{"[]:80"}, "127.0.0.1"},
		{"garbage left of a good hop", "127.0.0.1:1234", []string{"x, 198.51.100.12:5555"}, "198.51.100.12"},
		{"no header", "127.0.0.1:1234", nil, "127.0.0.1"},
		{"untrusted peer, spoofed header with a port", "192.0.2.9:1234", []string{"198.51.100.12:5555"}, "192.0.2.9"},
		{"untrusted peer, spoofed IPv6", "[2001:db8::99]:1234", []string{"[2001:db8::1]:443"}, "2001:db8::99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := res.Resolve(r); got.String() != tt.want {
				t.Fatalf("Resolve with X-Forwarded-For %q from %s: got %s, want %s", tt.xff, tt.remote, got, tt.want)
			}
		})
	}
}

// HostCheck lets through the public URL's host in its usual spellings and
// refuses any other, except on the health and readiness probes.
func TestHostCheck(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	tests := []struct {
		public, host, path string
		want               int
	}{
		{"http://127.0.0.1:8080", "127.0.0.1:8080", "/api/account", http.StatusTeapot},
		{"http://127.0.0.1:8080", "localhost:8080", "/api/account", http.StatusForbidden},
		{"http://127.0.0.1:8080", "127.0.0.1", "/api/account", http.StatusForbidden},
		{"http://127.0.0.1:8080", "127.0.0.1:8081", "/", http.StatusForbidden},
		{"http://127.0.0.1:8080", "", "/", http.StatusForbidden},
		{"http://127.0.0.1:8080", "evil.example", "/api/health", http.StatusTeapot},
		{"http://127.0.0.1:8080", "evil.example", "/api/ready", http.StatusTeapot},
		{"http://127.0.0.1:8080", "evil.example", "/api/health/x", http.StatusForbidden},
		{"http://[::1]:8080", "[0:0::1]:8080", "/", http.StatusTeapot},
		{"http://[::1]:8080", "[::1]", "/", http.StatusForbidden},
		{"http://console.example.com", "console.example.com", "/", http.StatusTeapot},
		{"http://console.example.com", "console.example.com:80", "/", http.StatusTeapot},
		{"http://console.example.com", "console.example.com:443", "/", http.StatusForbidden},
		{"https://console.example.com", "console.example.com:443", "/", http.StatusTeapot},
		{"https://console.example.com", "Console.Example.Com.", "/", http.StatusTeapot},
		{"https://console.example.com:8443/base", "console.example.com:8443", "/", http.StatusTeapot},
		{"https://console.example.com:8443/base", "console.example.com", "/", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.public+" "+tt.host+" "+tt.path, func(t *testing.T) {
			pub, err := url.Parse(tt.public)
			if err != nil {
				t.Fatal(err)
			}
			for _, method := range []string{"GET", "HEAD", "POST"} {
				r := httptest.NewRequest(method, tt.path, nil)
				r.Host = tt.host
				w := httptest.NewRecorder()
				httpx.HostCheck(pub, next).ServeHTTP(w, r)
				if w.Code != tt.want {
					t.Fatalf("%s: got %d, want %d", method, w.Code, tt.want)
				}
				if w.Code != http.StatusForbidden {
					continue
				}
				home := pub.Scheme + "://" + pub.Host + "/"
				isAPI := strings.HasPrefix(tt.path, "/api/")
				body := w.Body.String()
				switch {
				case w.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'"):
					t.Fatalf("%s: refusal without security headers: %v", method, w.Header())
				case isAPI && (!strings.Contains(body, `"code":"forbidden"`) || !strings.Contains(body, home)):
					t.Fatalf("%s: API refusal %q", method, body)
				case !isAPI && method == "HEAD" && body != "":
					t.Fatalf("HEAD with a body: %q", body)
				case !isAPI && method != "HEAD" && (!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, `href="`+home+`"`)):
					t.Fatalf("%s: page refusal %s %q", method, w.Header().Get("Content-Type"), body)
				}
			}
		})
	}
}

// TestCrossOriginSchemeAndPort: a write whose Origin is the public URL's,
// with its default port written or left out, passes; one whose Origin has
// another scheme, port or host, or is not an origin, is refused 403 before
// the handler runs; reads and requests without Origin pass.
func TestCrossOriginSchemeAndPort(t *testing.T) {
	for _, public := range []string{"https://console.example.com", "https://console.example.com:443"} {
		h, err := httpx.CrossOrigin(public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			method, origin string
			status         int
		}{
			{"POST", "https://console.example.com", 204},
			{"POST", "https://console.example.com:443", 204},
			{"POST", "https://Console.Example.com", 204},
			{"POST", "", 204},
			{"GET", "http://console.example.com", 204},
			{"POST", "http://console.example.com", 403},
			{"PUT", "http://console.example.com:443", 403},
			{"DELETE", "https://console.example.com:8443", 403},
			{"PATCH", "https://evil.example", 403},
			{"POST", "null", 403},
			{"POST", "https://console.example.com/path", 403},
		} {
			r := httptest.NewRequest(tt.method, "https://console.example.com/api/auth/login", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("public %s, %s with Origin %q: %d %s, want %d", public, tt.method, tt.origin, w.Code, w.Body, tt.status)
			}
		}
	}
}
