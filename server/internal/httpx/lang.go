package httpx

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"twofold/shared/api"
)

// matcher matches a request's languages against api.Languages.
var matcher = func() language.Matcher {
	tags := make([]language.Tag, len(api.Languages))
	for i, l := range api.Languages {
		tags[i] = language.MustParse(l)
	}
	return language.NewMatcher(tags)
}()

// Lang returns the supported language (one of api.Languages) the request
// prefers by its Accept-Language header (the console sends the one the
// user chose), or "" when it names none of them. Malformed entries are
// skipped.
func Lang(r *http.Request) string {
	header := r.Header.Get("Accept-Language")
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		// One bad entry fails the whole header: keep the good ones.
		var good []string
		for _, part := range strings.Split(header, ",") {
			if _, _, err := language.ParseAcceptLanguage(part); err == nil {
				good = append(good, part)
			}
		}
		prefs, _, _ = language.ParseAcceptLanguage(strings.Join(good, ","))
	}
	if len(prefs) == 0 {
		return ""
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return ""
	}
	return api.Languages[i]
}
