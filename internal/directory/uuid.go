package directory

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
)

// namespace is the UUID namespace of Throughcare's name-based identifiers
// (itself a version 5 UUID of "throughcare" in the URL namespace).
var namespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// NameUUID returns a version 5 (SHA-1, name-based) UUID for name, so that
// records with a stable name (taxonomy terms, demo records) keep the same id
// on every machine and every run.
func NameUUID(name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte("throughcare:" + name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return format(u)
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return format(u)
}

func format(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// ValidUUID reports whether s is a UUID in the canonical 8-4-4-4-12
// hexadecimal form (any version, either case).
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
