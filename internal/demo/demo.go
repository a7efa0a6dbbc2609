// Package demo builds directories of made-up services: a hand-shaped demo
// directory that shows Throughcare working in several English areas, and a
// synthetic directory of any size for tests and benchmarks. Every
// organisation, service, street, phone number and web address in them is
// invented; phone numbers come from Ofcom's drama ranges and web addresses
// use the reserved .example domain, so none can reach a real person.
package demo

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"throughcare/internal/directory"
)

// demoSentence closes the description of every demo organisation and service.
const demoSentence = "This is a fictional demo record."

// reference is the date Dataset builds its records as of, so that it returns
// the same records on every call and every machine.
var reference = time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC)

// Dataset returns the demo directory as of 1 May 2026: fictional but
// realistic organisations, services and locations across nine English areas,
// every one labelled with the demo-fictional record label, together with the
// justice-aware taxonomy, so the dataset is self-contained. Each call builds
// a fresh dataset with the same content and ids.
func Dataset() *directory.Dataset { return AsOf(reference) }

// AsOf returns the demo directory with its assurance and modification dates
// placed relative to asOf rather than to Dataset's fixed date, for a demo
// instance whose listings should look freshly assured. Only the dates differ
// from Dataset.
func AsOf(asOf time.Time) *directory.Dataset {
	y, m, d := asOf.UTC().Date()
	b := &builder{
		d:      directory.JusticeTaxonomy(),
		asOf:   time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		phones: map[string]int{},
		locs:   map[string]string{},
	}
	for i := range areas {
		b.area(&areas[i])
	}
	return b.d
}

// builder accumulates the demo dataset.
type builder struct {
	d        *directory.Dataset
	asOf     time.Time
	services int            // services built so far, for spreading dates and statuses
	phones   map[string]int // numbers used so far per drama prefix
	locs     map[string]string
}

// roleKeys name the roles in ids; never change them, or every id moves.
var roleKeys = [numRoles]string{"trust", "recovery", "reconnect", "gp", "women", "housing", "peer", "advice"}

func (b *builder) area(a *area) {
	replace := func(s string, t *town, o *org) string {
		return strings.NewReplacer(
			"{area}", a.name, "{town}", t.name, "{org}", o.name,
			"{recovery_org}", a.orgs[roleRecovery].name,
		).Replace(s)
	}
	home := townNamed(a.towns[0])
	for r := range numRoles {
		b.organization(a, r, home, replace)
	}
	for i := range offers {
		o := &offers[i]
		if len(o.only) > 0 && !slices.Contains(o.only, a.key) {
			continue
		}
		if o.perTown > 0 {
			for _, name := range a.towns[:min(o.perTown, len(a.towns))] {
				t := townNamed(name)
				b.service(a, o, a.key+":"+o.key+":"+slug(t.name), t, []*town{t}, []*town{t}, replace)
			}
			continue
		}
		var sites, all []*town
		for j, name := range a.towns {
			t := townNamed(name)
			all = append(all, t)
			if j < max(o.sites, 1) {
				sites = append(sites, t)
			}
		}
		b.service(a, o, a.key+":"+o.key, home, sites, all, replace)
	}
}

var orgDescriptions = [numRoles]string{
	"{org} provides NHS community and specialist mental health services across {area}, including community mental health teams, NHS Talking Therapies, crisis care and services for people in contact with the criminal justice system.",
	"{org} is a charity commissioned by the local authorities in {area} to provide drug and alcohol treatment, harm reduction and recovery support, including the treatment requirements courts attach to community sentences.",
	"{org} is a community interest company that helps people leaving prison for {area} connect with community health services, working with prison healthcare teams before release and with probation after it.",
	"{org} is an NHS GP practice in {town} with a special interest in inclusion health: it registers people who are homeless, leaving prison or without documents, and runs outreach clinics in hostels and Approved Premises.",
	"{org} is a women-only charity in {area} supporting women in contact with the criminal justice system or at risk of it, with trauma-informed key work, groups and partner services on site.",
	"{org} provides supported accommodation and tenancy support in {area} for people leaving prison, people on probation and others at risk of homelessness.",
	"{org} is a user-led charity in {area} run by people with lived experience of mental distress, addiction and the justice system, offering peer support, crisis cafés and groups.",
	"{org} gives free, independent advice in {area} on benefits, debt and housing, and runs a support service for armed forces veterans.",
}

var legalStatus = [numRoles]string{
	"NHS foundation trust", "Registered charity", "Community interest company", "NHS GP partnership",
	"Registered charity", "Registered charity", "Registered charity", "Registered charity",
}

func (b *builder) organization(a *area, r role, home *town, replace func(string, *town, *org) string) {
	o := &a.orgs[r]
	id := orgID(a, r)
	status := legalStatus[r]
	if r == roleTrust && !strings.Contains(o.name, "Foundation") {
		status = "NHS trust"
	}
	b.d.Organizations = append(b.d.Organizations, directory.Organization{
		ID:               id,
		Name:             o.name,
		Description:      replace(orgDescriptions[r], home, o) + " " + demoSentence,
		Email:            "hello@" + o.domain,
		Website:          "https://" + o.domain + "/",
		LegalStatus:      status,
		YearIncorporated: new(float64(1994 + hash(id)%28)),
	})
	b.d.Phones = append(b.d.Phones, directory.Phone{
		ID:             directory.NameUUID("demo:phone:organization:" + a.key + ":" + roleKeys[r]),
		OrganizationID: id,
		Number:         b.phone(a.phone),
		Type:           "voice",
		Description:    "Main office",
	})
	b.label(id, "organization")
}

func orgID(a *area, r role) string {
	return directory.NameUUID("demo:organization:" + a.key + ":" + roleKeys[r])
}

// service adds one service of offer o, named for town t, delivered at the
// sites and covering the local authority districts of the towns in covers.
func (b *builder) service(a *area, o *offer, key string, t *town, sites, covers []*town, replace func(string, *town, *org) string) {
	n := b.services
	b.services++
	g := &a.orgs[o.role]
	id := directory.NameUUID("demo:service:" + key)
	name := replace(o.name, t, g)

	s := directory.Service{
		ID:                     id,
		OrganizationID:         orgID(a, o.role),
		Name:                   name,
		Description:            replace(o.desc, t, g) + " " + demoSentence,
		URL:                    "https://" + g.domain + "/services/" + slug(name),
		Email:                  emailLocal(o, t) + "@" + g.domain,
		Status:                 "active",
		ApplicationProcess:     "Criteria: " + replace(o.criteria, t, g) + "\nHow to refer: " + replace(o.howTo, t, g) + "\nResponse time: " + replace(o.response, t, g),
		FeesDescription:        "Free of charge.",
		WaitTime:               o.wait,
		EligibilityDescription: replace(o.elig, t, g),
		AssurerEmail:           "directory@" + g.domain,
	}
	if o.minAge > 0 {
		s.MinimumAge = new(o.minAge)
	}
	if o.maxAge > 0 {
		s.MaximumAge = new(o.maxAge)
	}
	interpreter := slices.Contains(o.terms, "interpreter-available")
	if interpreter {
		s.InterpretationServices = "Interpreters, including British Sign Language, are booked free of charge; say which language is needed when referring."
	}
	switch {
	case o.hours == hours24x7:
		// Crisis lines stay open in the demo.
	case n%31 == 17:
		s.Status = "temporarily closed"
		s.Alert = "Temporarily closed to new referrals while the team moves premises; existing clients are still being seen."
	case n%59 == 41:
		s.Status = "inactive"
		s.Alert = "No longer taking referrals; the service ended when its funding finished."
	}
	assured := b.asOf.AddDate(0, 0, -(2 + (n*37)%350))
	s.AssuredDate = assured.Format(time.DateOnly)
	s.LastModified = assured.Add(9*time.Hour + time.Duration(n%7)*53*time.Minute).Format(time.RFC3339)
	b.d.Services = append(b.d.Services, s)
	b.label(id, "service")

	number := b.phone(a.phone)
	desc := "Referrals and enquiries"
	if o.hours == hours24x7 {
		desc = "24-hour crisis line, free to call"
	}
	b.d.Phones = append(b.d.Phones, directory.Phone{
		ID: directory.NameUUID("demo:phone:service:" + key), ServiceID: id,
		Number: number, Type: "voice", Description: desc,
	})

	first, last := firstNames[(n*7+3)%len(firstNames)], surnames[(n*11+5)%len(surnames)]
	contactID := directory.NameUUID("demo:contact:" + key)
	b.d.Contacts = append(b.d.Contacts, directory.Contact{
		ID: contactID, ServiceID: id,
		Name: first + " " + last, Title: o.title,
		Email: strings.ToLower(first+"."+strings.ReplaceAll(last, "'", "")) + "@" + g.domain,
	})
	b.d.Phones = append(b.d.Phones, directory.Phone{
		ID: directory.NameUUID("demo:phone:contact:" + key), ContactID: contactID,
		Number: b.phone(a.phone), Type: "voice", Description: "Direct line for probation and other referrers",
	})

	for i, sl := range openingHours[o.hours] {
		attending := "In person, or by phone or video where the service offers it."
		if o.virtual {
			attending = "By telephone."
		}
		b.d.Schedules = append(b.d.Schedules, directory.Schedule{
			ID:        directory.NameUUID(fmt.Sprintf("demo:schedule:%s:%d", key, i)),
			ServiceID: id, Freq: "WEEKLY", WKST: "MO", ByDay: sl.days,
			OpensAt: sl.opens, ClosesAt: sl.closes, Description: sl.desc,
			AttendingType: attending,
		})
	}

	var seen []string
	for _, c := range covers {
		if slices.Contains(seen, c.lad) {
			continue
		}
		seen = append(seen, c.lad)
		b.d.ServiceAreas = append(b.d.ServiceAreas, directory.ServiceArea{
			ID:          directory.NameUUID("demo:service_area:" + key + ":" + c.lad),
			ServiceID:   id,
			Name:        c.ladName,
			Description: "Local authority district " + c.lad + ".",
			URI:         areaURIPrefix + c.lad,
		})
	}

	langs := []language{{"English", "en"}}
	if interpreter {
		langs = append(langs, a.langs[n%len(a.langs)], a.langs[(n+1)%len(a.langs)])
		if n%3 == 0 {
			langs = append(langs, bsl)
		}
	}
	for _, l := range langs {
		b.d.Languages = append(b.d.Languages, directory.Language{
			ID: directory.NameUUID("demo:language:" + key + ":" + l.code), ServiceID: id, Name: l.name, Code: l.code,
		})
	}

	b.d.Funding = append(b.d.Funding, directory.Funding{
		ID: directory.NameUUID("demo:funding:" + key), ServiceID: id, Source: o.funder,
	})

	for _, c := range o.types {
		b.attr(id, "service", directory.ServiceTypeTaxonomy, c)
	}
	for _, c := range o.terms {
		b.attr(id, "service", directory.EligibilityTaxonomy, c)
	}

	if o.virtual {
		locID := b.virtualLocation(a, o, key, name)
		b.d.ServiceAtLocations = append(b.d.ServiceAtLocations, directory.ServiceAtLocation{
			ID: directory.NameUUID("demo:service_at_location:" + key + ":virtual"), ServiceID: id, LocationID: locID,
		})
		return
	}
	for _, site := range sites {
		locID := b.location(a, o.role, site)
		b.d.ServiceAtLocations = append(b.d.ServiceAtLocations, directory.ServiceAtLocation{
			ID: directory.NameUUID("demo:service_at_location:" + key + ":" + slug(site.name)), ServiceID: id, LocationID: locID,
		})
	}
}

var locationNames = [numRoles]string{
	"{town} Mental Health Resource Centre", "{town} Recovery Hub", "{town} Care After Custody Hub", "",
	"", "{town} Housing Support Office", "{town} Peer Hub", "{town} Advice Centre",
}

// location returns the id of organisation r's premises in town t, adding
// them the first time they are asked for.
func (b *builder) location(a *area, r role, t *town) string {
	key := a.key + ":" + roleKeys[r] + ":" + slug(t.name)
	if id, ok := b.locs[key]; ok {
		return id
	}
	g := &a.orgs[r]
	id := directory.NameUUID("demo:location:" + key)
	b.locs[key] = id
	name := strings.ReplaceAll(locationNames[r], "{town}", t.name)
	if name == "" {
		name = g.name
		if t.name != a.towns[0] {
			name += " (" + t.name + ")"
		}
	}
	h := hash(key)
	// Up to about 1.5 km from the town centre.
	lat := t.lat + (float64(h%2001)-1000)/1000*0.012
	lon := t.lon + (float64(h/2001%2001)-1000)/1000*0.018
	b.d.Locations = append(b.d.Locations, directory.Location{
		ID: id, LocationType: "physical", OrganizationID: orgID(a, r),
		Name:           name,
		Description:    g.name + " premises in " + t.name + ". " + demoSentence,
		Transportation: fmt.Sprintf("About %d minutes' walk from %s bus station.", 4+h%16, t.name),
		Latitude:       new(round6(lat)), Longitude: new(round6(lon)),
	})
	street := a.streets[h/7%uint64(len(a.streets))]
	b.d.Addresses = append(b.d.Addresses, directory.Address{
		ID: directory.NameUUID("demo:address:" + key), LocationID: id,
		Address1: fmt.Sprintf("%d %s", 1+h/11%180, street), City: t.city, StateProvince: t.county,
		PostalCode: postcode(t.postcodes[h/13%uint64(len(t.postcodes))], h/17), Country: "GB", AddressType: "physical",
	})
	access := "Step-free entrance, lift to all floors and an accessible toilet."
	if h%4 == 0 {
		access = "Two steps at the entrance with a portable ramp on request; accessible toilet on the ground floor."
	}
	b.d.Accessibility = append(b.d.Accessibility, directory.Accessibility{
		ID: directory.NameUUID("demo:accessibility:" + key), LocationID: id, Description: access,
	})
	b.label(id, "location")
	return id
}

// virtualLocation adds the phone-and-online location of service key.
func (b *builder) virtualLocation(a *area, o *offer, key, name string) string {
	g := &a.orgs[o.role]
	id := directory.NameUUID("demo:location:" + key + ":virtual")
	b.d.Locations = append(b.d.Locations, directory.Location{
		ID: id, LocationType: "virtual", OrganizationID: orgID(a, o.role),
		URL:         "https://" + g.domain + "/services/" + slug(name),
		Name:        name + " (telephone and online)",
		Description: "Reached by telephone and online from anywhere in " + a.name + ". " + demoSentence,
	})
	b.label(id, "location")
	return id
}

// attr tags the record linkID (a row of table entity) with a shipped term.
func (b *builder) attr(linkID, entity, taxonomy, code string) {
	term := directory.TermID(taxonomy, code)
	b.d.Attributes = append(b.d.Attributes, directory.Attribute{
		ID:     directory.NameUUID("demo:attribute:" + linkID + ":" + term),
		LinkID: linkID, TaxonomyTermID: term, LinkType: taxonomy, LinkEntity: entity,
	})
}

// label marks a record as fictional demo data.
func (b *builder) label(linkID, entity string) {
	b.attr(linkID, entity, directory.LabelTaxonomy, "demo-fictional")
}

// phone returns the next unused drama number with the given prefix.
func (b *builder) phone(prefix string) string {
	n := b.phones[prefix]
	if n > 999 {
		panic("demo: drama numbers used up for " + prefix)
	}
	b.phones[prefix] = n + 1
	return fmt.Sprintf("%s%03d", prefix, n)
}

// emailLocal is the local part of a service's address.
func emailLocal(o *offer, t *town) string {
	if o.perTown > 0 {
		return o.key + "." + slug(t.name)
	}
	return o.key
}

// slug lower-cases s and joins its words with hyphens.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		case r == '\'':
		default:
			dash = true
		}
	}
	return b.String()
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// inwardLetters are the letters a postcode's inward code may end with.
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

// postcode completes an outward code (postcode district) with an inward
// code picked by h.
func postcode(district string, h uint64) string {
	return fmt.Sprintf("%s %d%c%c", district, 1+h%9,
		inwardLetters[h/9%uint64(len(inwardLetters))], inwardLetters[h/180%uint64(len(inwardLetters))])
}

var firstNames = []string{
	"Priya", "Tom", "Aisha", "Gareth", "Joanne", "Tariq", "Helen", "Marcus", "Siobhan", "Dev",
	"Rachel", "Kwame", "Lauren", "Imran", "Beth", "Owen", "Nadia", "Craig", "Fiona", "Yusuf",
	"Claire", "Dominic", "Ruth", "Ade",
}

var surnames = []string{
	"Hallam", "Okafor", "Whitby", "Chaudhry", "Pennington", "Reid", "Marsden", "Kowalski", "Ashworth", "Begum",
	"Fairclough", "Mensah", "Lister", "O'Donnell", "Sutcliffe", "Patel", "Greaves", "Nwosu", "Holroyd", "Kaur",
	"Thackeray", "Adeyemi", "Booth", "Mahmood",
}
