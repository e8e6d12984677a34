package totp

import (
	"strings"
	"testing"

	"github.com/pquerna/otp"
)

// FuzzOTPAuthURL checks that the otpauth URL of any username and issuer
// (as the configuration accepts it: not empty, no colon, trimmed) reads
// back through the library authenticator apps' parsers resemble
// (otp.NewKeyFromURL) as the same account, issuer and secret.
func FuzzOTPAuthURL(f *testing.F) {
	f.Add("alice", "Twofold", []byte("12345678901234567890"))
	f.Add("josé@example.com", "Acme & Co", []byte{0})
	f.Add("a/b?c#d%20e", "Iss uer/?#%", []byte{0xff, 0xfe})
	f.Add("with:colon", "x", []byte("secret"))
	f.Add(" spaced ", "日本語", []byte{})
	f.Add("semi;colon&amp", "a+b=c", []byte("z"))
	f.Fuzz(func(t *testing.T, username, issuer string, raw []byte) {
		issuer = strings.TrimSpace(issuer)
		if issuer == "" || strings.Contains(issuer, ":") {
			t.Skip("not an issuer the configuration accepts")
		}
		secret := b32.EncodeToString(raw)
		u := New(nil, nil, issuer, 0).URL(username, secret)
		key, err := otp.NewKeyFromURL(u)
		if err != nil {
			t.Fatalf("NewKeyFromURL(%q): %v", u, err)
		}
		if key.Type() != "totp" || key.Issuer() != issuer || key.AccountName() != username || key.Secret() != secret {
			t.Fatalf("%q reads back as type %q issuer %q account %q secret %q; want issuer %q account %q secret %q",
				u, key.Type(), key.Issuer(), key.AccountName(), key.Secret(), issuer, username, secret)
		}
	})
}
