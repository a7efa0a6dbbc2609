package seal

import (
	"errors"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

var key = []byte("a key of thirty-two bytes or more!!")

func TestSealOpens(t *testing.T) {
	s, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXP"
	a, b := s.Seal(secret, "user-1"), s.Seal(secret, "user-1")
	if a == b {
		t.Error("sealing twice gave the same text: the nonce is not random")
	}
	if strings.Contains(a, secret) || !IsSealed(a) {
		t.Errorf("sealed value %q shows the secret or lacks its prefix", a)
	}
	if got, err := s.Open(a, "user-1"); err != nil || got != secret {
		t.Errorf("Open = %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	s, _ := New(key)
	other, _ := New([]byte("another key of thirty-two bytes!!!"))
	sealed := s.Seal("JBSWY3DPEHPK3PXP", "user-1")
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 1
	for name, c := range map[string]struct{ v, ad string }{
		"another record":  {sealed, "user-2"},
		"altered":         {string(flipped), "user-1"},
		"not sealed":      {"JBSWY3DPEHPK3PXP", "user-1"},
		"not base64":      {"v1:***", "user-1"},
		"too short":       {"v1:AAAA", "user-1"},
		"empty":           {"", "user-1"},
		"prefix only":     {"v1:", "user-1"},
		"sealed elsewise": {other.Seal("JBSWY3DPEHPK3PXP", "user-1"), "user-1"},
	} {
		if got, err := s.Open(c.v, c.ad); !errors.Is(err, ErrOpen) || got != "" {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", name, got, err)
		}
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	if _, err := New([]byte("short")); !errors.Is(err, apperr.Invalid) {
		t.Errorf("short key: %v, want Invalid", err)
	}
}
