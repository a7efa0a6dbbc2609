package account

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
)

func TestNewToken(t *testing.T) {
	plain, hash := NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(plain)
	if err != nil || len(raw) != 32 || len(plain) != 43 {
		t.Fatalf("token %q: %d bytes, err %v", plain, len(raw), err)
	}
	want := sha256.Sum256([]byte(plain))
	if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(plain), hash) {
		t.Error("the hash is not SHA-256 of the plain token")
	}
	other, _ := NewToken()
	if other == plain {
		t.Error("two tokens are equal")
	}
}

var linkKey = []byte("0123456789abcdef0123456789abcdef")

func TestSignLinkRoundTrip(t *testing.T) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour + 500*time.Millisecond)
	tok := SignLink(linkKey, "password-reset", "user-42", exp, "n1")
	if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
		t.Errorf("token %q has characters that need escaping in a URL", tok)
	}
	l, err := VerifyLink(linkKey, "password-reset", tok, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Link{Subject: "user-42", Expires: now.Add(time.Hour), Nonce: "n1"}
	if l != want {
		t.Errorf("got %+v, want %+v", l, want)
	}
	// Fields with awkward bytes survive, and an empty nonce is allowed.
	odd := "a.b$c\x00\n ünï"
	l, err = VerifyLink(linkKey, "p", SignLink(linkKey, "p", odd, exp, ""), now)
	if err != nil || l.Subject != odd || l.Nonce != "" {
		t.Errorf("odd subject: %+v, %v", l, err)
	}
}

func TestVerifyLinkRefuses(t *testing.T) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	tok := SignLink(linkKey, "password-reset", "user-42", exp, "n1")
	p64, m64, _ := strings.Cut(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(p64)
	flip := func(b []byte, i int) string {
		c := bytes.Clone(b)
		c[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(c)
	}
	otherKey := bytes.Repeat([]byte{7}, 32)
	cases := []struct {
		name string
		key  []byte
		purp string
		tok  string
		now  time.Time
		want error
	}{
		{"other purpose", linkKey, "confirm-email", tok, now, ErrLinkInvalid},
		{"other key", otherKey, "password-reset", tok, now, ErrLinkInvalid},
		{"short key", linkKey[:16], "password-reset", tok, now, ErrLinkInvalid},
		{"subject changed", linkKey, "password-reset", flip(payload, 2) + "." + m64, now, ErrLinkInvalid},
		{"expiry changed", linkKey, "password-reset", flip(payload, len(payload)-4) + "." + m64, now, ErrLinkInvalid},
		{"mac truncated", linkKey, "password-reset", tok[:len(tok)-2], now, ErrLinkInvalid},
		{"no dot", linkKey, "password-reset", p64 + m64, now, ErrLinkInvalid},
		{"empty", linkKey, "password-reset", "", now, ErrLinkInvalid},
		{"padding added", linkKey, "password-reset", tok + "=", now, ErrLinkInvalid},
		{"at expiry", linkKey, "password-reset", tok, exp, ErrLinkExpired},
		{"after expiry", linkKey, "password-reset", tok, exp.Add(time.Second), ErrLinkExpired},
	}
	for _, c := range cases {
		_, err := VerifyLink(c.key, c.purp, c.tok, c.now)
		if !errors.Is(err, c.want) || !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// An expired link still says whose it was, for a helpful message.
	if l, _ := VerifyLink(linkKey, "password-reset", tok, exp); l.Subject != "user-42" {
		t.Errorf("expired link subject %q", l.Subject)
	}
}

func TestSignLinkShortKeyPanics(t *testing.T) {
	if CheckLinkKey(linkKey) != nil || CheckLinkKey(linkKey[:31]) == nil {
		t.Fatal("CheckLinkKey does not draw the line at 32 bytes")
	}
	defer func() {
		if recover() == nil {
			t.Error("SignLink with a 31-byte key did not panic")
		}
	}()
	SignLink(linkKey[:31], "p", "s", time.Now(), "")
}
