package notify

import "twofold/shared/api"

// catalogs holds the mails' texts in each of api.Languages (a test checks
// that every language has every text).
var catalogs = map[string]map[string]string{
	"en": {
		"tfa_enabled.subject":              "Two-factor authentication was turned on",
		"tfa_enabled":                      "Two-factor authentication (an authenticator app) was turned on for your account, and six new backup codes were made.",
		"tfa_renewed.subject":              "Two-factor authentication was renewed",
		"tfa_renewed":                      "Your account's two-factor authentication was renewed: a new authenticator secret and six new backup codes replace the old ones.",
		"tfa_disabled.subject":             "Two-factor authentication was turned off",
		"tfa_disabled":                     "Two-factor authentication was turned off for your account. Signing in now needs only your password.",
		"backup_code_used.subject":         "A backup code was used",
		"backup_code_used":                 "A backup code was used to confirm your identity. {left} backup codes are left.",
		"backup_code_used.low":             "Make new ones in Settings before you run out.",
		"backup_codes_regenerated.subject": "New backup codes were made",
		"backup_codes_regenerated":         "New backup codes were made for your account; the previous ones no longer work.",
		"password_changed.subject":         "Your password was changed",
		"password_changed":                 "The password of your account was changed, and your other sessions were signed out.",
		"email_changed.subject":            "Your account's email address was changed",
		"email_changed":                    "The email address of your account was changed; this address will no longer receive its mails.",
		"failed_codes.subject":             "Failed sign-in codes on your account",
		"failed_codes":                     "{failures} wrong two-factor codes were entered in a row for your account, after a correct password. Someone may know your password.",
		"account":                          "Account",
		"time":                             "Time",
		"ip":                               "IP address",
		"browser":                          "Browser",
		"unknown":                          "unknown",
		"a browser":                        "a browser",
		"on":                               " on ",
		"advice":                           "If this was you, nothing more is needed. If it was not you, sign in at {url} and change your password, then check your two-factor settings; if you cannot sign in, contact your administrator.",
		"code.subject":                     "Your Twofold sign-in code",
		"code.intro":                       "Your Twofold sign-in code is:",
		"code.rules":                       "It is valid for 10 minutes and works once. If you did not try to sign in, someone may know your password: change it.",
	},
	"fr": {
		"tfa_enabled.subject":              "L'authentification à deux facteurs a été activée",
		"tfa_enabled":                      "L'authentification à deux facteurs (application d'authentification) a été activée sur votre compte, et six nouveaux codes de secours ont été créés.",
		"tfa_renewed.subject":              "L'authentification à deux facteurs a été renouvelée",
		"tfa_renewed":                      "L'authentification à deux facteurs de votre compte a été renouvelée : un nouveau secret et six nouveaux codes de secours remplacent les anciens.",
		"tfa_disabled.subject":             "L'authentification à deux facteurs a été désactivée",
		"tfa_disabled":                     "L'authentification à deux facteurs a été désactivée sur votre compte. La connexion ne demande plus que votre mot de passe.",
		"backup_code_used.subject":         "Un code de secours a été utilisé",
		"backup_code_used":                 "Un code de secours a été utilisé pour confirmer votre identité. Il reste {left} codes de secours.",
		"backup_code_used.low":             "Créez-en de nouveaux dans les paramètres avant d'en manquer.",
		"backup_codes_regenerated.subject": "De nouveaux codes de secours ont été créés",
		"backup_codes_regenerated":         "De nouveaux codes de secours ont été créés pour votre compte ; les précédents ne fonctionnent plus.",
		"password_changed.subject":         "Votre mot de passe a été modifié",
		"password_changed":                 "Le mot de passe de votre compte a été modifié et vos autres sessions ont été fermées.",
		"email_changed.subject":            "L'adresse e-mail de votre compte a été modifiée",
		"email_changed":                    "L'adresse e-mail de votre compte a été modifiée ; cette adresse ne recevra plus ses messages.",
		"failed_codes.subject":             "Codes de connexion erronés sur votre compte",
		"failed_codes":                     "{failures} codes de double authentification erronés ont été saisis d'affilée sur votre compte, après un mot de passe correct. Quelqu'un connaît peut-être votre mot de passe.",
		"account":                          "Compte",
		"time":                             "Heure",
		"ip":                               "Adresse IP",
		"browser":                          "Navigateur",
		"unknown":                          "inconnu",
		"a browser":                        "un navigateur",
		"on":                               " sous ",
		"advice":                           "Si c'était vous, il n'y a rien d'autre à faire. Sinon, connectez-vous sur {url}, changez votre mot de passe puis vérifiez vos réglages de double authentification ; si vous ne pouvez pas vous connecter, contactez votre administrateur.",
		"code.subject":                     "Votre code de connexion Twofold",
		"code.intro":                       "Votre code de connexion Twofold est :",
		"code.rules":                       "Il est valable 10 minutes et ne sert qu'une fois. Si vous n'avez pas essayé de vous connecter, quelqu'un connaît peut-être votre mot de passe : changez-le.",
	},
}

// langOf returns lang if the mails speak it, api.DefaultLanguage otherwise.
func langOf(lang string) string {
	if _, ok := catalogs[lang]; ok {
		return lang
	}
	return api.DefaultLanguage
}
