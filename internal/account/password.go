package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"throughcare/internal/apperr"
)

// The argon2id parameters for new hashes: 19 MiB of memory, two passes, one
// lane, a 16-byte salt and a 32-byte key. These are the OWASP Password
// Storage Cheat Sheet's baseline. They are written into every hash, so they
// can be raised later: CheckPassword reads each hash's own parameters and
// reports needsRehash for hashes made with weaker ones.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Limits on the parameters CheckPassword will accept from a stored hash, so
// that a corrupt or hostile row cannot make a sign-in allocate gigabytes.
const (
	maxArgonMemory  = 1 << 20 // KiB (1 GiB)
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// Password length limits, counted in characters (Unicode code points) after
// NFKC normalisation.
//
// The minimum is 12. Length is what makes a password hard to guess, so we
// ask for length and set no composition rules (NIST SP 800-63B and the
// NCSC both advise against them). Twelve characters fit the NCSC's "three
// random words" advice and, with argon2id, put offline guessing of a stolen
// hash well out of reach; it sits between NIST's floor for passwords backed
// by a second factor (8) and for passwords used alone (15), and staff who see
// personal data are expected to turn on TOTP.
//
// The maximum, 256, is far beyond any passphrase and stops a sign-in form
// from being used to feed the hash function megabytes.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ErrMalformedHash is returned by CheckPassword for a stored hash it cannot
// parse.
var ErrMalformedHash = errors.New("malformed password hash")

// HashPassword returns the argon2id hash of password as a PHC string,
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>" with unpadded standard
// base64. The password is NFKC-normalised first, so the same password typed
// on different keyboards matches. It returns an Invalid error naming
// "password" for an empty password or one longer than MaxPasswordLength;
// policy (ValidateNewPassword) is the caller's separate step.
func HashPassword(password string) (string, error) {
	password = norm.NFKC.String(password)
	if password == "" {
		return "", apperr.Field("password", "is required")
	}
	if utf8.RuneCountInString(password) > MaxPasswordLength {
		return "", apperr.Field("password", "is longer than %d characters", MaxPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	p := argonParams{memory: argonMemory, time: argonTime, threads: argonThreads, salt: salt}
	key := idKey([]byte(password), salt, p.time, p.memory, p.threads, argonKeyLen)
	return p.encode(key), nil
}

// CheckPassword reports whether password matches the PHC string encoded. The
// comparison is constant-time. needsRehash is true when the password matched
// but the hash was made with weaker parameters than HashPassword now uses;
// the caller should then store a fresh HashPassword(password). It returns an
// error wrapping ErrMalformedHash when encoded cannot be parsed or asks for
// absurd parameters. A password longer than MaxPasswordLength never matches.
func CheckPassword(encoded, password string) (ok, needsRehash bool, err error) {
	p, key, err := parseArgon2id(encoded)
	if err != nil {
		return false, false, err
	}
	password = norm.NFKC.String(password)
	if utf8.RuneCountInString(password) > MaxPasswordLength {
		return false, false, nil
	}
	got := idKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	weaker := p.memory < argonMemory || p.time < argonTime || p.threads < argonThreads ||
		len(p.salt) < argonSaltLen || len(key) < argonKeyLen
	return true, weaker, nil
}

// dummyHash is a valid hash of a random password, made on first use so that
// programs which never sign anyone in do not pay for it.
var dummyHash = sync.OnceValue(func() string {
	pw := make([]byte, 32)
	rand.Read(pw)
	h, _ := HashPassword(base64.RawURLEncoding.EncodeToString(pw))
	return h
})

// DummyCheckPassword does the work of CheckPassword against a hash that
// matches nothing. Call it when a sign-in names an unknown e-mail address,
// so that the response takes as long as for a known one and does not reveal
// which addresses have accounts.
func DummyCheckPassword(password string) {
	_, _, _ = CheckPassword(dummyHash(), password)
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
}

func (p argonParams) encode(key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(p.salt), b64.EncodeToString(key))
}

func parseArgon2id(s string) (argonParams, []byte, error) {
	var p argonParams
	bad := func(why string) (argonParams, []byte, error) {
		return argonParams{}, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=..$m=..,t=..,p=..$salt$key")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version " + parts[2])
	}
	var m, t, th uint64
	for i, kv := range strings.Split(parts[3], ",") {
		name, val, _ := strings.Cut(kv, "=")
		want := [...]string{"m", "t", "p"}
		if i >= len(want) || name != want[i] {
			return bad("parameters must be m=..,t=..,p=..")
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil || n == 0 {
			return bad("parameter " + name + " is not a positive integer")
		}
		switch name {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			th = n
		}
	}
	if m == 0 || t == 0 || th == 0 {
		return bad("parameters must be m=..,t=..,p=..")
	}
	if m > maxArgonMemory || t > maxArgonTime || th > maxArgonThreads || m < 8*th {
		return bad("parameters out of range")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return bad("salt is not base64 of at least 8 bytes")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return bad("key is not base64 of 16 to 64 bytes")
	}
	p.memory, p.time, p.threads, p.salt = uint32(m), uint32(t), uint8(th), salt
	return p, key, nil
}

// hashing admits at most two argon2id derivations per processor at once.
// Each takes its memory cost (19 MiB for new hashes) for its whole run, so
// a burst of sign-in attempts waits its turn instead of exhausting the
// server's memory.
var hashing = make(chan struct{}, 2*runtime.NumCPU())

// idKey is argon2.IDKey, waiting its turn in hashing.
func idKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}
