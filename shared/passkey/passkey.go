// Package passkey is the JSON form of WebAuthn's ceremonies that the server
// and the WASM console share: the options the server makes for
// navigator.credentials.create and get, and the credentials the browser
// sends back. Binary values travel as unpadded base64url strings, as in the
// WebAuthn Level 3 JSON encoding (PublicKeyCredentialCreationOptionsJSON,
// RegistrationResponseJSON, ...), so the server's WebAuthn library reads
// them as they are.
package passkey

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// TypePublicKey is the only credential type WebAuthn defines.
const TypePublicKey = "public-key"

// Bytes is binary data carried in JSON as unpadded base64url.
type Bytes []byte

// Encode returns b as unpadded base64url.
func Encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Decode reads base64url, with or without padding.
func Decode(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return nil, errors.New("passkey: not base64url")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("passkey: not base64url")
	}
	return b, nil
}

// MarshalJSON encodes b as an unpadded base64url string.
func (b Bytes) MarshalJSON() ([]byte, error) { return json.Marshal(Encode(b)) }

// UnmarshalJSON reads a base64url string (padding optional); null and ""
// leave b nil.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return errors.New("passkey: binary value must be a base64url string")
	}
	v, err := Decode(s)
	if err != nil {
		return err
	}
	if len(v) == 0 {
		v = nil // "" and null read the same: no bytes
	}
	*b = v
	return nil
}

// RelyingParty is the server that asks (rp).
type RelyingParty struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// User is the account a credential is made for. ID is the random user
// handle, never the username.
type User struct {
	ID          Bytes  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// Parameter is one accepted public key algorithm (COSE identifier).
type Parameter struct {
	Type string `json:"type"`
	Alg  int    `json:"alg"`
}

// Descriptor names a credential (allowCredentials, excludeCredentials).
type Descriptor struct {
	Type       string   `json:"type"`
	ID         Bytes    `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// Selection is authenticatorSelection.
type Selection struct {
	AuthenticatorAttachment string `json:"authenticatorAttachment,omitempty"`
	ResidentKey             string `json:"residentKey,omitempty"`
	RequireResidentKey      bool   `json:"requireResidentKey,omitempty"`
	UserVerification        string `json:"userVerification,omitempty"`
}

// CreationOptions are the publicKey options of navigator.credentials.create.
type CreationOptions struct {
	RP                     RelyingParty   `json:"rp"`
	User                   User           `json:"user"`
	Challenge              Bytes          `json:"challenge"`
	PubKeyCredParams       []Parameter    `json:"pubKeyCredParams"`
	Timeout                int            `json:"timeout,omitempty"`
	ExcludeCredentials     []Descriptor   `json:"excludeCredentials,omitempty"`
	AuthenticatorSelection *Selection     `json:"authenticatorSelection,omitempty"`
	Attestation            string         `json:"attestation,omitempty"`
	Extensions             map[string]any `json:"extensions,omitempty"`
}

// RequestOptions are the publicKey options of navigator.credentials.get.
type RequestOptions struct {
	Challenge        Bytes          `json:"challenge"`
	Timeout          int            `json:"timeout,omitempty"`
	RPID             string         `json:"rpId,omitempty"`
	AllowCredentials []Descriptor   `json:"allowCredentials,omitempty"`
	UserVerification string         `json:"userVerification,omitempty"`
	Extensions       map[string]any `json:"extensions,omitempty"`
}

// AttestationResponse is the response of a new credential.
type AttestationResponse struct {
	ClientDataJSON    Bytes    `json:"clientDataJSON"`
	AttestationObject Bytes    `json:"attestationObject"`
	Transports        []string `json:"transports,omitempty"`
}

// Attestation is a new credential, as navigator.credentials.create gives
// it (RegistrationResponseJSON).
type Attestation struct {
	ID                      string              `json:"id"`
	RawID                   Bytes               `json:"rawId"`
	Type                    string              `json:"type"`
	AuthenticatorAttachment string              `json:"authenticatorAttachment,omitempty"`
	Response                AttestationResponse `json:"response"`
	ClientExtensionResults  map[string]any      `json:"clientExtensionResults"`
}

// AssertionResponse is the signed response of an assertion.
type AssertionResponse struct {
	ClientDataJSON    Bytes `json:"clientDataJSON"`
	AuthenticatorData Bytes `json:"authenticatorData"`
	Signature         Bytes `json:"signature"`
	// UserHandle is the user handle a discoverable credential returns.
	UserHandle Bytes `json:"userHandle,omitempty"`
}

// Assertion is a signed challenge, as navigator.credentials.get gives it
// (AuthenticationResponseJSON).
type Assertion struct {
	ID                      string            `json:"id"`
	RawID                   Bytes             `json:"rawId"`
	Type                    string            `json:"type"`
	AuthenticatorAttachment string            `json:"authenticatorAttachment,omitempty"`
	Response                AssertionResponse `json:"response"`
	ClientExtensionResults  map[string]any    `json:"clientExtensionResults"`
}

// ErrMalformed is returned by Check for a credential that cannot be a
// browser's answer.
var ErrMalformed = errors.New("passkey: malformed credential")

// Check reports whether a has the shape of a browser's answer: the
// public-key type, an id that is the base64url of its raw id, and the
// signed parts.
func (a *Assertion) Check() error {
	if a == nil || a.Type != TypePublicKey || len(a.RawID) == 0 || a.ID != Encode(a.RawID) ||
		len(a.Response.ClientDataJSON) == 0 || len(a.Response.AuthenticatorData) == 0 || len(a.Response.Signature) == 0 {
		return ErrMalformed
	}
	return nil
}

// Check reports whether a has the shape of a browser's answer.
func (a *Attestation) Check() error {
	if a == nil || a.Type != TypePublicKey || len(a.RawID) == 0 || a.ID != Encode(a.RawID) ||
		len(a.Response.ClientDataJSON) == 0 || len(a.Response.AttestationObject) == 0 {
		return ErrMalformed
	}
	return nil
}
