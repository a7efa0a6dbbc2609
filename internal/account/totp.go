package account

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"throughcare/internal/apperr"
)

// TOTPIssuer is the name authenticator apps show next to the account.
const TOTPIssuer = "Throughcare"

// totpPeriod is the length of one TOTP step. Authenticator apps assume 30
// seconds, six digits and SHA-1 unless told otherwise, and some ignore being
// told, so we use exactly those.
const totpPeriod = 30

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a new TOTP secret for the account named accountName
// (normally the user's e-mail address). It returns the base32 secret to
// store (encrypted) in Credentials.TOTPSecret, and the otpauth:// URL to show
// as a QR code (TOTPQRCode) and as text for manual entry.
func NewTOTP(accountName string) (secret, url string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      TOTPIssuer,
		AccountName: accountName,
		Period:      totpPeriod,
		SecretSize:  20,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("new TOTP key: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// TOTPQRCode renders an otpauth:// URL from NewTOTP as a square PNG QR code
// about size pixels wide.
func TOTPQRCode(url string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return nil, fmt.Errorf("TOTP QR code: %w", err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/") || key.Secret() == "" {
		return nil, fmt.Errorf("TOTP QR code: %w", apperr.Field("url", "is not an otpauth://totp/ URL with a secret"))
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("TOTP QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("TOTP QR code: %w", err)
	}
	return b.Bytes(), nil
}

// TOTPStep returns the TOTP time step that t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// ValidateTOTP checks a six-digit code against secret at time now, allowing
// one step (30 seconds) of clock drift either way. Spaces in code are
// ignored. A code is accepted only for a step later than lastUsedStep, the
// step the caller stored after the last accepted code (0 if none), so a code
// that has been used once cannot be used again, nor can an older one. On
// success it returns the step to store as the new lastUsedStep; the caller
// must store it before treating the user as signed in.
func ValidateTOTP(secret, code string, lastUsedStep int64, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" || secret == "" {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur - 1; s <= cur+1; s++ {
		if s <= lastUsedStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// RecoveryCodeCount is how many recovery codes NewRecoveryCodes makes.
const RecoveryCodeCount = 10

var recoveryEncoding = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

// NewRecoveryCodes makes RecoveryCodeCount one-time codes for a user who
// loses their authenticator. Show the plain codes once, in the form
// "xxxxx-xxxxx" (50 random bits each, with no 0/o or 1/l to confuse), and
// store only the hashes in Credentials.RecoveryHashes. Because the codes are
// random and long, a plain SHA-256 is enough to store them.
func NewRecoveryCodes() (codes []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		b := make([]byte, 10) // 10 bytes give 16 characters; we use 10 of them
		rand.Read(b)
		s := recoveryEncoding.EncodeToString(b)[:10]
		codes = append(codes, s[:5]+"-"+s[5:])
		hashes = append(hashes, hashRecoveryCode(s))
	}
	return codes, hashes
}

// MatchRecoveryCode returns the index in hashes of the code the user typed,
// or -1. Case, spaces and hyphens are ignored. The caller must delete the
// matched hash so that the code works only once.
func MatchRecoveryCode(code string, hashes [][]byte) int {
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
	if len(code) != 10 {
		return -1
	}
	h := hashRecoveryCode(code)
	found := -1
	for i, want := range hashes {
		if subtle.ConstantTimeCompare(h, want) == 1 && found < 0 {
			found = i
		}
	}
	return found
}

func hashRecoveryCode(normalised string) []byte {
	h := sha256.Sum256([]byte("throughcare recovery code\x00" + normalised))
	return h[:]
}
