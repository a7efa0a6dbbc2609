package geo

import "strings"

// ProbationRegion is one of the 12 Probation Service regions of England
// and Wales. Boundaries are not built in; import them as areas of kind
// KindRegion using Code as the code property so the two line up.
type ProbationRegion struct {
	// Code is this project's stable identifier, a lower-case slug of the
	// name. It never changes, even if a region is renamed.
	Code string
	// Name is the region's name as the Probation Service uses it.
	Name string
	// DeliusCode is the region's provider code in nDelius, the probation
	// case management system (for example N53 for East Midlands), as used
	// in the Ministry of Justice's public service code. It lets records
	// exported from probation systems be matched to a region.
	DeliusCode string
}

// probationRegions is in alphabetical order of name.
var probationRegions = []ProbationRegion{
	{"east-midlands", "East Midlands", "N53"},
	{"east-of-england", "East of England", "N56"},
	{"greater-manchester", "Greater Manchester", "N50"},
	{"kent-surrey-sussex", "Kent, Surrey and Sussex", "N57"},
	{"london", "London", "N07"},
	{"north-east", "North East", "N54"},
	{"north-west", "North West", "N51"},
	{"south-central", "South Central", "N59"},
	{"south-west", "South West", "N58"},
	{"wales", "Wales", "N03"},
	{"west-midlands", "West Midlands", "N52"},
	{"yorkshire-humber", "Yorkshire and the Humber", "N55"},
}

// ProbationRegions returns the 12 regions in alphabetical order of name.
// The slice is a copy and may be changed by the caller.
func ProbationRegions() []ProbationRegion {
	return append([]ProbationRegion(nil), probationRegions...)
}

// LookupProbationRegion finds a region by its Code, its DeliusCode or its
// Name, ignoring case, punctuation and the difference between "and" and
// "&" (so "Kent Surrey & Sussex" finds kent-surrey-sussex).
func LookupProbationRegion(s string) (ProbationRegion, bool) {
	key := regionKey(s)
	if key == "" {
		return ProbationRegion{}, false
	}
	for _, r := range probationRegions {
		if key == regionKey(r.Code) || key == regionKey(r.Name) || strings.EqualFold(strings.TrimSpace(s), r.DeliusCode) {
			return r, true
		}
	}
	return ProbationRegion{}, false
}

// regionKey reduces a region name or code to its words, dropping "and" so
// that "Kent, Surrey and Sussex", "Kent Surrey & Sussex" and
// "kent-surrey-sussex" agree.
func regionKey(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	out := words[:0]
	for _, w := range words {
		if w != "and" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
