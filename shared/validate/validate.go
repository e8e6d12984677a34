// Package validate runs the input checks that the UI and the server share, so
// a form shows the same error before it is sent as the server gives after.
package validate

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/go-playground/validator/v10"
)

// Rules that are not validator tags but are reported in the same rules map.
const (
	// RuleNotUsername: a password may not be the username.
	RuleNotUsername = "not_username"
	// RuleNotCommon: a password may not be on the list of common passwords
	// (checked only by the server: the list stays out of the WASM binary).
	RuleNotCommon = "not_common"
)

// RuleNoControl is a validator tag of this package: the field holds no
// control character (IsControl). With the parameter "space"
// (`nocontrol=space`, for code fields) the white space that codes ignore
// (IgnoredInCode: tabs, line breaks, ...) is allowed.
const RuleNoControl = "nocontrol"

// IsControl reports whether r is a control character, which no text field
// takes: C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F), and the line and
// paragraph separators U+2028 and U+2029.
func IsControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// NoControl checks a text field: it returns RuleNoControl if s holds a
// control character, or "". With codeSpace, the white space that codes
// ignore is allowed (the rule is then reported as "nocontrol=space").
func NoControl(s string, codeSpace bool) string {
	for _, r := range s {
		if IsControl(r) && !(codeSpace && IgnoredInCode(r)) {
			if codeSpace {
				return RuleNoControl + "=" + noControlSpace
			}
			return RuleNoControl
		}
	}
	return ""
}

// noControlSpace is the parameter of RuleNoControl for code fields.
const noControlSpace = "space"

// Problems lists the fields that failed, by JSON name: an English message and
// the failed rule (validator tag with its parameter).
type Problems struct {
	Fields map[string]string
	Rules  map[string]string
}

// Add records a failed rule for a field; the first problem of a field wins.
func (p *Problems) Add(field, rule, message string) {
	if p.Fields == nil {
		p.Fields = map[string]string{}
		p.Rules = map[string]string{}
	}
	if _, ok := p.Fields[field]; ok {
		return
	}
	p.Fields[field] = message
	p.Rules[field] = rule
}

// Empty reports whether nothing failed.
func (p *Problems) Empty() bool { return p == nil || len(p.Fields) == 0 }

var (
	once     sync.Once
	instance *validator.Validate
)

func get() *validator.Validate {
	once.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
		if err := v.RegisterValidation(RuleNoControl, func(fl validator.FieldLevel) bool {
			return NoControl(fl.Field().String(), fl.Param() == noControlSpace) == ""
		}); err != nil {
			panic("validate: register " + RuleNoControl + ": " + err.Error())
		}
		instance = v
	})
	return instance
}

// Struct checks s against its `validate` tags. It returns nil when s is valid.
func Struct(s any) *Problems {
	err := get().Struct(s)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		// An invalid argument is a programming error; report it on no field.
		p := &Problems{}
		p.Add("", "invalid", err.Error())
		return p
	}
	p := &Problems{}
	for _, fe := range verrs {
		rule := fe.Tag()
		if fe.Param() != "" {
			rule += "=" + fe.Param()
		}
		msg := Message(rule)
		if isNumber(fe.Kind()) {
			msg = NumberMessage(rule)
		}
		p.Add(fe.Field(), rule, msg)
	}
	return p
}

// isNumber reports whether a field of kind k holds a number (its min and
// max bound the value, not a length).
func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// NumberMessage is Message for a rule on a number: min and max bound its
// value ("Use a number of at most 200."), not a count of characters.
func NumberMessage(rule string) string {
	tag, param, _ := strings.Cut(rule, "=")
	switch tag {
	case "min", "gte":
		return "Use a number of at least " + param + "."
	case "max", "lte":
		return "Use a number of at most " + param + "."
	}
	return Message(rule)
}

// Message is the English text of a rule, as the server sends it in "fields".
func Message(rule string) string {
	tag, param, _ := strings.Cut(rule, "=")
	switch tag {
	case "required":
		return "This field is required."
	case "email":
		return "Enter a valid email address."
	case "min":
		return "Use at least " + param + " characters."
	case "max":
		return "Use at most " + param + " characters."
	case "len":
		return "Use exactly " + param + " characters."
	case "numeric":
		return "Use digits only."
	case RuleNotUsername:
		return "The password must not be the username."
	case RuleNotCommon:
		return "This password is too common; choose another one."
	case "eqfield":
		return "The two values do not match."
	case RuleSixDigits:
		return "Enter the 6-digit code."
	case RuleTFACode:
		return "Enter the 6-digit code from your app, or a backup code (xxxxx-xxxxx)."
	case RuleNoControl:
		return "This field contains invisible control characters; type it again."
	}
	return "This value is not valid."
}

// NewPassword checks a new password against the rules the UI can check
// itself (length and not the username); the server adds the common-password
// list. It returns the failed rule, or "".
func NewPassword(username, password string) string {
	n := len([]rune(password))
	switch {
	case password == "":
		return "required"
	case n < MinPasswordLen:
		return "min=" + strconv.Itoa(MinPasswordLen)
	case n > MaxPasswordLen:
		return "max=" + strconv.Itoa(MaxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(username)):
		return RuleNotUsername
	}
	return ""
}

// Password length bounds (NIST SP 800-63B: at least 8, accept at least 64).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)
