// Package seal encrypts small secrets for storage with AES-256-GCM, under a
// key from the server's configuration, so that a copy of the database alone
// does not give them away.
//
// A sealed value is text: "v1:" and the standard base64 of a random 12-byte
// nonce followed by the ciphertext and its tag. Each value is bound to the
// record it belongs to (the additional data, such as a user id), so a sealed
// value copied onto another record does not open there.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"throughcare/internal/apperr"
)

// prefix marks a sealed value and the format's version.
const prefix = "v1:"

// KeyMinLength is the shortest key New accepts, in bytes.
const KeyMinLength = 32

// ErrOpen is returned by Open for a value that is not sealed under this key
// for this record: altered, moved to another record, or sealed under
// another key.
var ErrOpen = errors.New("seal: the value cannot be opened with this key for this record")

// Sealer seals and opens values under one key.
type Sealer struct{ aead cipher.AEAD }

// New returns a Sealer for key, which must be at least KeyMinLength bytes of
// secret; it is hashed to the 32 bytes AES-256 takes. The error is an
// Invalid one naming "secret_key".
func New(key []byte) (*Sealer, error) {
	if len(key) < KeyMinLength {
		return nil, apperr.Field("secret_key", "must be at least %d bytes, not %d", KeyMinLength, len(key))
	}
	k := sha256.Sum256(key)
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain for the record named by ad.
func (s *Sealer) Seal(plain, ad string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(ad))
	return prefix + base64.StdEncoding.EncodeToString(out)
}

// Open decrypts a value from Seal for the record named by ad, or returns
// ErrOpen.
func (s *Sealer) Open(sealed, ad string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if !IsSealed(sealed) || err != nil || len(raw) < s.aead.NonceSize() {
		return "", ErrOpen
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(ad))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// IsSealed reports whether v looks like a value from Seal, as opposed to one
// stored before a key was configured.
func IsSealed(v string) bool { return strings.HasPrefix(v, prefix) }
