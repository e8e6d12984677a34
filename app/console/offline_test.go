package console

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"twofold/shared/api"
)

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"admin@example.com": "a***@example.com",
		"élodie@exemple.fr": "é***@exemple.fr",
		"nobody":            "***",
		"@example.com":      "***",
	} {
		if got := maskEmail(in); got != want {
			t.Errorf("maskEmail(%q): got %q, want %q", in, got, want)
		}
	}
}

// The view kept in the browser has exactly the fields the offline page
// needs, and no secret of the account.
func TestAccountViewKeepsNothingSecret(t *testing.T) {
	until := time.Now().Add(time.Minute)
	acc := &api.Account{
		User:  api.User{ID: 7, Username: "admin", Email: "admin@example.com", IsAdmin: true},
		Email: "admin@example.com", EmailVerification: true,
		TFA:           api.TFA{State: api.TFAEnabled, BackupCodesRemaining: 5, Enforced: true},
		ElevatedUntil: &until, Session: "full",
	}
	v := viewOf(acc, time.Now())
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"backup_codes_left", "email", "email_verification", "saved_at", "tfa_state", "username"}; !slices.Equal(names, want) {
		t.Errorf("fields: got %v, want %v", names, want)
	}
	if strings.Contains(string(b), "admin@example.com") {
		t.Errorf("the full email is kept: %s", b)
	}
	back := v.account()
	if back.User.Username != "admin" || back.TFA.State != api.TFAEnabled || back.TFA.BackupCodesRemaining != 5 || back.Email != "a***@example.com" || !back.EmailVerification {
		t.Errorf("account from the view: %+v", back)
	}
}
