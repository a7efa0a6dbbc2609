package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"throughcare/internal/apperr"
)

// NewToken returns a new random secret for a session id, an API token or a
// password-reset link: 32 random bytes as unpadded base64url (43
// characters), and its SHA-256 hash. Give the plain token to the user once
// and store only the hash, so a leaked table lets no one in. Look the token
// up later by HashToken(plain); because the secret is random and long, a
// plain hash lookup is safe and needs no constant-time compare.
func NewToken() (plain string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain)
}

// HashToken returns the SHA-256 hash of a token from NewToken.
func HashToken(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// APIToken is a long-lived token for the JSON API. It acts as its owner,
// but only for the actions in Scopes.
type APIToken struct {
	ID         string
	UserID     string
	Name       string   // the owner's label, e.g. "case management sync"
	Hash       []byte   // HashToken of the secret; the secret is never stored
	Scopes     []Action // checked with ValidateScopes when created
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never expires
	LastUsedAt time.Time
	RevokedAt  time.Time // zero: not revoked
}

// Active reports whether the token may be used at now: not revoked and not
// expired.
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// CanWithToken reports whether a request made with token t, owned by u, may
// do a to r at now: the token must be active, belong to u, list a in its
// scopes, and u must be allowed a on r by Can.
func CanWithToken(u *User, t *APIToken, a Action, r Resource, now time.Time) bool {
	return u != nil && t != nil && t.UserID == u.ID && t.Active(now) &&
		slices.Contains(t.Scopes, a) && Can(u, a, r)
}

// LinkKeyMinLength is the shortest key SignLink accepts, in bytes.
const LinkKeyMinLength = 32

// Errors from VerifyLink. Both match apperr.Invalid.
var (
	// ErrLinkInvalid means the link was altered, made with another key or
	// for another purpose, or is not a link at all.
	ErrLinkInvalid = apperr.Errorf(apperr.Invalid, "This link is not valid. Check you copied all of it.")
	// ErrLinkExpired means the link was genuine but is past its expiry.
	ErrLinkExpired = apperr.Errorf(apperr.Invalid, "This link has expired.")
)

// Link is what a signed link carries.
type Link struct {
	Subject string    // what the link is about, e.g. a user id
	Expires time.Time // whole seconds, UTC
	Nonce   string    // the caller's single-use marker; may be empty
}

// SignLink returns a tamper-proof token to put in a URL (it uses only
// base64url characters and one '.'), saying that subject may do purpose
// until expires. purpose (such as "password-reset" or "confirm-email") is
// covered by the signature but not written in the token, so a token made for
// one purpose never verifies for another. The signature is HMAC-SHA256 with
// key. Expiry is kept to whole seconds.
//
// Signing does not make a link single-use. To do that, pass a fresh random
// nonce (NewToken's plain value will do), record it when the link is used,
// and refuse a link whose nonce is already recorded; keep the records until
// the link's expiry. Links meant to be used many times (such as unsubscribe
// links) may pass an empty nonce.
//
// SignLink panics if key is shorter than LinkKeyMinLength: that is a
// configuration error to catch at start-up with CheckLinkKey.
func SignLink(key []byte, purpose, subject string, expires time.Time, nonce string) string {
	if err := CheckLinkKey(key); err != nil {
		panic(err)
	}
	var payload []byte
	payload = append(payload, linkVersion)
	payload = appendField(payload, subject)
	payload = binary.BigEndian.AppendUint64(payload, uint64(expires.Unix()))
	payload = appendField(payload, nonce)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(linkMAC(key, purpose, payload))
}

// VerifyLink checks a token from SignLink for purpose at now and returns
// what it carries. It returns ErrLinkInvalid if the token was altered, made
// with another key or for another purpose, or cannot be read, and
// ErrLinkExpired if it is genuine but now is at or past its expiry. The
// signature is compared in constant time. Single use is the caller's job:
// see SignLink.
func VerifyLink(key []byte, purpose, token string, now time.Time) (Link, error) {
	if CheckLinkKey(key) != nil {
		return Link{}, ErrLinkInvalid
	}
	p64, m64, ok := strings.Cut(token, ".")
	enc := base64.RawURLEncoding.Strict()
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(mac, linkMAC(key, purpose, payload)) {
		return Link{}, ErrLinkInvalid
	}
	// The signature is ours, so the payload is well formed unless a future
	// version changed it.
	if len(payload) < 1 || payload[0] != linkVersion {
		return Link{}, ErrLinkInvalid
	}
	rest := payload[1:]
	subject, rest, ok1 := readField(rest)
	if !ok1 || len(rest) < 8 {
		return Link{}, ErrLinkInvalid
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(rest)), 0).UTC()
	nonce, rest, ok2 := readField(rest[8:])
	if !ok2 || len(rest) != 0 {
		return Link{}, ErrLinkInvalid
	}
	l := Link{Subject: subject, Expires: expires, Nonce: nonce}
	if !now.Before(expires) {
		return l, ErrLinkExpired
	}
	return l, nil
}

// CheckLinkKey returns an error if key is too short for SignLink.
func CheckLinkKey(key []byte) error {
	if len(key) < LinkKeyMinLength {
		return fmt.Errorf("link signing key: %w", errShortKey)
	}
	return nil
}

var errShortKey = errors.New(fmt.Sprint("key is shorter than ", LinkKeyMinLength, " bytes"))

const linkVersion = 1

func linkMAC(key []byte, purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(appendField([]byte("throughcare signed link\x00"), purpose))
	m.Write(payload)
	return m.Sum(nil)
}

// appendField appends s with its length in front, so that no two different
// field lists encode to the same bytes.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readField(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}
