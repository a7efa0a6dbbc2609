package listing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// ReferralTaxonomy is the code of this package's taxonomy: terms for the
// parts of a referral procedure that HSDS has no field for. Its ids come
// from directory.TaxonomyID and directory.TermID like the shipped ones.
const ReferralTaxonomy = "referral-procedure"

// Codes of the terms of ReferralTaxonomy.
const (
	// TermResponseTime tags a service; the attribute's value is the
	// expected time to respond to a referral, as ResponseTime.String
	// writes it ("5 working days").
	TermResponseTime = "response-time"
	// TermCapacity tags a service; the value is a Capacity.
	TermCapacity = "capacity"
	// TermLiaison tags the contact who is the named liaison for
	// referrals; it carries no value.
	TermLiaison = "referral-liaison"
)

// Vocabulary returns ReferralTaxonomy and its terms as a dataset holding
// only Taxonomies and TaxonomyTerms. Plan adds it to every publication, so
// the terms exist before an attribute refers to them.
func Vocabulary() *directory.Dataset {
	taxID := directory.TaxonomyID(ReferralTaxonomy)
	const name = "Throughcare referral procedure"
	uri := "urn:throughcare:taxonomy:" + ReferralTaxonomy
	term := func(code, termName, desc string) directory.TaxonomyTerm {
		return directory.TaxonomyTerm{ID: directory.TermID(ReferralTaxonomy, code), Code: code, Name: termName,
			Description: desc, Taxonomy: name, TaxonomyID: taxID, Language: "en", TermURI: uri + ":" + code}
	}
	return &directory.Dataset{
		Taxonomies: []directory.Taxonomy{{ID: taxID, Name: name, URI: uri, Version: "1.0",
			Description: "Parts of a service's standard referral procedure that HSDS has no field for. Attribute values carry the detail."}},
		TaxonomyTerms: []directory.TaxonomyTerm{
			term(TermResponseTime, "Expected response time",
				"How soon the service responds to a referral. The attribute value is a whole number and a unit: hours, days, working days or weeks, such as \"5 working days\"."),
			term(TermCapacity, "Capacity",
				"Whether the service is taking new referrals. The attribute value is accepting, waiting-list or not-accepting."),
			term(TermLiaison, "Referral liaison",
				"Tags the contact who is the service's named liaison for referrals from probation and prisons."),
		},
	}
}

// Capacity says whether a service is taking new referrals.
type Capacity string

// The capacities a listing may state.
const (
	CapacityAccepting    Capacity = "accepting"     // taking new referrals
	CapacityWaitingList  Capacity = "waiting-list"  // taking referrals onto a waiting list
	CapacityNotAccepting Capacity = "not-accepting" // not taking new referrals for now
)

// Capacities lists the capacities in order from open to closed.
func Capacities() []Capacity {
	return []Capacity{CapacityAccepting, CapacityWaitingList, CapacityNotAccepting}
}

// ResponseTime is how soon a service responds to a referral: N of Unit.
// The zero value means not stated.
type ResponseTime struct {
	N    int
	Unit string // one of ResponseUnits
}

// ResponseUnits lists the units a ResponseTime may use, in the singular.
func ResponseUnits() []string { return []string{"hour", "day", "working day", "week"} }

// MaxResponseTime bounds N, whatever the unit.
const MaxResponseTime = 365

// String writes the response time as the attribute value: "5 working
// days", "1 week", or "" for the zero value.
func (r ResponseTime) String() string {
	if r == (ResponseTime{}) {
		return ""
	}
	s := strconv.Itoa(r.N) + " " + r.Unit
	if r.N != 1 {
		s += "s"
	}
	return s
}

// ParseResponseTime reads what String writes, accepting the singular or
// plural unit in any case and extra spaces. "" gives the zero value. Other
// text is an Invalid error naming field.
func ParseResponseTime(field, s string) (ResponseTime, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 0 {
		return ResponseTime{}, nil
	}
	bad := apperr.Field(field, "%q is not a response time such as \"5 working days\" (a whole number, then hours, days, working days or weeks)", s)
	if len(f) < 2 {
		return ResponseTime{}, bad
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || n > MaxResponseTime {
		return ResponseTime{}, bad
	}
	unit := strings.TrimSuffix(strings.Join(f[1:], " "), "s")
	if !slices.Contains(ResponseUnits(), unit) {
		return ResponseTime{}, bad
	}
	return ResponseTime{N: n, Unit: unit}, nil
}

// Referral is a service's standard referral procedure as a provider edits
// it. Each part is stored in the draft's HSDS records (see
// docs/listings.md):
//
//	Criteria      service.eligibility_description
//	HowToRefer    service.application_process
//	WaitTime      service.wait_time
//	ResponseTime  attribute of the service, term TermResponseTime, value ResponseTime.String()
//	Capacity      attribute of the service, term TermCapacity, value the Capacity
//	LiaisonID     the contact carrying an attribute with term TermLiaison
type Referral struct {
	Criteria     string
	HowToRefer   string
	WaitTime     string
	ResponseTime string // as ResponseTime.String writes it; Validate checks it parses
	Capacity     Capacity
	LiaisonID    string // id of a contact in the draft, or ""
}

// Referral returns the referral procedure the draft states.
func (d Draft) Referral() Referral {
	svc := d.Service()
	if svc == nil {
		return Referral{}
	}
	r := Referral{Criteria: svc.EligibilityDescription, HowToRefer: svc.ApplicationProcess, WaitTime: svc.WaitTime}
	for _, a := range d.Dataset.Attributes {
		switch {
		case a.LinkID == svc.ID && a.TaxonomyTermID == directory.TermID(ReferralTaxonomy, TermResponseTime):
			r.ResponseTime = a.Value
		case a.LinkID == svc.ID && a.TaxonomyTermID == directory.TermID(ReferralTaxonomy, TermCapacity):
			r.Capacity = Capacity(a.Value)
		case a.TaxonomyTermID == directory.TermID(ReferralTaxonomy, TermLiaison):
			r.LiaisonID = a.LinkID
		}
	}
	return r
}

// SetReferral writes r into the draft: the service fields, and one
// attribute each for the response time, the capacity and the liaison
// (adding, changing or removing them; an empty part removes its
// attribute). It keeps the ids of attributes it changes and gives new ones
// fresh ids. LiaisonID must name a contact of the draft; it returns an
// Invalid error naming "referral.liaison" if not, and a NotFound error if
// the draft has no service, changing nothing in either case.
func (d *Draft) SetReferral(r Referral) error {
	svc := d.Service()
	if svc == nil {
		return apperr.Errorf(apperr.NotFound, "the draft has no service")
	}
	if r.LiaisonID != "" && !slices.ContainsFunc(d.Dataset.Contacts, func(c directory.Contact) bool { return c.ID == r.LiaisonID }) {
		return apperr.Field("referral.liaison", "contact %s is not one of this service's contacts", r.LiaisonID)
	}
	svc.EligibilityDescription, svc.ApplicationProcess, svc.WaitTime = r.Criteria, r.HowToRefer, r.WaitTime
	d.setAttribute(TermResponseTime, svc.ID, "service", r.ResponseTime)
	d.setAttribute(TermCapacity, svc.ID, "service", string(r.Capacity))
	d.setAttribute(TermLiaison, r.LiaisonID, "contact", "")
	return nil
}

// setAttribute makes the draft hold exactly one attribute with the term
// code of ReferralTaxonomy, linked to linkID with value, or none when
// linkID is "" or (for a valued term) value is "".
func (d *Draft) setAttribute(code, linkID, linkType, value string) {
	termID := directory.TermID(ReferralTaxonomy, code)
	want := linkID != "" && (value != "" || code == TermLiaison)
	attrs := d.Dataset.Attributes[:0]
	kept := false
	for _, a := range d.Dataset.Attributes {
		if a.TaxonomyTermID != termID {
			attrs = append(attrs, a)
			continue
		}
		if want && !kept {
			a.LinkID, a.LinkType, a.LinkEntity, a.Value = linkID, linkType, linkType, value
			attrs = append(attrs, a)
			kept = true
		}
	}
	if want && !kept {
		attrs = append(attrs, directory.Attribute{ID: directory.NewUUID(), LinkID: linkID, LinkType: linkType,
			LinkEntity: linkType, TaxonomyTermID: termID, Value: value})
	}
	d.Dataset.Attributes = attrs
}

// checkReferral adds the problems with the draft's referral attributes:
// values that do not parse, terms used twice or on the wrong record, and a
// liaison with no name or no way to reach them.
func checkReferral(d Draft, p *problems) {
	svc := d.Service()
	var n [3]int
	for i, a := range d.Dataset.Attributes {
		at := fmt.Sprintf("attributes[%d]", i)
		switch a.TaxonomyTermID {
		case directory.TermID(ReferralTaxonomy, TermResponseTime):
			n[0]++
			switch {
			case a.LinkID != svc.ID:
				p.add(at+".link_id", "an expected response time must be linked to the service")
			case n[0] > 1:
				p.add("referral.response_time", "is given more than once")
			default:
				if _, err := ParseResponseTime("referral.response_time", a.Value); err != nil || a.Value == "" {
					p.add("referral.response_time", "%q is not a response time such as \"5 working days\" (a whole number, then hours, days, working days or weeks)", a.Value)
				}
			}
		case directory.TermID(ReferralTaxonomy, TermCapacity):
			n[1]++
			switch {
			case a.LinkID != svc.ID:
				p.add(at+".link_id", "a capacity must be linked to the service")
			case n[1] > 1:
				p.add("referral.capacity", "is given more than once")
			case !slices.Contains(Capacities(), Capacity(a.Value)):
				p.add("referral.capacity", "%q is not one of accepting, waiting-list, not-accepting", a.Value)
			}
		case directory.TermID(ReferralTaxonomy, TermLiaison):
			n[2]++
			ci := slices.IndexFunc(d.Dataset.Contacts, func(c directory.Contact) bool { return c.ID == a.LinkID })
			switch {
			case ci < 0:
				p.add("referral.liaison", "the liaison must be one of this service's contacts")
			case n[2] > 1:
				p.add("referral.liaison", "only one contact can be the named liaison")
			default:
				c := d.Dataset.Contacts[ci]
				hasPhone := slices.ContainsFunc(d.Dataset.Phones, func(ph directory.Phone) bool { return ph.ContactID == c.ID })
				if strings.TrimSpace(c.Name) == "" {
					p.add(fmt.Sprintf("contacts[%d].name", ci), "the named liaison needs a name")
				}
				if c.Email == "" && !hasPhone {
					p.add(fmt.Sprintf("contacts[%d].email", ci), "give the named liaison an email address or a phone number")
				}
			}
		}
	}
}
