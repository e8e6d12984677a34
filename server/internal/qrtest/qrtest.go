// Package qrtest decodes QR codes in tests, independently of the server's
// encoder: with gozxing, and with zbarimg (Debian's zbar-tools) when
// gozxing fails — gozxing's Reed-Solomon decoder refuses a few valid codes
// (about 1 in 130 random TOTP URLs here; zbarimg reads them all).
package qrtest

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Decode returns the text of the QR code in a PNG image.
func Decode(pngData []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, gerr := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if gerr == nil {
		return res.GetText(), nil
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		return "", fmt.Errorf("gozxing: %v (zbarimg, which reads the codes gozxing refuses, is not installed: apt-get install zbar-tools)", gerr)
	}
	dir, err := os.MkdirTemp("", "qrtest")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "qr.png")
	if err := os.WriteFile(path, pngData, 0o600); err != nil {
		return "", err
	}
	out, err := exec.Command(zbar, "-q", "--raw", path).Output()
	if err != nil {
		return "", fmt.Errorf("gozxing: %v; zbarimg: %v", gerr, err)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
