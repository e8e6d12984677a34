package console

import (
	"time"

	"twofold/app/i18n"
)

// formatDate shows a date in the browser's time zone, in the layout of
// the language in use.
func formatDate(t time.Time) string { return t.Local().Format(i18n.T("format.date")) }
