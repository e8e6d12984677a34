// Package passkeytest is a software authenticator for tests: it makes
// ECDSA P-256 credentials (attestation "none") and signs assertions the way
// a security key does — authenticator data, client data JSON, signature —
// so server tests can register keys and sign in without a browser, and can
// forge what a browser never would (another origin or relying party, a
// sign counter that goes back, a replayed challenge).
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	sp "twofold/shared/passkey"
)

// Flags of authenticator data (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator holds credentials, like one security key.
type Authenticator struct {
	// Origin is the origin the "browser" puts in client data; RPID the
	// relying party id whose hash starts authenticator data.
	Origin string
	RPID   string
	// UV: the authenticator verifies the user (PIN, biometrics).
	UV bool
	// BackupEligible and BackedUp set the BE and BS flags.
	BackupEligible, BackedUp bool
	Creds                    []*Credential
}

// Credential is one key pair and its counter.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	UserHandle []byte
	// Counter is the signature counter of the next assertion, incremented
	// after each.
	Counter uint32
	// Resident: the credential is discoverable.
	Resident bool
}

// New returns an authenticator that answers for rpID at origin.
func New(origin, rpID string) *Authenticator {
	return &Authenticator{Origin: origin, RPID: rpID, UV: true}
}

func (a *Authenticator) flags(base byte) byte {
	f := base | flagUP
	if a.UV {
		f |= flagUV
	}
	if a.BackupEligible {
		f |= flagBE
	}
	if a.BackedUp {
		f |= flagBS
	}
	return f
}

func (a *Authenticator) clientData(t testing.TB, typ string, challenge []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": sp.Encode(challenge), "origin": a.Origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Create makes a new credential for opts, as navigator.credentials.create.
func (a *Authenticator) Create(t testing.TB, opts sp.CreationOptions) (*sp.Attestation, *Credential) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	resident := opts.AuthenticatorSelection != nil && opts.AuthenticatorSelection.ResidentKey != "discouraged"
	c := &Credential{ID: id, Key: key, UserHandle: opts.User.ID, Counter: 1, Resident: resident}
	ecdh, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	raw := ecdh.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		t.Fatal(err)
	}
	rpHash := sha256.Sum256([]byte(a.RPID))
	ad := append([]byte{}, rpHash[:]...)
	ad = append(ad, a.flags(flagAT))
	ad = binary.BigEndian.AppendUint32(ad, 0)
	ad = append(ad, make([]byte, 16)...) // AAGUID: none
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(id)))
	ad = append(ad, id...)
	ad = append(ad, cose...)
	obj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	a.Creds = append(a.Creds, c)
	return &sp.Attestation{
		ID: sp.Encode(id), RawID: id, Type: sp.TypePublicKey,
		Response: sp.AttestationResponse{
			ClientDataJSON:    a.clientData(t, "webauthn.create", opts.Challenge),
			AttestationObject: obj,
			Transports:        []string{"usb"},
		},
		ClientExtensionResults: map[string]any{"credProps": map[string]any{"rk": resident}},
	}, c
}

// Get signs the challenge of opts with c (nil: the first credential the
// options allow, or the first resident one), as navigator.credentials.get.
func (a *Authenticator) Get(t testing.TB, opts sp.RequestOptions, c *Credential) *sp.Assertion {
	t.Helper()
	if c == nil {
		for _, cand := range a.Creds {
			if len(opts.AllowCredentials) == 0 && cand.Resident {
				c = cand
				break
			}
			for _, d := range opts.AllowCredentials {
				if string(d.ID) == string(cand.ID) {
					c = cand
				}
			}
			if c != nil {
				break
			}
		}
		if c == nil {
			t.Fatal("passkeytest: no credential for these options")
		}
	}
	return a.Sign(t, c, opts.Challenge, c.Counter)
}

// Sign makes an assertion of c for challenge with the given counter
// (Counter then becomes counter+1).
func (a *Authenticator) Sign(t testing.TB, c *Credential, challenge []byte, counter uint32) *sp.Assertion {
	t.Helper()
	rpHash := sha256.Sum256([]byte(a.RPID))
	ad := append([]byte{}, rpHash[:]...)
	ad = append(ad, a.flags(0))
	ad = binary.BigEndian.AppendUint32(ad, counter)
	cd := a.clientData(t, "webauthn.get", challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	c.Counter = counter + 1
	as := &sp.Assertion{
		ID: sp.Encode(c.ID), RawID: c.ID, Type: sp.TypePublicKey,
		Response:               sp.AssertionResponse{ClientDataJSON: cd, AuthenticatorData: ad, Signature: sig},
		ClientExtensionResults: map[string]any{},
	}
	if c.Resident {
		as.Response.UserHandle = c.UserHandle
	}
	return as
}
