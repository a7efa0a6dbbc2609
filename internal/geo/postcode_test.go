package geo

import (
	"errors"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

func TestNormalisePostcode(t *testing.T) {
	for _, tc := range []struct {
		in, want, outcode, sector string
	}{
		// Each outward format.
		{"M1 1AE", "M1 1AE", "M1", "M1 1"},         // A9 9AA
		{"B33 8TH", "B33 8TH", "B33", "B33 8"},     // A99 9AA
		{"W1A 0AX", "W1A 0AX", "W1A", "W1A 0"},     // A9A 9AA
		{"CR2 6XH", "CR2 6XH", "CR2", "CR2 6"},     // AA9 9AA
		{"DN55 1PT", "DN55 1PT", "DN55", "DN55 1"}, // AA99 9AA
		{"EC1A 1BB", "EC1A 1BB", "EC1A", "EC1A 1"}, // AA9A 9AA
		{"GIR 0AA", "GIR 0AA", "GIR", "GIR 0"},
		// Case and spacing.
		{"ln1 1aa", "LN1 1AA", "LN1", "LN1 1"},
		{"LN11AA", "LN1 1AA", "LN1", "LN1 1"},
		{"  Ln1   1aA ", "LN1 1AA", "LN1", "LN1 1"},
		{"LN 1 1AA", "LN1 1AA", "LN1", "LN1 1"},
		{"L N11AA", "LN1 1AA", "LN1", "LN1 1"},
		{"sw1a2aa", "SW1A 2AA", "SW1A", "SW1A 2"},
		{"gir0aa", "GIR 0AA", "GIR", "GIR 0"},
		{"NG31\t6XX", "NG31 6XX", "NG31", "NG31 6"},
		{"PE21\u00a08QR", "PE21 8QR", "PE21", "PE21 8"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalisePostcode(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("NormalisePostcode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if oc, err := Outcode(tc.in); err != nil || oc != tc.outcode {
				t.Errorf("Outcode(%q) = %q, %v; want %q", tc.in, oc, err, tc.outcode)
			}
			if s, err := Sector(tc.in); err != nil || s != tc.sector {
				t.Errorf("Sector(%q) = %q, %v; want %q", tc.in, s, err, tc.sector)
			}
		})
	}
}

func TestNormalisePostcodeErrors(t *testing.T) {
	const inward = "postcode: inward code must be a digit then two letters, e.g. LN1 1AA"
	for _, tc := range []struct {
		in, want string
	}{
		{"", "postcode: required, e.g. LN1 1AA"},
		{"   ", "postcode: required, e.g. LN1 1AA"},
		{"LN1", "postcode: too short: a full postcode has 5 to 7 letters and digits, e.g. LN1 1AA"},
		{"LN11", "postcode: too short"},
		{"LN11 1AAA", "postcode: too long: a postcode has at most 7 letters and digits, e.g. LN1 1AA"},
		{"LN1 1AAA", inward},
		{"LN1 1A", inward},
		{"LN11A", `postcode: outward code "LN"`},
		{"SW1A 1AAX", "postcode: too long"},
		{"LN1 AAA", inward},
		{"LN1 11A", inward},
		{"LN1 1A1", inward},
		{"LN1-1AA", `postcode: may contain only letters, digits and spaces, found '-'`},
		{"LN1 1AÅ", `postcode: may contain only letters, digits and spaces, found 'Å'`},
		{"1N1 1AA", `postcode: outward code "1N1" must be one or two letters, then a digit, then an optional digit or letter`},
		{"LNN 1AA", `postcode: outward code "LNN"`},
		{"ABC1 1AA", `postcode: outward code "ABC1"`},
		{"L1AA 1AA", `postcode: outward code "L1AA"`},
		{"AB 1AA", `postcode: outward code "AB"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalisePostcode(tc.in)
			if err == nil {
				t.Fatalf("NormalisePostcode(%q) = %q, want an error", tc.in, got)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start %q", err, tc.want)
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v is not apperr.Invalid", err)
			}
			if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != "postcode" {
				t.Errorf("error %v does not name the field postcode", err)
			}
			if _, err := Outcode(tc.in); err == nil {
				t.Errorf("Outcode(%q) accepted it", tc.in)
			}
			if _, err := Sector(tc.in); err == nil {
				t.Errorf("Sector(%q) accepted it", tc.in)
			}
		})
	}
}

func TestNormaliseOutcode(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"ln1", "LN1", ""},
		{" m1 ", "M1", ""},
		{"sw1a", "SW1A", ""},
		{"DN55", "DN55", ""},
		{"w1a", "W1A", ""},
		{"gir", "GIR", ""},
		{"LN6 7TS", "LN6", ""},
		{"ng347ee", "NG34", ""},
		{"", "", "postcode: required"},
		{"LN", "", `postcode: "LN" is not a postcode district`},
		{"12", "", `postcode: "12" is not a postcode district`},
		{"LN1 1", "LN1", ""},
		{"LN11", "LN11", ""},
		{"LN 1", "", `postcode: outward code "LN"`},
		{"LN1 1A", "", "postcode: inward code must be"},
		{"LN1 1A1", "", "postcode: inward code must be a digit then two letters"},
	} {
		got, err := NormaliseOutcode(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("NormaliseOutcode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) || !errors.Is(err, apperr.Invalid) {
			t.Errorf("NormaliseOutcode(%q) = %q, %v; want error starting %q", tc.in, got, err, tc.err)
		}
	}
}
