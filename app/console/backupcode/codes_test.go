package backupcode

import (
	"strings"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"admin":         "twofold-backup-codes-admin.txt",
		"Jean Dupont":   "twofold-backup-codes-jeandupont.txt",
		"../../etc":     "twofold-backup-codes-....etc.txt",
		"ÉLODIE":        "twofold-backup-codes-lodie.txt",
		"":              "twofold-backup-codes.txt",
		"a/b\\c:d*e?f|": "twofold-backup-codes-abcdef.txt",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestTextListsEveryCode(t *testing.T) {
	codes := []string{"aaaaa-bbbbb", "ccccc-ddddd"}
	text := Text("admin", codes, time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC))
	for _, want := range append(codes, "admin", "2026-05-01 09:30") {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}
