package account

import (
	"bytes"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// The RFC 6238 appendix B secret ("12345678901234567890" in base32) and
// its published SHA-1 code at 59 seconds, cut to six digits.
const (
	rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	rfcCode59 = "287082"
)

func TestValidateTOTPKnownAnswer(t *testing.T) {
	step, ok := ValidateTOTP(rfcSecret, rfcCode59, 0, time.Unix(59, 0))
	if !ok || step != 1 {
		t.Fatalf("got step %d ok %v, want step 1", step, ok)
	}
	if _, ok := ValidateTOTP(rfcSecret, "287 082", 0, time.Unix(59, 0)); !ok {
		t.Error("a code typed with a space was refused")
	}
}

func TestValidateTOTPSkewAndReplay(t *testing.T) {
	secret, _, err := NewTOTP("jane@example.org")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 5, 4, 10, 0, 15, 0, time.UTC) // mid-step
	s0 := TOTPStep(base)
	code := func(step int64) string {
		c, err := totp.GenerateCode(secret, time.Unix(step*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name     string
		code     string
		lastUsed int64
		want     int64 // 0: refused
	}{
		{"current step", code(s0), 0, s0},
		{"one step behind", code(s0 - 1), 0, s0 - 1},
		{"one step ahead", code(s0 + 1), 0, s0 + 1},
		{"two steps behind", code(s0 - 2), 0, 0},
		{"two steps ahead", code(s0 + 2), 0, 0},
		{"replayed", code(s0), s0, 0},
		{"older than the last used", code(s0 - 1), s0, 0},
		{"newer than the last used", code(s0 + 1), s0, s0 + 1},
		{"after an older use", code(s0), s0 - 1, s0},
		{"five digits", code(s0)[:5], 0, 0},
		{"letters", "abcdef", 0, 0},
		{"seven digits", code(s0) + "1", 0, 0},
	}
	for _, c := range cases {
		step, ok := ValidateTOTP(secret, c.code, c.lastUsed, base)
		if ok != (c.want != 0) || step != c.want {
			t.Errorf("%s: got step %d ok %v, want step %d", c.name, step, ok, c.want)
		}
	}
	if _, ok := ValidateTOTP("", code(s0), 0, base); ok {
		t.Error("an empty secret accepted a code")
	}
	if _, ok := ValidateTOTP("not base32!", "123456", 0, base); ok {
		t.Error("a broken secret accepted a code")
	}
}

func TestNewTOTPURLAndQRCode(t *testing.T) {
	secret, raw, err := NewTOTP("jane@example.org")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("issuer") != "Throughcare" ||
		q.Get("secret") != secret || u.Path != "/Throughcare:jane@example.org" {
		t.Errorf("unexpected URL %s", raw)
	}
	if len(secret) != 32 { // 20 bytes in base32
		t.Errorf("secret %q is %d characters, want 32", secret, len(secret))
	}
	other, _, _ := NewTOTP("jane@example.org")
	if other == secret {
		t.Error("two secrets are equal")
	}
	img, err := TOTPQRCode(raw, 200)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != 200 || cfg.Height != 200 {
		t.Errorf("QR code: %+v, %v", cfg, err)
	}
	if _, err := TOTPQRCode("https://example.org/", 200); err == nil {
		t.Error("a non-otpauth URL made a QR code")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("got %d codes and %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 11 || c[5] != '-' || strings.ContainsAny(c, "01lo") || seen[c] {
			t.Errorf("code %d %q is malformed or repeated", i, c)
		}
		seen[c] = true
		if bytes.Contains(hashes[i], []byte(c[:5])) {
			t.Errorf("hash %d contains the plain code", i)
		}
	}
	if got := MatchRecoveryCode(codes[3], hashes); got != 3 {
		t.Errorf("exact code: got %d, want 3", got)
	}
	typed := " " + strings.ToUpper(strings.ReplaceAll(codes[7], "-", " ")) + " "
	if got := MatchRecoveryCode(typed, hashes); got != 7 {
		t.Errorf("code typed in capitals with spaces: got %d, want 7", got)
	}
	for _, bad := range []string{"", "aaaaa-aaaaa", codes[0][:10], codes[0] + "a"} {
		if got := MatchRecoveryCode(bad, hashes); got != -1 {
			t.Errorf("MatchRecoveryCode(%q) = %d, want -1", bad, got)
		}
	}
	// Used codes are removed by the caller; then they no longer match.
	rest := append(append([][]byte(nil), hashes[:3]...), hashes[4:]...)
	if got := MatchRecoveryCode(codes[3], rest); got != -1 {
		t.Errorf("a removed code matched at %d", got)
	}
}
