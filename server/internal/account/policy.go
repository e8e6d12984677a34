package account

import (
	"strings"
	"sync"

	"github.com/trustelem/zxcvbn/frequency"

	"twofold/shared/validate"
)

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

// commonPasswords is the "passwords" frequency list shipped with zxcvbn
// (30,000 passwords from leaked data sets, most common first). It lives
// only in the server, never in the WASM binary.
func commonPasswords() map[string]struct{} {
	commonOnce.Do(func() {
		list := frequency.FrequencyLists["passwords"]
		common = make(map[string]struct{}, len(list))
		for _, p := range list {
			common[strings.ToLower(p)] = struct{}{}
		}
	})
	return common
}

// IsCommonPassword reports whether password (case-insensitively) is on the
// list of common passwords.
func IsCommonPassword(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}

// CheckNewPassword returns the rule a new password breaks, or "": length
// 8 to 256, not the username, not a common password.
func CheckNewPassword(username, password string) string {
	if rule := validate.NewPassword(username, password); rule != "" {
		return rule
	}
	if IsCommonPassword(password) {
		return validate.RuleNotCommon
	}
	return ""
}
