package web

import (
	"slices"
	"strings"
	"testing"

	"throughcare/internal/directory"
)

func TestScheduleDays(t *testing.T) {
	tests := []struct {
		byDay, freq, want string
	}{
		{"MO,TU,WE,TH,FR", "WEEKLY", "Monday to Friday"},
		{"MO,TU,WE,TH,FR,SA,SU", "WEEKLY", "Every day"},
		{"su,mo,tu", "WEEKLY", "Monday, Tuesday and Sunday"},
		{"MO,WE,FR", "WEEKLY", "Monday, Wednesday and Friday"},
		{"MO,TU,TH,FR,SA", "WEEKLY", "Monday, Tuesday and Thursday to Saturday"},
		{"SA,SU", "WEEKLY", "Saturday and Sunday"},
		{"TU", "WEEKLY", "Tuesday"},
		{"1MO", "MONTHLY", "First Monday of the month"},
		{"-1FR,2WE", "MONTHLY", "Last Friday of the month, Second Wednesday of the month"},
		{"9MO", "MONTHLY", ""},
		{"", "DAILY", "Every day"},
		{"", "WEEKLY", ""},
		{"XX, ,M", "WEEKLY", ""},
	}
	for _, tt := range tests {
		if got := scheduleDays(directory.Schedule{ByDay: tt.byDay, Freq: tt.freq}); got != tt.want {
			t.Errorf("scheduleDays(%q, %q) = %q, want %q", tt.byDay, tt.freq, got, tt.want)
		}
	}
}

func TestScheduleTimes(t *testing.T) {
	tests := []struct{ opens, closes, want string }{
		{"09:00", "17:00", "9am to 5pm"},
		{"09:30:00", "17:45:00Z", "9:30am to 5:45pm"},
		{"12:00", "00:30", "midday to 12:30am"},
		{"00:00", "23:59", "Open 24 hours"},
		{"00:00", "24:00", "Open 24 hours"},
		{"00:00", "00:00", "Open 24 hours"},
		{"18:00", "", "From 6pm"},
		{"", "12:15", "Until 12:15pm"},
		{"", "", ""},
		{"9am", "5pm", ""},
		{"25:00", "26:00", ""},
	}
	for _, tt := range tests {
		if got := scheduleTimes(tt.opens, tt.closes); got != tt.want {
			t.Errorf("scheduleTimes(%q, %q) = %q, want %q", tt.opens, tt.closes, got, tt.want)
		}
	}
}

func TestHoursOf(t *testing.T) {
	v := hoursOf([]directory.Schedule{
		{ByDay: "MO", OpensAt: "10:00", ClosesAt: "14:00"},
		{Description: "By appointment", ValidFrom: "2025-01-06", ValidTo: "2025-03-31"},
		{},
	})
	want := []HoursRow{
		{Days: "Monday", Times: "10am to 2pm"},
		{Days: "See notes", Notes: "By appointment. From 6 January 2025 to 31 March 2025"},
	}
	if !slices.Equal(v.Rows, want) || !v.HasNotes {
		t.Errorf("hoursOf = %+v, want rows %+v with notes", v, want)
	}
	if v := hoursOf([]directory.Schedule{{ByDay: "MO", OpensAt: "10:00", ClosesAt: "14:00"}}); v.HasNotes {
		t.Errorf("HasNotes set with no notes")
	}
}

func TestFormatDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2025-03-04", "4 March 2025"},
		{"2025-06-30T10:00:00Z", "30 June 2025"},
		{"2025-06-30T10:00:00.123+01:00", "30 June 2025"},
		{"2025-12-01 08:00:00", "1 December 2025"},
		{" 2025-03-04 ", "4 March 2025"},
		{"last spring", "last spring"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := formatDate(tt.in); got != tt.want {
			t.Errorf("formatDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAgeRange(t *testing.T) {
	tests := []struct {
		min, max *float64
		want     string
	}{
		{num(18), num(25), "Aged 18 to 25"},
		{num(18), nil, "Aged 18 and over"},
		{nil, num(17.5), "Aged up to 17.5"},
		{nil, nil, ""},
	}
	for _, tt := range tests {
		if got := ageRange(tt.min, tt.max); got != tt.want {
			t.Errorf("ageRange = %q, want %q", got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		text string
		max  int
		want string
	}{
		{"Short.\n\nSecond paragraph.", 100, "Short."},
		{"  spaced   out\ttext ", 100, "spaced out text"},
		{"one two three four", 12, "one two…"},
		{"one, two three", 8, "one…"},
		{"abcdefghij", 5, "abcde…"},
		{"ééééé", 5, "éé…"},
		{"", 10, ""},
	}
	for _, tt := range tests {
		if got := summary(tt.text, tt.max); got != tt.want {
			t.Errorf("summary(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
		}
	}
}

func TestAddressLines(t *testing.T) {
	addrs := []directory.Address{
		{AddressType: "postal", Address1: "PO Box 1", City: "Lincoln", PostalCode: "LN1 9ZZ", Country: "GB"},
		{AddressType: "physical", Attention: "Reception", Address1: "1 High Street", Address2: " ", City: "Lincoln", StateProvince: "Lincolnshire", PostalCode: "LN1 1AA", Country: "GB"},
	}
	want := []string{"Reception", "1 High Street", "Lincoln", "Lincolnshire", "LN1 1AA"}
	if got := addressLines(addrs); !slices.Equal(got, want) {
		t.Errorf("addressLines = %q, want %q", got, want)
	}
	// Without a physical address the first is used; a foreign country is kept.
	got := addressLines([]directory.Address{{Address1: "1 Rue", City: "Calais", Country: "FR"}})
	if !slices.Equal(got, []string{"1 Rue", "Calais", "FR"}) {
		t.Errorf("addressLines abroad = %q", got)
	}
	if addressLines(nil) != nil {
		t.Errorf("addressLines(nil) is not nil")
	}
}

func TestPhones(t *testing.T) {
	got := phoneViews([]directory.Phone{
		{Number: "+44 (0)1522 000-000", Type: "voice", Extension: num(12)},
		{Number: "07700 900000", Type: "cell"},
		{Number: "  "},
		{Number: "0800 1", Type: "satellite"},
	})
	want := []PhoneView{
		{Number: "+44 (0)1522 000-000", Href: "tel:+4401522000000", Extension: "12"},
		{Number: "07700 900000", Href: "tel:07700900000", Type: "Mobile"},
		{Number: "0800 1", Href: "tel:08001", Type: "satellite"},
	}
	if len(got) != len(want) {
		t.Fatalf("phoneViews = %+v", got)
	}
	for i := range want {
		if got[i].Number != want[i].Number || got[i].Href != want[i].Href || got[i].Extension != want[i].Extension || got[i].Type != want[i].Type {
			t.Errorf("phone %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := telURL("javascript:alert(1)"); got != "tel:1" {
		t.Errorf("telURL keeps more than digits: %q", got)
	}
}

func TestStatusTag(t *testing.T) {
	tests := []struct{ in, text, colour string }{
		{"active", "Active", "green"},
		{"", "Active", "green"},
		{"Temporarily Closed", "Temporarily closed", "orange"},
		{"inactive", "Inactive", "grey"},
		{"defunct", "Closed", "grey"},
		{"paused", "paused", "grey"},
	}
	for _, tt := range tests {
		if got := statusTag(tt.in); got.Text != tt.text || got.Colour != tt.colour {
			t.Errorf("statusTag(%q) = %+v", tt.in, got)
		}
	}
}

func TestClassify(t *testing.T) {
	ix := directory.NewIndex(fixture())
	ts := classify(ix, ix.Attributes(talkingID))
	texts := func(tags []Tag) []string {
		var out []string
		for _, t := range tags {
			out = append(out, t.Text)
		}
		return out
	}
	if !ts.Demo ||
		!slices.Equal(texts(ts.Types), []string{"NHS Talking Therapies"}) ||
		!slices.Equal(texts(ts.Eligibility), []string{"Accepts referrals from probation"}) ||
		!slices.Equal(texts(ts.Exclusions), []string{"Excludes arson"}) ||
		len(ts.Other) != 0 {
		t.Errorf("classify = %+v", ts)
	}
	// A term of an unknown taxonomy, with a value, goes to Other.
	other := classify(ix, []directory.Attribute{{TaxonomyTerm: &directory.TaxonomyTerm{Name: "Capacity", Code: "capacity"}, Value: "12 places"}, {}})
	if !slices.Equal(texts(other.Other), []string{"Capacity: 12 places"}) || other.Demo {
		t.Errorf("classify other = %+v", other)
	}
}

func TestInTaxonomy(t *testing.T) {
	ix := directory.NewIndex(&directory.Dataset{Taxonomies: []directory.Taxonomy{
		{ID: "t1", Name: "Service Type"},
		{ID: "t2", Name: "Needs", URI: "https://example.org/vocab/service-type/"},
		{ID: "service-type", Name: "Anything"},
		{ID: "t4", Name: "Service types"},
		{ID: "t5", Name: "Other", URI: "urn:example:taxonomy:service-type"},
		{ID: directory.TaxonomyID("service-type"), Name: "Throughcare service types", URI: "urn:throughcare:taxonomy:service-type"},
	}})
	tests := []struct {
		term directory.TaxonomyTerm
		want bool
	}{
		{directory.TaxonomyTerm{TaxonomyID: "t1"}, true},
		{directory.TaxonomyTerm{TaxonomyID: "t2"}, true},
		{directory.TaxonomyTerm{TaxonomyID: "service-type"}, true},
		{directory.TaxonomyTerm{TaxonomyID: "t4"}, false},
		{directory.TaxonomyTerm{TaxonomyID: "missing"}, false},
		{directory.TaxonomyTerm{Taxonomy: "Service-Type"}, true},
		{directory.TaxonomyTerm{TaxonomyID: "t5"}, true},
		{directory.TaxonomyTerm{TaxonomyID: directory.TaxonomyID("service-type")}, true},
		{directory.TaxonomyTerm{TaxonomyID: directory.TaxonomyID("eligibility")}, false},
	}
	for _, tt := range tests {
		if got := inTaxonomy(ix, &tt.term, serviceTypeTaxonomy); got != tt.want {
			t.Errorf("inTaxonomy(%+v) = %v, want %v", tt.term, got, tt.want)
		}
	}
}

func TestNavItem(t *testing.T) {
	tests := []struct {
		path, href string
		want       bool
	}{
		{"/", "/", true},
		{"/search", "/", true},
		{"/about/data", "/", false},
		{"/about/data", "/about/data", true},
		{"/services/x", "/about/data", false},
	}
	for _, tt := range tests {
		if got := newNavItem(tt.path, tt.href, "x").Current; got != tt.want {
			t.Errorf("newNavItem(%q, %q).Current = %v", tt.path, tt.href, got)
		}
	}
}

func TestServiceTypes(t *testing.T) {
	ix := directory.NewIndex(fixture())
	groups := serviceTypes(ix, []string{"DRUG-alcohol-treatment"})
	var tops []string
	for _, g := range groups {
		tops = append(tops, g.Code)
	}
	want := []string{"mental-health", "substance-use", "primary-physical-health", "learning-disability-autism", "justice-pathways", "social-support"}
	if !slices.Equal(tops, want) {
		t.Errorf("top-level types = %q, want %q", tops, want)
	}
	// A directory read back from the database holds its terms in id
	// order; the pages still list them in the shipped order.
	shuffled := fixture()
	slices.SortFunc(shuffled.TaxonomyTerms, func(a, b directory.TaxonomyTerm) int { return strings.Compare(a.ID, b.ID) })
	tops = nil
	for _, g := range serviceTypes(directory.NewIndex(shuffled), nil) {
		tops = append(tops, g.Code)
	}
	if !slices.Equal(tops, want) {
		t.Errorf("top-level types from a directory in id order = %q, want %q", tops, want)
	}
	opt, codes, ok := findType(groups, "substance-use")
	if !ok || opt.Name != "Substance use" || !slices.Equal(codes, []string{"substance-use", "drug-alcohol-treatment", "harm-reduction"}) {
		t.Errorf("findType(substance-use) = %+v, %q, %v", opt, codes, ok)
	}
	opt, codes, ok = findType(groups, "DRUG-alcohol-treatment")
	if !ok || !opt.Selected || !slices.Equal(codes, []string{"drug-alcohol-treatment"}) {
		t.Errorf("findType(drug-alcohol-treatment) = %+v, %q, %v", opt, codes, ok)
	}
	if _, _, ok := findType(groups, "nope"); ok {
		t.Errorf("findType found an unknown code")
	}
	// The group holding a selected type is unfolded; the others are not.
	for _, g := range groups {
		if g.Open != (g.Code == "substance-use") {
			t.Errorf("group %s: Open = %v", g.Code, g.Open)
		}
	}

	// A narrower term two levels down joins its broadest ancestor; one whose
	// parent is not a service type stands on its own. Only the taxonomy the
	// search engine reads counts: another one named "Service type" does
	// not, since a search for its codes would fail.
	st := directory.TaxonomyID(directory.ServiceTypeTaxonomy)
	d := &directory.Dataset{
		Taxonomies: []directory.Taxonomy{{ID: st, Name: "Service type"}, {ID: "x", Name: "Other"}, {ID: "y", Name: "Service type"}},
		TaxonomyTerms: []directory.TaxonomyTerm{
			{ID: "a", TaxonomyID: st, Code: "a", Name: "A"},
			{ID: "b", TaxonomyID: st, Code: "b", Name: "B", ParentID: "a"},
			{ID: "c", TaxonomyID: st, Code: "c", Name: "C", ParentID: "b"},
			{ID: "o", TaxonomyID: "x", Code: "o", Name: "O"},
			{ID: "d", TaxonomyID: st, Code: "d", Name: "D", ParentID: "o"},
			{ID: "e", TaxonomyID: st, Name: "No code"},
			{ID: "f", TaxonomyID: "y", Code: "f", Name: "F"},
		},
	}
	groups = serviceTypes(directory.NewIndex(d), nil)
	if len(groups) != 2 || groups[0].Code != "a" || len(groups[0].Children) != 2 || groups[0].Children[1].Code != "c" || groups[1].Code != "d" {
		t.Errorf("serviceTypes = %+v", groups)
	}
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"Mental health": "mental health",
		"NHS services":  "NHS services",
		"Élan":          "élan",
		"A":             "a",
		"":              "",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}
