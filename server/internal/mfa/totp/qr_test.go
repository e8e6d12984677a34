package totp

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
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
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil || res.GetText() != setup.OTPAuthURL {
			t.Fatalf("secret %d: %v (%q)", i, err, res)
		}
	}
}
