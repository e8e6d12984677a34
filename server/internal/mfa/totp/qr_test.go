package totp

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"twofold/server/internal/qrtest"
)

// TestQRCodesScan: QR codes of many random secrets all decode back to
// their otpauth URL (a quiet zone around the code makes detection
// reliable).
func TestQRCodesScan(t *testing.T) {
	s := New(nil, nil, "Twofold", time.Hour)
	for i := range 200 {
		raw, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		setup, err := s.SetupOf("user"+strings.Repeat("x", i%20), raw)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(setup.QRPNG, "data:image/png;base64,"))
		text, err := qrtest.Decode(b)
		if err != nil || text != setup.OTPAuthURL {
			t.Fatalf("secret %d: %v (%q)", i, err, text)
		}
	}
}
