package account

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"throughcare/internal/apperr"
)

// commonPasswordsText is the deny-list, one lower-case entry a line, '#'
// lines being comments. It is generated, not copied from any published
// breach list: TestCommonPasswordsFile in denylist_gen_test.go builds it from
// hand-written word lists and patterns, and fails if the file differs from
// what it builds (run `go test ./internal/account -run
// TestCommonPasswordsFile -update` to rewrite it after changing them).
//
// It holds the bases that people build weak passwords from: well-known
// password words and phrases ("password", "letmein", "iloveyou"), common
// British first names, football clubs, places, animals, colours, months,
// days and seasons, words about this service and its field, "ilove" and "my"
// in front of those, keyboard walks (rows, columns and zig-zags on a UK
// QWERTY keyboard, forwards and backwards) and runs of digits.
// CommonPassword matches them after folding case, spacing and common
// character swaps, and with digits and punctuation trimmed from either end,
// so one entry such as "liverpool" stands for "Liverpool1892!" and
// "L1verp00l 2024" as well.
//
//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool, 4096)
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set
})

// contextWords are words a password must not contain at all, because an
// attacker aiming at this service would try them first.
var contextWords = []string{"throughcare"}

// ValidateNewPassword checks a password a user has chosen, against the
// address they sign in with. It returns an Invalid error naming "password"
// when the password:
//   - is not valid UTF-8,
//   - is shorter than MinPasswordLength or longer than MaxPasswordLength
//     characters (after NFKC normalisation),
//   - is a common password or built from one (CommonPassword),
//   - contains the name of this service, or
//   - contains the local part of email (the bit before '@'), or any piece
//     of it of four or more characters split at '.', '_', '-' or '+'.
//
// There are no rules about mixing upper case, digits or symbols: they make
// passwords harder to remember without making them much harder to guess.
func ValidateNewPassword(password, email string) error {
	if !utf8.ValidString(password) {
		return apperr.Field("password", "contains characters that are not valid text")
	}
	password = norm.NFKC.String(password)
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLength:
		return apperr.Field("password", "must be at least %d characters long; a few unrelated words make a good one", MinPasswordLength)
	case n > MaxPasswordLength:
		return apperr.Field("password", "must be at most %d characters long", MaxPasswordLength)
	}
	if CommonPassword(password) {
		return apperr.Field("password", "is too common or too easy to guess; choose another, such as a few unrelated words")
	}
	folded := fold(password)
	for _, w := range contextWords {
		if strings.Contains(folded, w) {
			return apperr.Field("password", "must not contain the name of this service")
		}
	}
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	pieces := []string{fold(local)}
	for p := range strings.FieldsFuncSeq(local, func(r rune) bool { return strings.ContainsRune("._-+", r) }) {
		if utf8.RuneCountInString(p) >= 4 {
			pieces = append(pieces, fold(p))
		}
	}
	for _, p := range pieces {
		if utf8.RuneCountInString(p) >= 3 && strings.Contains(folded, p) {
			return apperr.Field("password", "must not contain your email address or name from it")
		}
	}
	return nil
}

// CommonPassword reports whether password is on the deny-list or built from
// an entry on it. The password is lower-cased, stripped of spaces and the
// separators . _ -, and also read with common swaps undone (@ and 4 as a, 3
// as e, 1 and ! as i, 0 as o, $ and 5 as s, 7 as t). Each reading matches when
// it, or what is left once digits and punctuation are trimmed from both
// ends, is an entry, an entry repeated, or one short piece (up to four
// characters, such as "ab12") repeated.
func CommonPassword(password string) bool {
	set := commonPasswords()
	f := fold(norm.NFKC.String(password))
	for _, c := range []string{f, unleet(f), trimDigitsPunct(f), unleet(trimDigitsPunct(f)), trimDigitsPunct(unleet(f))} {
		if c == "" {
			// Nothing but digits and punctuation: judged on the untrimmed
			// reading, which is a digit run or repeat if weak.
			continue
		}
		if set[c] || repeats(c, set) {
			return true
		}
	}
	return false
}

// fold lower-cases s and drops white space and the separators . _ -.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '.' || r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

var leet = strings.NewReplacer("@", "a", "4", "a", "3", "e", "1", "i", "!", "i", "0", "o", "$", "s", "5", "s", "7", "t")

func unleet(s string) string { return leet.Replace(s) }

func trimDigitsPunct(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
}

// repeats reports whether s is a piece of up to four characters, or a
// deny-list entry, written out two or more times.
func repeats(s string, set map[string]bool) bool {
	for n := 1; n <= len(s)/2; n++ {
		if len(s)%n != 0 || strings.Repeat(s[:n], len(s)/n) != s {
			continue
		}
		if utf8.RuneCountInString(s[:n]) <= 4 || set[s[:n]] {
			return true
		}
	}
	return false
}
