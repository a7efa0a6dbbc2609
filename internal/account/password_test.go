package account

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"throughcare/internal/apperr"
)

func TestHashPasswordFormatAndCheck(t *testing.T) {
	const pw = "tangerine kettle orbit"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)
	if !re.MatchString(h) {
		t.Fatalf("hash %q is not the expected PHC string", h)
	}
	h2, _ := HashPassword(pw)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	ok, rehash, err := CheckPassword(h, pw)
	if !ok || rehash || err != nil {
		t.Errorf("right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	ok, _, err = CheckPassword(h, pw+"x")
	if ok || err != nil {
		t.Errorf("wrong password: ok=%v err=%v", ok, err)
	}
	// Long input is refused without hashing it.
	ok, _, err = CheckPassword(h, strings.Repeat("a", MaxPasswordLength+1))
	if ok || err != nil {
		t.Errorf("over-long password: ok=%v err=%v", ok, err)
	}
}

func TestHashPasswordNormalises(t *testing.T) {
	// "é" as one code point and as e + combining acute, and a full-width
	// digit, are the same password after NFKC.
	h, err := HashPassword("caf\u00e9 au lait \uff11")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := CheckPassword(h, "cafe\u0301 au lait 1"); !ok {
		t.Error("the decomposed spelling did not match")
	}
}

func TestHashPasswordRefuses(t *testing.T) {
	for _, pw := range []string{"", strings.Repeat("é", MaxPasswordLength+1)} {
		_, err := HashPassword(pw)
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != "password" {
			t.Errorf("HashPassword(%d chars): got %v, want a field error on password", len(pw), err)
		}
	}
	// 256 two-byte characters are within the limit: it counts characters.
	if _, err := HashPassword(strings.Repeat("é", MaxPasswordLength)); err != nil {
		t.Errorf("256 characters: %v", err)
	}
}

// weakHash makes a hash with chosen parameters, as an older release might
// have stored.
func weakHash(pw string, m, tm uint32, keyLen uint32) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, tm, m, 1, keyLen)
	p := argonParams{memory: m, time: tm, threads: 1, salt: salt}
	return p.encode(key)
}

func TestCheckPasswordNeedsRehash(t *testing.T) {
	const pw = "an older hash of mine"
	for _, h := range []string{weakHash(pw, 8*1024, 2, 32), weakHash(pw, 19*1024, 1, 32), weakHash(pw, 19*1024, 2, 16)} {
		ok, rehash, err := CheckPassword(h, pw)
		if !ok || !rehash || err != nil {
			t.Errorf("%s: ok=%v rehash=%v err=%v, want ok and rehash", h, ok, rehash, err)
		}
		if ok, rehash, _ := CheckPassword(h, "not it"); ok || rehash {
			t.Errorf("%s: wrong password reported ok=%v rehash=%v", h, ok, rehash)
		}
	}
	// Stronger than today's parameters: fine as it is.
	h := weakHash(pw, 32*1024, 3, 32)
	if ok, rehash, err := CheckPassword(h, pw); !ok || rehash || err != nil {
		t.Errorf("stronger hash: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good := weakHash("x", 64, 1, 32)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	cases := map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"argon2i":        with(1, "argon2i"),
		"old version":    with(2, "v=16"),
		"params order":   with(3, "t=1,m=64,p=1"),
		"param missing":  with(3, "m=64,t=1"),
		"param zero":     with(3, "m=64,t=0,p=1"),
		"param text":     with(3, "m=lots,t=1,p=1"),
		"huge memory":    with(3, "m=4194304,t=1,p=1"),
		"huge time":      with(3, "m=64,t=1000,p=1"),
		"salt not b64":   with(4, "!!!!"),
		"salt too short": with(4, "YWJj"),
		"key too short":  with(5, "YWJj"),
		"extra field":    good + "$x",
	}
	for name, h := range cases {
		ok, _, err := CheckPassword(h, "x")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: ok=%v err=%v, want ErrMalformedHash", name, ok, err)
		}
	}
	if ok, _, err := CheckPassword(good, "x"); !ok || err != nil {
		t.Fatalf("the unaltered hash: ok=%v err=%v", ok, err)
	}
}

func TestDummyCheckPassword(t *testing.T) {
	DummyCheckPassword("anything at all")
	if ok, _, err := CheckPassword(dummyHash(), ""); ok || err != nil {
		t.Errorf("the dummy hash: ok=%v err=%v, want a well-formed hash that matches nothing", ok, err)
	}
}

func TestValidateNewPassword(t *testing.T) {
	const email = "jane.smithson@probation.example.org"
	cases := []struct {
		pw   string
		want string // substring of the message; "" means accepted
	}{
		{"tangerine kettle orbit", ""},
		{"purple dishwasher gravel", ""},
		{"correct horse battery", ""},
		{"ЖЖ ёлка и самовар", ""}, // not Latin, long enough
		{"short one", "at least 12"},
		{"elevenchars", "at least 12"},
		{strings.Repeat("x", 257), "at most 256"},
		{"\xff\xfe invalid bytes here", "not valid text"},
		{"password1234", "too common"},
		{"Password2024!", "too common"},
		{"P@ssw0rd 2024!!", "too common"},
		{"1234567890123", "too common"},
		{"0987654321abc", "too common"},
		{"qwertyuiop123", "too common"},
		{"1qaz2wsx3edc", "too common"},
		{"aaaaaaaaaaaa", "too common"},
		{"abcabcabcabc", "too common"},
		{"passwordpassword", "too common"},
		{"iloveliverpool", "too common"},
		{"I love Liverpool 2024", "too common"},
		{"L1verp00l1892!", "too common"},
		{"!!!sunshine!!!", "too common"},
		{"MyThroughcareLogin", "name of this service"},
		{"Jane.Smithson is great", "email address"},
		{"the smithson family", "email address"},
		{"janesmithson rules", "email address"},
	}
	for _, c := range cases {
		err := ValidateNewPassword(c.pw, email)
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.pw, err)
			}
			continue
		}
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != "password" || !strings.Contains(fe.Msg, c.want) {
			t.Errorf("%q: got %v, want a password field error containing %q", c.pw, err, c.want)
		}
	}
}

func TestValidateNewPasswordShortLocalPart(t *testing.T) {
	// A two-letter local part is too short to judge by: "jo" appears in
	// plenty of good passwords.
	if err := ValidateNewPassword("enjoy the long journey", "jo@example.org"); err != nil {
		t.Errorf("got %v", err)
	}
	if err := ValidateNewPassword("all about bob and more", "bob@example.org"); err == nil {
		t.Error("a password containing a three-letter local part was accepted")
	}
}

func TestCommonPassword(t *testing.T) {
	for _, pw := range []string{"letmein", "LetMeIn", "let me in", "l3tm3!n", "Dragon", "12345678", "trustno1"} {
		if !CommonPassword(pw) {
			t.Errorf("CommonPassword(%q) = false", pw)
		}
	}
	for _, pw := range []string{"tangerine kettle orbit", "8w#Kq2!zLm0p", "839201746382"} {
		if CommonPassword(pw) {
			t.Errorf("CommonPassword(%q) = true", pw)
		}
	}
}

// Password checks wait their turn when as many derivations as the limit
// allows are already running, and go ahead as soon as one ends.
func TestPasswordHashingIsBounded(t *testing.T) {
	hash, err := HashPassword("plum quarry lantern 47 wobble")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(hashing) {
		hashing <- struct{}{}
	}
	done := make(chan bool)
	go func() {
		ok, _, _ := CheckPassword(hash, "plum quarry lantern 47 wobble")
		done <- ok
	}()
	select {
	case <-done:
		t.Fatal("a password was checked while every slot was taken")
	case <-time.After(50 * time.Millisecond):
	}
	for range cap(hashing) {
		<-hashing
	}
	select {
	case ok := <-done:
		if !ok {
			t.Error("the password did not match once checked")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the check never went ahead after the slots were freed")
	}
}
