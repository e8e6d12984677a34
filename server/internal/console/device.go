package console

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"twofold/server/internal/secrets"
)

// Device cookies (API.md "Limits"): a browser that signed in as a user in
// the last 90 days holds a signed entry for that user, and its password
// attempts are counted on their own, so strangers who lock the username
// out do not lock out the user's own browsers.
const (
	deviceCookie  = "twofold_device"
	deviceTTL     = 90 * 24 * time.Hour
	devicePurpose = "device cookie v1"
	// maxDevices bounds the users remembered by one browser.
	maxDevices = 8
	// An entry: user id (8 bytes), issue time (8), device id (12), MAC (16).
	deviceIDSize = 12
	deviceMACLen = 16
	deviceEntry  = 8 + 8 + deviceIDSize + deviceMACLen
)

type device struct {
	userID int64
	issued time.Time
	id     []byte
}

func (h *Handlers) deviceCookieName() string {
	if h.Sessions.Secure() {
		return "__Host-" + deviceCookie
	}
	return deviceCookie
}

func (h *Handlers) deviceMAC(payload []byte) []byte {
	return h.CodeKey.MAC(devicePurpose, nil, payload)[:deviceMACLen]
}

// devices returns the valid entries of the request's device cookie.
func (h *Handlers) devices(r *http.Request) []device {
	c, err := r.Cookie(h.deviceCookieName())
	if err != nil || h.CodeKey == nil || len(c.Value) > 1024 {
		return nil
	}
	now := h.Clock.Now()
	var out []device
	for part := range strings.SplitSeq(c.Value, ".") {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil || len(raw) != deviceEntry {
			continue
		}
		payload, mac := raw[:deviceEntry-deviceMACLen], raw[deviceEntry-deviceMACLen:]
		if !secrets.Equal(h.deviceMAC(payload), mac) {
			continue
		}
		d := device{
			userID: int64(binary.BigEndian.Uint64(payload[:8])),
			issued: time.Unix(int64(binary.BigEndian.Uint64(payload[8:16])), 0),
			id:     bytes.Clone(payload[16:]),
		}
		if now.Sub(d.issued) > deviceTTL || d.issued.After(now.Add(time.Minute)) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// deviceIDs gives the sign-in service the device identities the request's
// browser holds.
func (h *Handlers) deviceIDs(r *http.Request) func(userID int64) string {
	return func(userID int64) string {
		for _, d := range h.devices(r) {
			if d.userID == userID {
				return hex.EncodeToString(d.id)
			}
		}
		return ""
	}
}

// rememberDevice gives the browser a fresh device entry for userID after
// a completed sign-in, keeping its device id if it had one.
func (h *Handlers) rememberDevice(w http.ResponseWriter, r *http.Request, userID int64) {
	if h.CodeKey == nil {
		return
	}
	kept := []device{}
	var id []byte
	for _, d := range h.devices(r) {
		if d.userID == userID {
			id = d.id
			continue
		}
		kept = append(kept, d)
	}
	if id == nil {
		id = make([]byte, deviceIDSize)
		if _, err := rand.Read(id); err != nil {
			return // no entry: the browser is counted like any other
		}
	}
	now := h.Clock.Now()
	entries := []device{{userID: userID, issued: now, id: id}}
	entries = append(entries, kept...)
	if len(entries) > maxDevices {
		entries = entries[:maxDevices]
	}
	parts := make([]string, len(entries))
	for i, d := range entries {
		payload := make([]byte, 16, deviceEntry)
		binary.BigEndian.PutUint64(payload[:8], uint64(d.userID))
		binary.BigEndian.PutUint64(payload[8:16], uint64(d.issued.Unix()))
		payload = append(payload, d.id...)
		parts[i] = base64.RawURLEncoding.EncodeToString(append(payload, h.deviceMAC(payload)...))
	}
	http.SetCookie(w, &http.Cookie{
		Name:     h.deviceCookieName(),
		Value:    strings.Join(parts, "."),
		Path:     "/",
		MaxAge:   int(deviceTTL.Seconds()),
		HttpOnly: true,
		Secure:   h.Sessions.Secure(),
		SameSite: http.SameSiteStrictMode,
	})
}
