package api

// Languages the console and its mails speak, by language code, in the
// order of the console's language switch. The first is the default. The
// UI's catalogs (app/i18n), the mails' (server/internal/notify) and the
// server's Accept-Language matching (server/internal/httpx) all follow
// this list; their tests check that each has every language.
var Languages = []string{"en", "fr"}

// DefaultLanguage is the language used when none of Languages is asked for.
const DefaultLanguage = "en"
