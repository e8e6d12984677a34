package notify

// Notices of administrators' changes to a user's account (API.md,
// "Administration"). They name the administrator and their reason, and
// tell the user to contact the administrators rather than to change their
// password.
const (
	AccountCreated       Kind = "account_created"
	AccountDisabled      Kind = "account_disabled"
	AccountEnabled       Kind = "account_enabled"
	AdminGranted         Kind = "admin_granted"
	AdminRevoked         Kind = "admin_revoked"
	TFAEnforced          Kind = "tfa_enforced"
	TFANotEnforced       Kind = "tfa_not_enforced"
	EmailVerificationOn  Kind = "email_verification_on"
	EmailVerificationOff Kind = "email_verification_off"
	TFAReset             Kind = "tfa_reset"
	SignedOut            Kind = "signed_out"
	Unlocked             Kind = "unlocked"
)

// AdminKinds are the notices of administrators' changes.
var AdminKinds = []Kind{AccountCreated, AccountDisabled, AccountEnabled, AdminGranted, AdminRevoked,
	TFAEnforced, TFANotEnforced, EmailVerificationOn, EmailVerificationOff, TFAReset, SignedOut, Unlocked}

// adminTexts are the texts of the administrators' notices, merged into
// catalogs. "account_changed.subject" heads a notice of several changes.
var adminTexts = map[string]map[string]string{
	"en": {
		"account_created.subject":        "An account was created for you",
		"account_created":                "An administrator created a Twofold account for you. Your administrator gives you its password; change it after your first sign-in.",
		"account_disabled.subject":       "Your account was disabled",
		"account_disabled":               "An administrator disabled your account: you can no longer sign in, and your sessions and devices were signed out.",
		"account_enabled.subject":        "Your account was enabled again",
		"account_enabled":                "An administrator enabled your account again: you can sign in.",
		"admin_granted.subject":          "You are now an administrator",
		"admin_granted":                  "An administrator made your account an administrator of the console.",
		"admin_revoked.subject":          "You are no longer an administrator",
		"admin_revoked":                  "An administrator removed your account's administrator rights.",
		"tfa_enforced.subject":           "Two-factor authentication is now required",
		"tfa_enforced":                   "An administrator made two-factor authentication required for your account: if it is not on, you will set up an authenticator app at your next sign-in.",
		"tfa_not_enforced.subject":       "Two-factor authentication is no longer required",
		"tfa_not_enforced":               "An administrator no longer requires two-factor authentication for your account (an organisation-wide rule may still require it).",
		"email_verification_on.subject":  "Email login verification was turned on",
		"email_verification_on":          "An administrator turned on email login verification: while no authenticator app is set up, signing in asks for a code sent to this address.",
		"email_verification_off.subject": "Email login verification was turned off",
		"email_verification_off":         "An administrator turned off email login verification for your account.",
		"tfa_reset.subject":              "Your two-factor authentication was reset",
		"tfa_reset":                      "An administrator removed your account's two-factor authentication (authenticator app and backup codes) and signed out your sessions and devices. Set it up again in Settings after you sign in.",
		"signed_out.subject":             "You were signed out everywhere",
		"signed_out":                     "An administrator signed out every session and device of your account.",
		"unlocked.subject":               "Your account was unlocked",
		"unlocked":                       "An administrator unlocked your account after failed sign-in attempts: you can sign in at once.",
		"account_changed.subject":        "Your account was changed by an administrator",
		"by":                             "Changed by",
		"reason":                         "Reason",
		"advice.admin":                   "This change was made by an administrator of {url}. If you did not expect it, contact your administrator.",
	},
	"fr": {
		"account_created.subject":        "Un compte a été créé pour vous",
		"account_created":                "Un administrateur a créé pour vous un compte Twofold. Votre administrateur vous en donne le mot de passe ; changez-le après votre première connexion.",
		"account_disabled.subject":       "Votre compte a été désactivé",
		"account_disabled":               "Un administrateur a désactivé votre compte : vous ne pouvez plus vous connecter, et vos sessions et appareils ont été déconnectés.",
		"account_enabled.subject":        "Votre compte a été réactivé",
		"account_enabled":                "Un administrateur a réactivé votre compte : vous pouvez vous connecter.",
		"admin_granted.subject":          "Vous êtes maintenant administrateur",
		"admin_granted":                  "Un administrateur a fait de votre compte un administrateur de la console.",
		"admin_revoked.subject":          "Vous n'êtes plus administrateur",
		"admin_revoked":                  "Un administrateur a retiré les droits d'administrateur de votre compte.",
		"tfa_enforced.subject":           "L'authentification à deux facteurs est désormais obligatoire",
		"tfa_enforced":                   "Un administrateur a rendu l'authentification à deux facteurs obligatoire pour votre compte : si elle n'est pas activée, vous configurerez une application d'authentification à votre prochaine connexion.",
		"tfa_not_enforced.subject":       "L'authentification à deux facteurs n'est plus obligatoire",
		"tfa_not_enforced":               "Un administrateur n'exige plus l'authentification à deux facteurs pour votre compte (une règle de l'organisation peut encore l'exiger).",
		"email_verification_on.subject":  "La vérification de connexion par e-mail a été activée",
		"email_verification_on":          "Un administrateur a activé la vérification de connexion par e-mail : tant qu'aucune application d'authentification n'est configurée, la connexion demande un code envoyé à cette adresse.",
		"email_verification_off.subject": "La vérification de connexion par e-mail a été désactivée",
		"email_verification_off":         "Un administrateur a désactivé la vérification de connexion par e-mail de votre compte.",
		"tfa_reset.subject":              "Votre authentification à deux facteurs a été réinitialisée",
		"tfa_reset":                      "Un administrateur a supprimé l'authentification à deux facteurs de votre compte (application d'authentification et codes de secours) et déconnecté vos sessions et appareils. Configurez-la de nouveau dans les paramètres après votre connexion.",
		"signed_out.subject":             "Vous avez été déconnecté partout",
		"signed_out":                     "Un administrateur a déconnecté toutes les sessions et tous les appareils de votre compte.",
		"unlocked.subject":               "Votre compte a été débloqué",
		"unlocked":                       "Un administrateur a débloqué votre compte après des tentatives de connexion échouées : vous pouvez vous connecter tout de suite.",
		"account_changed.subject":        "Votre compte a été modifié par un administrateur",
		"by":                             "Modifié par",
		"reason":                         "Motif",
		"advice.admin":                   "Cette modification a été faite par un administrateur de {url}. Si vous ne vous y attendiez pas, contactez votre administrateur.",
	},
}

func init() {
	for lang, texts := range adminTexts {
		c := catalogs[lang]
		if c == nil {
			panic("notify: administrators' notices in " + lang + ", a language the mails do not speak")
		}
		for k, v := range texts {
			if _, dup := c[k]; dup {
				panic("notify: text " + k + " defined twice")
			}
			c[k] = typeset(lang, v)
		}
	}
}
