package geo

import (
	"strings"

	"throughcare/internal/apperr"
)

// Postcode formats. A UK postcode is an outward code (area letters, a
// district number and sometimes a district letter) then a space and an
// inward code (a sector digit and two unit letters):
//
//	A9 9AA    M1 1AE       AA9 9AA   CR2 6XH
//	A99 9AA   B33 8TH      AA99 9AA  DN55 1PT
//	A9A 9AA   W1A 0AX      AA9A 9AA  EC1A 1BB
//
// plus the special GIR 0AA. Only the pattern of letters and digits is
// checked. Royal Mail also restricts which letters may stand in some
// positions, but a few real non-geographic postcodes break those rules, and
// a well-formed postcode that does not exist is caught anyway when it is
// not found in the ONS Postcode Directory.

const postcodeExample = "e.g. LN1 1AA"

// NormalisePostcode validates a UK postcode and returns it in the standard
// form: upper case, with one space before the three-character inward code
// ("ln11aa", " LN1  1AA " and "Ln1 1aA" all give "LN1 1AA"). Spaces may be
// missing or repeated anywhere. Errors are apperr.Invalid, name the field
// "postcode" and say what is wrong, for example
// "postcode: inward code must be a digit then two letters, e.g. LN1 1AA".
func NormalisePostcode(s string) (string, error) {
	c, err := compact(s, "postcode")
	if err != nil {
		return "", err
	}
	if c == "GIR0AA" {
		return "GIR 0AA", nil
	}
	switch {
	case len(c) < 5:
		return "", apperr.Field("postcode", "too short: a full postcode has 5 to 7 letters and digits, %s", postcodeExample)
	case len(c) > 7:
		return "", apperr.Field("postcode", "too long: a postcode has at most 7 letters and digits, %s", postcodeExample)
	}
	out, in := c[:len(c)-3], c[len(c)-3:]
	// Where the user put one space, trust it: "LN1 1A" is a short inward
	// code, not the outward code "LN".
	if f := strings.Fields(s); len(f) == 2 && len(f[1]) < 3 {
		return "", apperr.Field("postcode", "inward code must be a digit then two letters, %s", postcodeExample)
	}
	if !validOutward(out) {
		return "", apperr.Field("postcode", "outward code %q must be one or two letters, then a digit, then an optional digit or letter, e.g. M1, LN1, DN55 or SW1A", out)
	}
	if !isDigit(in[0]) || !isLetter(in[1]) || !isLetter(in[2]) {
		return "", apperr.Field("postcode", "inward code must be a digit then two letters, %s", postcodeExample)
	}
	return out + " " + in, nil
}

// NormaliseOutcode validates the outward half of a postcode on its own
// (such as "ln1" or "SW1A") and returns it in upper case, for searches by
// postcode district. A full postcode or a sector ("LN1 1") is accepted too
// and reduced to its outward code. Errors are apperr.Invalid and name the
// field "postcode".
func NormaliseOutcode(s string) (string, error) {
	c, err := compact(s, "postcode")
	if err != nil {
		return "", err
	}
	if c == "GIR" || c == "GIR0AA" {
		return "GIR", nil
	}
	f := strings.Fields(s)
	if len(f) == 2 {
		// Outward code then a sector ("LN1 1") or a full inward code.
		out, in := strings.ToUpper(f[0]), strings.ToUpper(f[1])
		if !validOutward(out) {
			return "", apperr.Field("postcode", "outward code %q must be one or two letters, then a digit, then an optional digit or letter, e.g. M1, LN1, DN55 or SW1A", out)
		}
		if len(in) == 1 && isDigit(in[0]) {
			return out, nil
		}
		if _, err := NormalisePostcode(s); err != nil {
			return "", err
		}
		return out, nil
	}
	if validOutward(c) {
		return c, nil
	}
	if len(c) >= 5 {
		pc, err := NormalisePostcode(c)
		if err != nil {
			return "", err
		}
		return pc[:strings.IndexByte(pc, ' ')], nil
	}
	return "", apperr.Field("postcode", "%q is not a postcode district: expected one or two letters, then a digit, then an optional digit or letter, e.g. M1, LN1, DN55 or SW1A", c)
}

// Outcode returns the outward code of a postcode ("LN1" for "ln1 1aa").
func Outcode(postcode string) (string, error) {
	pc, err := NormalisePostcode(postcode)
	if err != nil {
		return "", err
	}
	return pc[:strings.IndexByte(pc, ' ')], nil
}

// Sector returns the postcode sector: the outward code, a space and the
// inward code's digit ("LN1 1" for "ln1 1aa").
func Sector(postcode string) (string, error) {
	pc, err := NormalisePostcode(postcode)
	if err != nil {
		return "", err
	}
	return pc[:len(pc)-2], nil
}

// compact upper-cases s and removes its spaces, rejecting any character
// that is not an ASCII letter, digit or space.
func compact(s, field string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\u00a0':
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", apperr.Field(field, "may contain only letters, digits and spaces, found %q", r)
		}
	}
	if b.Len() == 0 {
		return "", apperr.Field(field, "required, %s", postcodeExample)
	}
	return b.String(), nil
}

// validOutward reports whether s (upper case, no spaces) matches A9, A99,
// A9A, AA9, AA99 or AA9A.
func validOutward(s string) bool {
	n := len(s)
	if n < 2 || n > 4 || !isLetter(s[0]) {
		return false
	}
	i := 1
	if isLetter(s[i]) {
		i++
	}
	if i >= n || !isDigit(s[i]) {
		return false
	}
	i++
	if i == n {
		return true
	}
	// One more character: a digit or a letter, and nothing after it.
	return i == n-1 && (isDigit(s[i]) || isLetter(s[i]))
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
