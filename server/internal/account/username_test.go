package account

import (
	"context"
	"errors"
	"testing"
	"time"

	"twofold/server/internal/clock"
	"twofold/server/internal/testdb"
)

// TestF15LookAlikeUsernames: a new username may not mix scripts, so that a
// look-alike of an existing name ("аdmin" with a Cyrillic "а", "раypal"
// with Cyrillic "р" and "а") cannot be created; names written in one
// script, including non-Latin ones, and the scripts written together
// (Japanese, Chinese, Korean with Latin) stay allowed.
func TestF15LookAlikeUsernames(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"admin", true},
		{"jean.dupont", true},
		{"Élodie", true},
		{"jose\u0301", true}, // NFD of josé: the combining accent belongs to no script
		{"user_1@example.com", true},
		{"иван", true},          // Cyrillic
		{"Иван-Петров_2", true}, // Cyrillic with neutral characters
		{"αλέξανδρος", true},    // Greek
		{"田中", true},            // Han
		{"たなか", true},           // Hiragana
		{"田中たなかタナカ", true},      // Japanese: Han, Hiragana, Katakana
		{"tanaka田中", true},      // Latin with Japanese
		{"김철수", true},           // Hangul
		{"金김", true},            // Han with Hangul
		{"ㄅㄆ中文", true},          // Bopomofo with Han
		{"محمد", true},          // Arabic
		{"محمد٣", true},         // Arabic letters with Arabic-Indic digits
		{"\u0430dmin", false},   // Cyrillic а + Latin
		{"p\u0430yp\u0430l", false},
		{"\u0440\u0430ypal", false},
		{"admi\u043d", false},  // Cyrillic н at the end
		{"alphaβ", false},      // Latin + Greek
		{"\u03bfmega", false},  // Greek ο + Latin
		{"иванα", false},       // Cyrillic + Greek
		{"田中иван", false},      // Han + Cyrillic
		{"김たなか", false},        // Hangul + Hiragana: no language writes them together
		{"ㄅㄆたなか", false},       // Bopomofo + Hiragana
		{"admin٣", false},      // Latin + Arabic-Indic digit
		{"admin\u200b", false}, // zero-width space
		{"ad min", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidUsername(tt.name); got != tt.ok {
			t.Errorf("ValidUsername(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

// A look-alike of an existing user cannot be created, on both engines.
func TestF15LookAlikeNotCreated(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := testdb.Open(t, url)
		ctx := context.Background()
		s := NewService(d, clock.NewFake(time.Now()), NewHasher(0, DefaultParams, 0))
		if _, err := s.Create(ctx, d, NewUser{Username: "admin", Password: "a long enough password"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, d, NewUser{Username: "\u0430dmin", Password: "a long enough password"}); !errors.Is(err, ErrBadUsername) {
			t.Fatalf("look-alike of admin: got %v, want ErrBadUsername", err)
		}
		if _, err := s.Create(ctx, d, NewUser{Username: "админ", Password: "a long enough password"}); err != nil {
			t.Fatalf("an all-Cyrillic name: %v", err)
		}
	})
}
