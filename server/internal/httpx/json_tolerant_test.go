package httpx_test

import (
	"strings"
	"testing"

	"twofold/server/internal/httpx"
)

// rustdeskLike is shaped like the RustDesk client's login body: a few
// fields read, more sent.
type rustdeskLike struct {
	Username   string `json:"username"`
	AutoLogin  *bool  `json:"autoLogin"`
	DeviceInfo struct {
		Name string `json:"name"`
	} `json:"deviceInfo"`
}

func rustdesk() any { return new(rustdeskLike) }

// TestDecodeTolerant: unknown members are skipped, but the fields read
// match only exactly, duplicates anywhere, NUL, trailing data and big
// bodies are refused.
func TestDecodeTolerant(t *testing.T) {
	named := func(user, device string, auto *bool) *rustdeskLike {
		r := &rustdeskLike{Username: user, AutoLogin: auto}
		r.DeviceInfo.Name = device
		return r
	}
	runDecodeCases(t, []decodeCase{
		{name: "unknown members skipped", new: rustdesk,
			body: `{"username":"alice","password":"x","id":"123","uuid":"u","type":"account","autoLogin":true,"deviceInfo":{"os":"linux","type":"client","name":"pc"},"extra":[1,{"a":null}]}`,
			want: named("alice", "pc", ptr(true))},
		{name: "missing fields", body: `{"deviceInfo":{}}`, new: rustdesk, want: named("", "", nil)},
		{name: "case variants are not the fields", body: `{"USERNAME":"alice","autologin":true,"DeviceInfo":{"name":"pc"}}`, new: rustdesk,
			want: named("", "", nil)},
		{name: "duplicate field read", body: `{"username":"a","username":"b"}`, new: rustdesk,
			status: 400, message: `Duplicate field "username".`},
		{name: "duplicate unknown member", body: `{"username":"a","x":1,"x":2}`, new: rustdesk,
			status: 400, message: `Duplicate field "x".`},
		{name: "duplicate in a nested object", body: `{"deviceInfo":{"name":"a","name":"b"}}`, new: rustdesk,
			status: 400, message: `Duplicate field "deviceInfo.name".`},
		{name: "NUL in a field read", body: `{"username":"a\u0000"}`, new: rustdesk,
			status: 400, message: `The field "username" contains a NUL character.`},
		{name: "NUL in an unknown member", body: `{"username":"a","note":"\u0000"}`, new: rustdesk,
			status: 400, message: `NUL character`},
		{name: "wrong type of a field read", body: `{"username":"a","autoLogin":"yes"}`, new: rustdesk,
			status: 400, message: `The field "autoLogin" must be true or false.`},
		{name: "trailing data", body: `{"username":"a"} {}`, new: rustdesk, status: 400, message: "data after"},
		{name: "empty", body: ``, new: rustdesk, status: 400, message: "empty"},
		{name: "null", body: `null`, new: rustdesk, status: 400, message: "must be a JSON object"},
		{name: "over 64 KiB", body: `{"username":"a","pad":"` + strings.Repeat("x", httpx.MaxBody) + `"}`, new: rustdesk,
			status: 413, message: "64 KiB"},
	}, true)
}
