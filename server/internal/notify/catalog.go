package notify

import (
	"strings"

	"twofold/shared/api"
)

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
		"passkey_added.subject":            "A security key was added",
		"passkey_added":                    "The security key or passkey “{name}” was added to your account. It can now confirm your sign-ins.",
		"passkey_removed.subject":          "A security key was removed",
		"passkey_removed":                  "The security key or passkey “{name}” was removed from your account. It can no longer sign in.",
		"passkey_used.subject":             "Sign-in with a security key",
		"passkey_used":                     "Your security key or passkey “{name}” was used to sign in to your account.",
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
		// Account lifecycle: forgotten password, reminders.
		"password_reset.subject":            "Your password was reset",
		"password_reset":                    "The password of your account was reset with a link sent to this address, and all your sessions were signed out. Your two-factor settings did not change.",
		"reset.subject":                     "Reset your Twofold password",
		"reset.intro":                       "Someone asked to reset the password of the Twofold account {username}. To choose a new password, open this link:",
		"reset.admin":                       "An administrator ({admin}) sent you this link.",
		"reset.button":                      "Choose a new password",
		"reset.rules":                       "The link works once, for 30 minutes. Your two-factor authentication stays as it is: you will still be asked for your code when you sign in. If you did not ask for this, ignore this mail: your password does not change.",
		"reminder_tfa_expiring.subject":     "Renew your two-factor authentication",
		"reminder_tfa_expiring":             "The two-factor authentication of your account {username} is due for renewal on {date} (in {days} days). Renew it in Settings: it takes a minute with your authenticator app, and gives you new backup codes.",
		"reminder_tfa_expiring.button":      "Renew 2FA",
		"reminder_backup_codes_low.subject": "Few backup codes left",
		"reminder_backup_codes_low":         "Only {left} backup codes are left on your account {username}. Make new ones in Settings before you run out: without them, losing your phone locks you out.",
		"reminder_backup_codes_low.button":  "Regenerate backup codes",
		"reminder.rules":                    "You get this reminder once. Sign in to the console to act on it.",
	},
	"fr": {
		"tfa_enabled.subject":               "L'authentification à deux facteurs a été activée",
		"tfa_enabled":                       "L'authentification à deux facteurs (application d'authentification) a été activée sur votre compte, et six nouveaux codes de secours ont été créés.",
		"tfa_renewed.subject":               "L'authentification à deux facteurs a été renouvelée",
		"tfa_renewed":                       "L'authentification à deux facteurs de votre compte a été renouvelée : un nouveau secret et six nouveaux codes de secours remplacent les anciens.",
		"tfa_disabled.subject":              "L'authentification à deux facteurs a été désactivée",
		"tfa_disabled":                      "L'authentification à deux facteurs a été désactivée sur votre compte. La connexion ne demande plus que votre mot de passe.",
		"backup_code_used.subject":          "Un code de secours a été utilisé",
		"backup_code_used":                  "Un code de secours a été utilisé pour confirmer votre identité. Il reste {left} codes de secours.",
		"backup_code_used.low":              "Créez-en de nouveaux dans les paramètres avant d'en manquer.",
		"backup_codes_regenerated.subject":  "De nouveaux codes de secours ont été créés",
		"backup_codes_regenerated":          "De nouveaux codes de secours ont été créés pour votre compte ; les précédents ne fonctionnent plus.",
		"password_changed.subject":          "Votre mot de passe a été modifié",
		"password_changed":                  "Le mot de passe de votre compte a été modifié et vos autres sessions ont été fermées.",
		"email_changed.subject":             "L'adresse e-mail de votre compte a été modifiée",
		"email_changed":                     "L'adresse e-mail de votre compte a été modifiée ; cette adresse ne recevra plus ses messages.",
		"failed_codes.subject":              "Codes de connexion erronés sur votre compte",
		"failed_codes":                      "{failures} codes de double authentification erronés ont été saisis d'affilée sur votre compte, après un mot de passe correct. Quelqu'un connaît peut-être votre mot de passe.",
		"passkey_added.subject":             "Une clé de sécurité a été ajoutée",
		"passkey_added":                     "La clé de sécurité ou clé d’accès « {name} » a été ajoutée à votre compte. Elle peut désormais confirmer vos connexions.",
		"passkey_removed.subject":           "Une clé de sécurité a été retirée",
		"passkey_removed":                   "La clé de sécurité ou clé d’accès « {name} » a été retirée de votre compte. Elle ne permet plus de se connecter.",
		"passkey_used.subject":              "Connexion avec une clé de sécurité",
		"passkey_used":                      "Votre clé de sécurité ou clé d’accès « {name} » a été utilisée pour vous connecter à votre compte.",
		"account":                           "Compte",
		"time":                              "Heure",
		"ip":                                "Adresse IP",
		"browser":                           "Navigateur",
		"unknown":                           "inconnu",
		"a browser":                         "un navigateur",
		"on":                                " sous ",
		"advice":                            "Si c'était vous, il n'y a rien d'autre à faire. Sinon, connectez-vous sur {url}, changez votre mot de passe puis vérifiez vos réglages de double authentification ; si vous ne pouvez pas vous connecter, contactez votre administrateur.",
		"code.subject":                      "Votre code de connexion Twofold",
		"code.intro":                        "Votre code de connexion Twofold est :",
		"code.rules":                        "Il est valable 10 minutes et ne sert qu'une fois. Si vous n'avez pas essayé de vous connecter, quelqu'un connaît peut-être votre mot de passe : changez-le.",
		"password_reset.subject":            "Votre mot de passe a été réinitialisé",
		"password_reset":                    "Le mot de passe de votre compte a été réinitialisé avec un lien envoyé à cette adresse, et toutes vos sessions ont été fermées. Vos réglages de double authentification n'ont pas changé.",
		"reset.subject":                     "Réinitialisez votre mot de passe Twofold",
		"reset.intro":                       "Quelqu'un a demandé la réinitialisation du mot de passe du compte Twofold {username}. Pour choisir un nouveau mot de passe, ouvrez ce lien :",
		"reset.admin":                       "Un administrateur ({admin}) vous a envoyé ce lien.",
		"reset.button":                      "Choisir un nouveau mot de passe",
		"reset.rules":                       "Le lien sert une fois, pendant 30 minutes. Votre double authentification reste telle quelle : votre code vous sera toujours demandé à la connexion. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
		"reminder_tfa_expiring.subject":     "Renouvelez votre double authentification",
		"reminder_tfa_expiring":             "La double authentification de votre compte {username} est à renouveler le {date} (dans {days} jours). Renouvelez-la dans les paramètres : cela prend une minute avec votre application d'authentification et vous donne de nouveaux codes de secours.",
		"reminder_tfa_expiring.button":      "Renouveler 2FA",
		"reminder_backup_codes_low.subject": "Il vous reste peu de codes de secours",
		"reminder_backup_codes_low":         "Il ne reste que {left} codes de secours sur votre compte {username}. Créez-en de nouveaux dans les paramètres avant d'en manquer : sans eux, perdre votre téléphone vous bloquerait.",
		"reminder_backup_codes_low.button":  "Régénérer les codes de secours",
		"reminder.rules":                    "Ce rappel n'est envoyé qu'une fois. Connectez-vous à la console pour y donner suite.",
	},
}

func init() {
	typesetCatalog("fr")
}

// typesetCatalog applies the language's typography to every text of its
// catalog (French: a no-break space before : ; ? ! and curly apostrophes,
// as the console writes them). It is idempotent, so the texts merged by
// other files' init functions may go through it again.
func typesetCatalog(lang string) {
	for k, v := range catalogs[lang] {
		catalogs[lang][k] = typeset(lang, v)
	}
}

// frenchTypography puts a no-break space before the high punctuation and
// turns straight apostrophes into curly ones.
var frenchTypography = strings.NewReplacer(
	" :", "\u00a0:", " ;", "\u00a0;", " ?", "\u00a0?", " !", "\u00a0!",
	"'", "\u2019",
	"10 minutes", "10\u00a0minutes", "30 minutes", "30\u00a0minutes",
)

// typeset applies lang's typography to s.
func typeset(lang, s string) string {
	if lang != "fr" {
		return s
	}
	return frenchTypography.Replace(s)
}

// subjectPrefix starts every mail's subject: "Twofold: ", or in French
// "Twofold : " with a no-break space.
func subjectPrefix(lang string) string {
	if lang == "fr" {
		return "Twofold\u00a0: "
	}
	return "Twofold: "
}

// langOf returns lang if the mails speak it, api.DefaultLanguage otherwise.
func langOf(lang string) string {
	if _, ok := catalogs[lang]; ok {
		return lang
	}
	return api.DefaultLanguage
}
