package passkey

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBytesJSON(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", []byte{}, `""`},
		{"one byte", []byte{0xfb}, `"-w"`},
		{"url alphabet, no padding", []byte{0xfb, 0xff, 0xbf}, `"-_-_"`},
		{"two bytes", []byte{1, 2}, `"AQI"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(Bytes(tt.in))
			if err != nil || string(got) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", got, err, tt.want)
			}
			var back Bytes
			if err := json.Unmarshal(got, &back); err != nil || !bytes.Equal(back, tt.in) {
				t.Fatalf("Unmarshal(%s) = %x, %v; want %x", got, back, err, tt.in)
			}
		})
	}
}

func TestBytesUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{`"AQI="`, []byte{1, 2}, false}, // padding accepted
		{`"AQI"`, []byte{1, 2}, false},
		{`null`, nil, false},
		{`"+/8"`, nil, true}, // standard alphabet refused
		{`"A"`, nil, true},   // no base64 has this length
		{`"A!B"`, nil, true},
		{`12`, nil, true},
		{`[1,2]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var b Bytes
			err := json.Unmarshal([]byte(tt.in), &b)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !bytes.Equal(b, tt.want) {
				t.Fatalf("Unmarshal(%s) = %x, want %x", tt.in, b, tt.want)
			}
		})
	}
}

// The member names are WebAuthn's JSON names: the server's library and the
// browser read exactly these.
func TestJSONNames(t *testing.T) {
	a := Assertion{ID: "AQI", RawID: Bytes{1, 2}, Type: TypePublicKey, Response: AssertionResponse{
		ClientDataJSON: Bytes("{}"), AuthenticatorData: Bytes{3}, Signature: Bytes{4}, UserHandle: Bytes{5}}}
	got, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"AQI","rawId":"AQI","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"Aw","signature":"BA","userHandle":"BQ"},"clientExtensionResults":null}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	o := CreationOptions{RP: RelyingParty{ID: "example.com", Name: "Twofold"}, User: User{ID: Bytes{9}, Name: "ann", DisplayName: "ann"},
		Challenge: Bytes{7}, PubKeyCredParams: []Parameter{{Type: TypePublicKey, Alg: -7}},
		AuthenticatorSelection: &Selection{ResidentKey: "preferred", UserVerification: "preferred"}, Attestation: "none"}
	got, _ = json.Marshal(o)
	for _, part := range []string{`"rp":{"id":"example.com"`, `"user":{"id":"CQ","name":"ann","displayName":"ann"}`,
		`"challenge":"Bw"`, `"pubKeyCredParams":[{"type":"public-key","alg":-7}]`, `"residentKey":"preferred"`, `"attestation":"none"`} {
		if !strings.Contains(string(got), part) {
			t.Errorf("%s lacks %s", got, part)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := func() *Assertion {
		return &Assertion{ID: "AQI", RawID: Bytes{1, 2}, Type: TypePublicKey, Response: AssertionResponse{
			ClientDataJSON: Bytes("{}"), AuthenticatorData: Bytes{3}, Signature: Bytes{4}}}
	}
	tests := []struct {
		name   string
		change func(a *Assertion)
		ok     bool
	}{
		{"whole", func(*Assertion) {}, true},
		{"wrong type", func(a *Assertion) { a.Type = "password" }, false},
		{"id is not the raw id", func(a *Assertion) { a.ID = "AQM" }, false},
		{"no signature", func(a *Assertion) { a.Response.Signature = nil }, false},
		{"no client data", func(a *Assertion) { a.Response.ClientDataJSON = nil }, false},
		{"no authenticator data", func(a *Assertion) { a.Response.AuthenticatorData = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok()
			tt.change(a)
			if err := a.Check(); (err == nil) != tt.ok {
				t.Fatalf("Check() = %v, want ok %v", err, tt.ok)
			}
		})
	}
	var nilA *Assertion
	if nilA.Check() == nil {
		t.Fatal("nil assertion passed")
	}
	at := &Attestation{ID: "AQI", RawID: Bytes{1, 2}, Type: TypePublicKey, Response: AttestationResponse{ClientDataJSON: Bytes("{}"), AttestationObject: Bytes{1}}}
	if err := at.Check(); err != nil {
		t.Fatalf("attestation Check() = %v", err)
	}
	at.Response.AttestationObject = nil
	if at.Check() == nil {
		t.Fatal("attestation without object passed")
	}
}
