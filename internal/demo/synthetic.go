package demo

import (
	"math/rand/v2"
	"strconv"
	"time"

	"throughcare/internal/directory"
)

// England's bounding box (Isles of Scilly to the Scottish border, Cornwall
// to East Anglia). Every synthetic location lies inside it.
const (
	EnglandMinLat = 49.86
	EnglandMaxLat = 55.82
	EnglandMinLon = -6.45
	EnglandMaxLon = 1.77
)

// synthSentence closes the description of every synthetic record.
const synthSentence = "Synthetic record for testing."

// kind is the vocabulary of one service type: endings for service names and
// phrases for descriptions, so that a keyword search finds services of the
// type it names.
type kind struct {
	typ    string
	nouns  []string
	topics []string
}

var kinds = []kind{
	{"community-mental-health-team", []string{"Community Mental Health Team", "Adult Mental Health Service"}, []string{"care coordination for severe mental illness", "psychiatric assessment", "medication review", "support for psychosis and bipolar disorder"}},
	{"nhs-talking-therapies", []string{"NHS Talking Therapies", "Talking Therapies Hub"}, []string{"CBT for anxiety and depression", "guided self-help", "counselling for low mood", "panic and worry groups"}},
	{"crisis-mental-health", []string{"Crisis Café", "Crisis Line", "Home Treatment Team"}, []string{"urgent mental health help", "a safe space in a crisis", "crisis assessment", "out-of-hours support"}},
	{"psychological-therapies", []string{"Psychological Therapies Service", "Trauma Therapy Service"}, []string{"trauma-focused therapy", "compassion-focused therapy", "EMDR for post-traumatic stress", "psychology assessment"}},
	{"early-intervention-psychosis", []string{"Early Intervention in Psychosis Team"}, []string{"first-episode psychosis care", "family intervention", "CBT for psychosis", "hearing voices support"}},
	{"eating-disorders", []string{"Eating Disorders Service"}, []string{"anorexia and bulimia treatment", "binge eating support", "dietitian advice", "physical health monitoring"}},
	{"perinatal-mental-health", []string{"Perinatal Mental Health Team"}, []string{"mental health care in pregnancy", "support after birth", "parent and baby work", "postnatal depression treatment"}},
	{"older-adults-mental-health", []string{"Older Adults Mental Health Team", "Memory Service"}, []string{"memory assessment", "dementia diagnosis", "later-life depression care", "home visits for older people"}},
	{"young-adults-transition", []string{"Young Adults Transition Service"}, []string{"support moving to adult services", "youth justice transition", "care leaver mental health", "young adult mentoring"}},
	{"complex-emotional-needs", []string{"Complex Emotional Needs Service", "Personality Disorder Service"}, []string{"structured clinical management", "emotional coping skills groups", "dialectical behaviour therapy", "personality disorder support"}},
	{"dual-diagnosis", []string{"Dual Diagnosis Service"}, []string{"joint mental health and substance use care", "co-occurring conditions support", "integrated treatment plans", "dual diagnosis nursing"}},
	{"suicide-prevention", []string{"Suicide Prevention Service", "Safety Planning Service"}, []string{"safety planning", "follow-up after self-harm", "suicide risk support", "postvention outreach"}},
	{"veterans-mental-health", []string{"Veterans Mental Health Service"}, []string{"support for armed forces veterans", "combat trauma treatment", "veterans peer groups", "military transition help"}},
	{"drug-alcohol-treatment", []string{"Drug and Alcohol Service", "Recovery Hub", "Alcohol Treatment Service"}, []string{"opioid substitution prescribing", "alcohol detox planning", "recovery key work", "mutual aid groups"}},
	{"harm-reduction", []string{"Needle Exchange", "Harm Reduction Service"}, []string{"sterile injecting equipment", "naloxone training", "blood-borne virus testing", "safer drug use advice"}},
	{"gp-primary-care", []string{"GP Practice", "Inclusion Health Practice", "Medical Centre"}, []string{"GP registration without ID or address", "same-day GP appointments", "long-term condition reviews", "prescriptions after release"}},
	{"physical-health-checks", []string{"Health Check Clinic"}, []string{"blood pressure checks", "diabetes screening", "liver health checks", "vaccinations and stop smoking support"}},
	{"dental-homeless", []string{"Dental Access Clinic"}, []string{"urgent dental care", "dental treatment for homeless people", "check-ups without a regular dentist", "dental pain relief"}},
	{"learning-disability", []string{"Learning Disability Team"}, []string{"easy-read health information", "learning disability nursing", "reasonable adjustments", "speech and language therapy"}},
	{"autism", []string{"Autism Service"}, []string{"adult autism assessment", "post-diagnosis support", "sensory needs advice", "autism awareness for probation"}},
	{"mhtr-provider", []string{"Mental Health Treatment Requirement Service"}, []string{"MHTR assessment for court", "treatment under a community order", "psychological sessions for the MHTR", "progress reports to probation"}},
	{"drr-provider", []string{"Drug Rehabilitation Requirement Team"}, []string{"DRR assessment", "drug testing for the court", "treatment under a drug rehabilitation requirement", "court review reports"}},
	{"atr-provider", []string{"Alcohol Treatment Requirement Team"}, []string{"ATR assessment", "alcohol treatment under a community order", "alcohol key work", "court progress reports"}},
	{"liaison-diversion", []string{"Liaison and Diversion Team"}, []string{"police custody assessment", "court liaison", "vulnerability screening", "diversion to support"}},
	{"reconnect", []string{"Care After Custody Service", "RECONNECT Service"}, []string{"support before and after release from prison", "meeting people at the prison gate", "linking prison leavers to community health care", "medication on release"}},
	{"opd-pathway", []string{"Personality Disorder Pathway Team"}, []string{"case consultation for probation", "psychological formulation", "OPD pathway interventions", "joint sessions with offender managers"}},
	{"womens-centre", []string{"Women's Centre"}, []string{"women-only support", "trauma-informed key work", "domestic abuse support", "women's groups"}},
	{"housing-support", []string{"Housing Support Service", "Supported Housing"}, []string{"supported accommodation", "tenancy sustainment", "help for prison leavers with nowhere to live", "homelessness prevention"}},
	{"peer-support", []string{"Peer Support Network", "Recovery Community"}, []string{"lived experience mentoring", "peer support groups", "recovery cafés", "buddying after release"}},
	{"bereavement", []string{"Bereavement Service"}, []string{"bereavement counselling", "support after a suicide", "drug-related death bereavement groups", "inquest support"}},
	{"debt-benefits-advice", []string{"Advice Centre", "Welfare Rights Service"}, []string{"benefits advice", "debt help", "Universal Credit claims on release", "budgeting support"}},
}

var (
	synthPlaces    = []string{"Community", "Central", "North", "South", "East", "West", "Riverside", "Parkside", "Eastgate", "Westfield", "Market", "Hillside", "Victoria", "Station Road", "Bridge Street", "Northgate"}
	synthOrgWords  = []string{"Harbour", "Beacon", "Compass", "Meadow", "Keystone", "Lantern", "Oakfield", "Willow", "Bridgeway", "Anchor", "Horizon", "Pathway", "Cedar", "Orchard", "Kestrel", "Heron"}
	synthOrgKinds  = []string{"Health Trust", "Recovery Partnership", "Community Interest Company", "Wellbeing Collective", "Support Services", "Care Network", "Health Partnership", "Foundation"}
	synthAudiences = []string{"adults on probation", "people leaving prison", "adults", "women", "young adults", "people on licence", "people with co-occurring needs", "people on community orders"}
	synthClosings  = []string{
		"Referrals from probation practitioners are welcome.",
		"Appointments are available in person or by phone.",
		"Drop-in sessions run on most weekdays.",
		"People can refer themselves.",
		"Prison healthcare teams can refer before release.",
		"Interpreters can be arranged.",
	}
	synthStreets1 = []string{"Mill", "Station", "Church", "Victoria", "Albert", "Market", "Bridge", "Park", "Queen", "King", "High", "Chapel", "School", "Canal", "Castle", "Grove", "Orchard", "Foundry"}
	synthStreets2 = []string{"Street", "Road", "Lane", "Row", "Terrace", "Way", "Walk", "Yard"}
	synthElig     = []string{
		"Adults aged 18 and over living in the area.",
		"Anyone in the area; no referral needed.",
		"Adults on probation or on licence in the area.",
		"People leaving prison for the area.",
		"Women aged 18 and over.",
		"Adults with co-occurring mental health and substance use needs.",
	}
	synthHowTo = []string{
		"Criteria: adults in the area.\nHow to refer: phone or use the online form.\nResponse time: within 5 working days.",
		"Criteria: open to all.\nHow to refer: drop in or phone.\nResponse time: same day.",
		"Criteria: people on probation.\nHow to refer: probation practitioners email the referral form.\nResponse time: within 3 working days.",
		"Criteria: prison leavers.\nHow to refer: prison healthcare refers before release.\nResponse time: before the release date.",
	}
	synthWaits = []string{"No wait.", "Within 1 week.", "2 to 4 weeks.", "About 6 weeks.", "3 months or more."}
)

// synthSchedules are the opening patterns synthetic services draw from; the
// first two are the main pattern, the rest extra sessions.
var synthSchedules = []slot{
	{weekdays, "09:00", "17:00", "Monday to Friday, 9am to 5pm."},
	{weekdays, "08:30", "16:30", "Monday to Friday, 8:30am to 4:30pm."},
	{"TU,TH", "17:00", "20:00", "Tuesday and Thursday evenings."},
	{"SA", "10:00", "13:00", "Saturday mornings."},
	{"MO,WE,FR", "10:00", "14:00", "Drop-in on Monday, Wednesday and Friday."},
	{"SU", "11:00", "15:00", "Sunday afternoons."},
}

var synthAlways = slot{everyDay, "00:00", "23:59", "Open 24 hours a day, every day."}

// Generate returns a synthetic directory of n services from about n/4
// organisations, for tests and benchmarks at realistic scale. Each service
// has one or two locations (with a service-at-location link and an address),
// a phone, one to three schedules, two to five attributes (one service type,
// the rest eligibility) and a service area. Locations are spread over
// England, mostly near real town centres. Names and descriptions come from
// the vocabulary of each service type, so keyword search behaves as on real
// data; every description ends "Synthetic record for testing." The same n
// and seed always give the same dataset. The justice-aware taxonomy is
// included. Generate panics if n is negative.
func Generate(n int, seed uint64) *directory.Dataset {
	if n < 0 {
		panic("demo: Generate with negative n")
	}
	g := newSynth(n, seed)
	nOrgs := max(1, (n+3)/4)
	orgTown := make([]int, nOrgs)
	for i := range nOrgs {
		orgTown[i] = g.org()
	}
	for i := range n {
		g.service(i%nOrgs, orgTown[i%nOrgs])
	}
	return g.d
}

// synth holds the state of one Generate run.
type synth struct {
	d        *directory.Dataset
	rng      *rand.Rand
	buf      []byte
	orgIDs   []string
	typeTerm []string // term id per kind
	eligTerm []string // eligibility term ids
	areaURI  []string // per town
	dates    []string // assured dates, by days before the reference date
	stamps   []string // last-modified times, by days before the reference date
}

func newSynth(n int, seed uint64) *synth {
	tax := directory.JusticeTaxonomy()
	d := &directory.Dataset{
		Taxonomies:         tax.Taxonomies,
		TaxonomyTerms:      tax.TaxonomyTerms,
		Organizations:      make([]directory.Organization, 0, n/4+1),
		Services:           make([]directory.Service, 0, n),
		Locations:          make([]directory.Location, 0, n*3/2+n/8),
		ServiceAtLocations: make([]directory.ServiceAtLocation, 0, n*3/2+n/8),
		Addresses:          make([]directory.Address, 0, n*3/2+n/8),
		Phones:             make([]directory.Phone, 0, n),
		Schedules:          make([]directory.Schedule, 0, n*2+n/8),
		Attributes:         make([]directory.Attribute, 0, n*7/2+n/8),
		ServiceAreas:       make([]directory.ServiceArea, 0, n),
	}
	g := &synth{d: d, rng: rand.New(rand.NewPCG(seed, 0x7468726f75676863)), buf: make([]byte, 0, 512)}
	for _, k := range kinds {
		g.typeTerm = append(g.typeTerm, directory.TermID(directory.ServiceTypeTaxonomy, k.typ))
	}
	for _, t := range directory.Terms(directory.EligibilityTaxonomy) {
		g.eligTerm = append(g.eligTerm, t.ID)
	}
	for _, t := range towns {
		g.areaURI = append(g.areaURI, areaURIPrefix+t.lad)
	}
	for day := range 366 {
		at := reference.AddDate(0, 0, -day)
		g.dates = append(g.dates, at.Format(time.DateOnly))
		g.stamps = append(g.stamps, at.Add(10*time.Hour).Format(time.RFC3339))
	}
	return g
}

// uuid returns a random version 4 UUID from the run's generator, so ids are
// reproducible for a seed without the cost of hashing names.
func (g *synth) uuid() string {
	const hex = "0123456789abcdef"
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	hi = hi&^(0xf<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	var b [36]byte
	j := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		b[j] = hex[nib]
		j++
	}
	return string(b[:])
}

func (g *synth) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *synth) str() string {
	s := string(g.buf)
	g.buf = g.buf[:0]
	return s
}

// org adds an organisation and returns the index of its home town.
func (g *synth) org() int {
	ti := g.rng.IntN(len(towns))
	t := &towns[ti]
	id := g.uuid()
	g.buf = append(g.buf, t.name...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(synthOrgWords)...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(synthOrgKinds)...)
	name := g.str()
	g.buf = append(g.buf, name...)
	g.buf = append(g.buf, " runs health and support services in and around "...)
	g.buf = append(g.buf, t.name...)
	g.buf = append(g.buf, ". "+synthSentence...)
	g.d.Organizations = append(g.d.Organizations, directory.Organization{ID: id, Name: name, Description: g.str()})
	g.orgIDs = append(g.orgIDs, id)
	return ti
}

func (g *synth) service(org, home int) {
	r := g.rng
	ti := home
	if r.IntN(5) == 0 {
		ti = r.IntN(len(towns))
	}
	t := &towns[ti]
	ki := r.IntN(len(kinds))
	k := &kinds[ki]
	id := g.uuid()

	g.buf = append(g.buf, t.name...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(synthPlaces)...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(k.nouns)...)
	name := g.str()

	nt := len(k.topics)
	a := r.IntN(nt)
	b := (a + 1 + r.IntN(nt-1)) % nt
	c := a
	for c == a || c == b {
		c = r.IntN(nt)
	}
	g.buf = append(g.buf, name...)
	g.buf = append(g.buf, " offers "...)
	g.buf = append(g.buf, k.topics[a]...)
	g.buf = append(g.buf, ", "...)
	g.buf = append(g.buf, k.topics[b]...)
	g.buf = append(g.buf, " and "...)
	g.buf = append(g.buf, k.topics[c]...)
	g.buf = append(g.buf, " for "...)
	g.buf = append(g.buf, g.pick(synthAudiences)...)
	g.buf = append(g.buf, " in "...)
	g.buf = append(g.buf, t.name...)
	g.buf = append(g.buf, " and nearby. "...)
	g.buf = append(g.buf, g.pick(synthClosings)...)
	g.buf = append(g.buf, " "+synthSentence...)
	desc := g.str()

	status := "active"
	if r.IntN(100) == 0 {
		status = "temporarily closed"
	}
	days := r.IntN(366)
	g.d.Services = append(g.d.Services, directory.Service{
		ID: id, OrganizationID: g.orgIDs[org], Name: name, Description: desc, Status: status,
		EligibilityDescription: g.pick(synthElig), ApplicationProcess: g.pick(synthHowTo), WaitTime: g.pick(synthWaits),
		MinimumAge: new(float64(16 + 2*r.IntN(2))), AssuredDate: g.dates[days], LastModified: g.stamps[days],
	})

	for range 1 + r.IntN(2) {
		g.location(id, org, ti)
	}

	num := r.IntN(1000)
	g.buf = append(g.buf, t.phone...)
	g.buf = append(g.buf, byte('0'+num/100), byte('0'+num/10%10), byte('0'+num%10))
	g.d.Phones = append(g.d.Phones, directory.Phone{ID: g.uuid(), ServiceID: id, Number: g.str(), Type: "voice"})

	if k.typ == "crisis-mental-health" && r.IntN(2) == 0 {
		g.schedule(id, &synthAlways)
	} else {
		g.schedule(id, &synthSchedules[r.IntN(2)])
		extras := len(synthSchedules) - 2
		first := r.IntN(extras)
		for i := range r.IntN(3) {
			g.schedule(id, &synthSchedules[2+(first+i)%extras])
		}
	}

	g.attr(id, directory.ServiceTypeTaxonomy, g.typeTerm[ki])
	var chosen [4]int
	nElig := 1 + r.IntN(4)
	for i := 0; i < nElig; {
		e := r.IntN(len(g.eligTerm))
		dup := false
		for _, c := range chosen[:i] {
			dup = dup || c == e
		}
		if dup {
			continue
		}
		chosen[i] = e
		i++
		g.attr(id, directory.EligibilityTaxonomy, g.eligTerm[e])
	}

	g.d.ServiceAreas = append(g.d.ServiceAreas, directory.ServiceArea{
		ID: g.uuid(), ServiceID: id, Name: t.ladName, URI: g.areaURI[ti],
	})
}

func (g *synth) schedule(serviceID string, sl *slot) {
	g.d.Schedules = append(g.d.Schedules, directory.Schedule{
		ID: g.uuid(), ServiceID: serviceID, Freq: "WEEKLY", WKST: "MO", ByDay: sl.days,
		OpensAt: sl.opens, ClosesAt: sl.closes, Description: sl.desc,
	})
}

func (g *synth) attr(linkID, taxonomy, termID string) {
	g.d.Attributes = append(g.d.Attributes, directory.Attribute{
		ID: g.uuid(), LinkID: linkID, TaxonomyTermID: termID, LinkType: taxonomy, LinkEntity: "service",
	})
}

// location adds a location of organisation org for service id, near town
// ti or, one time in ten, somewhere between it and another town.
func (g *synth) location(serviceID string, org, ti int) {
	r := g.rng
	t := &towns[ti]
	lat := t.lat + r.NormFloat64()*0.015
	lon := t.lon + r.NormFloat64()*0.025
	if r.IntN(10) == 0 {
		o := &towns[r.IntN(len(towns))]
		f := r.Float64()
		lat, lon = t.lat+(o.lat-t.lat)*f, t.lon+(o.lon-t.lon)*f
	}
	lat = round6(min(max(lat, EnglandMinLat), EnglandMaxLat))
	lon = round6(min(max(lon, EnglandMinLon), EnglandMaxLon))
	id := g.uuid()
	g.d.Locations = append(g.d.Locations, directory.Location{
		ID: id, LocationType: "physical", OrganizationID: g.orgIDs[org],
		Latitude: new(lat), Longitude: new(lon),
	})
	g.d.ServiceAtLocations = append(g.d.ServiceAtLocations, directory.ServiceAtLocation{
		ID: g.uuid(), ServiceID: serviceID, LocationID: id,
	})

	g.buf = strconv.AppendInt(g.buf, int64(1+r.IntN(240)), 10)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(synthStreets1)...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(synthStreets2)...)
	addr := g.str()
	g.buf = append(g.buf, g.pick(t.postcodes)...)
	g.buf = append(g.buf, ' ', byte('1'+r.IntN(9)), inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))])
	g.d.Addresses = append(g.d.Addresses, directory.Address{
		ID: g.uuid(), LocationID: id, Address1: addr, City: t.city, StateProvince: t.county,
		PostalCode: g.str(), Country: "GB", AddressType: "physical",
	})
}
