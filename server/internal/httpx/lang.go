package httpx

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Languages the console speaks.
var Languages = []string{"en", "fr"}

// Lang returns the supported language the request prefers by its
// Accept-Language header (the console sends the one the user chose), or
// "" when it names none of them.
func Lang(r *http.Request) string {
	type pref struct {
		lang string
		q    float64
		i    int
	}
	var prefs []pref
	for i, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			if f, err := strconv.ParseFloat(p[2:], 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if q > 0 && base != "" {
			prefs = append(prefs, pref{base, q, i})
		}
	}
	sort.SliceStable(prefs, func(a, b int) bool { return prefs[a].q > prefs[b].q })
	for _, p := range prefs {
		for _, l := range Languages {
			if p.lang == l {
				return l
			}
		}
	}
	return ""
}
