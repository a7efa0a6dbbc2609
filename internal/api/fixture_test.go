package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"throughcare/internal/directory"
	"throughcare/internal/search"
)

// id gives every fixture record a stable UUID from a readable name.
func id(name string) string { return directory.NameUUID("api-test:" + name) }

func num(f float64) *float64 { return &f }

// Fixture: two organisations, four services, three locations (two with
// coordinates, in Lincoln and Sleaford, one virtual), five links, two
// taxonomies. Service names sort as Crisis, Drug, Talking, Youth.
var (
	taxTypes, taxElig         = id("tax:types"), id("tax:eligibility")
	termMH, termTalk, termSub = id("term:mh"), id("term:talking"), id("term:substance")
	termProbation             = id("term:probation")
	orgMinds, orgRecovery     = id("org:minds"), id("org:recovery")
	svcTalk, svcCrisis        = id("svc:talking"), id("svc:crisis")
	svcDrugs, svcYouth        = id("svc:drugs"), id("svc:youth")
	locLincoln, locSleaford   = id("loc:lincoln"), id("loc:sleaford")
	locOnline                 = id("loc:online")
	program                   = id("program:adults")
)

// Coordinates of the two physical locations.
const (
	lincolnLat, lincolnLon   = 53.2307, -0.5406
	sleafordLat, sleafordLon = 52.9990, -0.4090
)

func fixture() *directory.Dataset {
	meta := func(resource, typ string) directory.Metadata {
		return directory.Metadata{
			ID: id("meta:" + resource), ResourceID: resource, ResourceType: typ,
			LastActionDate: "2024-03-01T10:00:00Z", LastActionType: "create", FieldName: "name",
			PreviousValue: "(none)", ReplacementValue: "created", UpdatedBy: "import",
		}
	}
	attr := func(link, typ, term string) directory.Attribute {
		return directory.Attribute{ID: id("attr:" + link + term), LinkID: link, LinkType: typ, TaxonomyTermID: term}
	}
	sched := func(name, svc, sal, byday, opens, closes string) directory.Schedule {
		return directory.Schedule{
			ID: id("sched:" + name), ServiceID: svc, ServiceAtLocationID: sal, Freq: "WEEKLY", ByDay: byday,
			OpensAt: opens, ClosesAt: closes, Description: name,
		}
	}
	return &directory.Dataset{
		Taxonomies: []directory.Taxonomy{
			{ID: taxTypes, Name: "Service types", Description: "What kind of help a service gives.", URI: "https://example.org/types", Version: "1"},
			{ID: taxElig, Name: "Eligibility", Description: "Who a service accepts."},
		},
		TaxonomyTerms: []directory.TaxonomyTerm{
			{ID: termMH, Code: "mental-health", Name: "Mental health", Description: "Help with mental health.", TaxonomyID: taxTypes, Taxonomy: "Service types"},
			{ID: termTalk, Code: "talking-therapies", Name: "Talking therapies", Description: "Counselling and psychological therapy.", TaxonomyID: taxTypes, ParentID: termMH},
			{ID: termSub, Code: "substance-misuse", Name: "Substance misuse", Description: "Drug and alcohol treatment.", TaxonomyID: taxTypes, TermURI: "https://example.org/types/substance"},
			{ID: termProbation, Code: "probation-referrals", Name: "Accepts probation referrals", Description: "Takes referrals from probation.", TaxonomyID: taxElig},
		},
		Organizations: []directory.Organization{
			{ID: orgMinds, Name: "Lincoln Minds", AlternateName: "LM", Description: "A mental health charity in Lincolnshire.", Email: "hello@minds.example.org", Website: "https://minds.example.org", YearIncorporated: num(1998)},
			{ID: orgRecovery, Name: "Recovery Together", Description: "Drug and alcohol recovery services."},
		},
		OrganizationIdentifiers: []directory.OrganizationIdentifier{
			{ID: id("ident:minds"), OrganizationID: orgMinds, IdentifierScheme: "GB-CHC", IdentifierType: "Charity number", Identifier: "1234567"},
		},
		Programs: []directory.Program{
			{ID: program, OrganizationID: orgMinds, Name: "Adult therapies", Description: "Therapies for adults."},
		},
		Services: []directory.Service{
			{
				ID: svcTalk, OrganizationID: orgMinds, ProgramID: program, Name: "Talking Space", Status: "active",
				Description: "Counselling for adults on probation.", URL: "https://minds.example.org/talking", Email: "talk@minds.example.org",
				MinimumAge: num(18), MaximumAge: num(65), LastModified: "2024-03-01T10:00:00Z", AssuredDate: "2024-02-01",
				EligibilityDescription: "Adults under probation supervision.",
			},
			{
				ID: svcCrisis, OrganizationID: orgMinds, Name: "Crisis Line", Status: "active",
				Description: "Round-the-clock support in a mental health crisis.", LastModified: "2024-06-01T00:00:00+01:00",
			},
			{
				ID: svcDrugs, OrganizationID: orgRecovery, Name: "Drug and Alcohol Recovery", AlternateName: "DARS", Status: "active",
				Description: "Support groups for women.", MinimumAge: num(18),
			},
			{
				ID: svcYouth, OrganizationID: orgRecovery, Name: "Youth Outreach", Status: "temporarily closed",
				Description: "Street outreach for young people.", MinimumAge: num(10), MaximumAge: num(17), LastModified: "2023-01-01T00:00:00Z",
			},
		},
		Locations: []directory.Location{
			{ID: locLincoln, LocationType: "physical", Name: "Lincoln hub", Latitude: num(lincolnLat), Longitude: num(lincolnLon)},
			{ID: locSleaford, LocationType: "physical", Name: "Sleaford office", Latitude: num(sleafordLat), Longitude: num(sleafordLon)},
			{ID: locOnline, LocationType: "virtual", Name: "Online", URL: "https://minds.example.org/online"},
		},
		ServiceAtLocations: []directory.ServiceAtLocation{
			{ID: id("sal:talk-lincoln"), ServiceID: svcTalk, LocationID: locLincoln, Description: "talk@lincoln"},
			{ID: id("sal:talk-sleaford"), ServiceID: svcTalk, LocationID: locSleaford, Description: "talk@sleaford"},
			{ID: id("sal:drugs-lincoln"), ServiceID: svcDrugs, LocationID: locLincoln, Description: "drugs@lincoln"},
			{ID: id("sal:crisis-online"), ServiceID: svcCrisis, LocationID: locOnline, Description: "crisis@online"},
			{ID: id("sal:youth-sleaford"), ServiceID: svcYouth, LocationID: locSleaford, Description: "youth@sleaford"},
		},
		Addresses: []directory.Address{
			{ID: id("addr:lincoln"), LocationID: locLincoln, Address1: "1 High Street", City: "Lincoln", StateProvince: "Lincolnshire", PostalCode: "LN1 1AA", Country: "GB", AddressType: "physical"},
			{ID: id("addr:sleaford"), LocationID: locSleaford, Address1: "2 Market Place", City: "Sleaford", StateProvince: "Lincolnshire", PostalCode: "NG34 7SH", Country: "GB", AddressType: "physical"},
		},
		Phones: []directory.Phone{
			{ID: id("phone:talk"), ServiceID: svcTalk, Number: "01522 000001", Type: "voice", Description: "Bookings"},
			{ID: id("phone:crisis"), ServiceID: svcCrisis, Number: "0800 000002", Type: "voice"},
			{ID: id("phone:minds"), OrganizationID: orgMinds, Number: "01522 000000"},
			{ID: id("phone:lincoln"), LocationID: locLincoln, Number: "01522 000003"},
			{ID: id("phone:contact"), ContactID: id("contact:talk"), Number: "01522 000004"},
		},
		Contacts: []directory.Contact{
			{ID: id("contact:talk"), ServiceID: svcTalk, Name: "Sam Carter", Title: "Probation liaison", Email: "sam@minds.example.org"},
		},
		Schedules: []directory.Schedule{
			sched("talk weekdays", svcTalk, "", "MO,TU,WE", "09:00", "17:00"),
			sched("crisis always", svcCrisis, "", "MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00"),
			sched("drugs thursday evening", "", id("sal:drugs-lincoln"), "TH", "18:00:00", "21:00:00"),
		},
		ServiceAreas: []directory.ServiceArea{
			{ID: id("area:talk"), ServiceID: svcTalk, Name: "Lincoln", URI: "https://statistics.data.gov.uk/id/statistical-geography/E07000138"},
		},
		Languages: []directory.Language{
			{ID: id("lang:talk"), ServiceID: svcTalk, Name: "English", Code: "en"},
			{ID: id("lang:phone"), PhoneID: id("phone:talk"), Name: "Polish", Code: "pl"},
		},
		Accessibility: []directory.Accessibility{
			{ID: id("access:lincoln"), LocationID: locLincoln, Description: "Step-free entrance", URL: "https://minds.example.org/access"},
		},
		CostOptions: []directory.CostOption{
			{ID: id("cost:talk"), ServiceID: svcTalk, Option: "Free", Currency: "GBP", Amount: num(0.5), AmountDescription: "Per session, waived on referral"},
		},
		Funding: []directory.Funding{
			{ID: id("fund:talk"), ServiceID: svcTalk, Source: "NHS Lincolnshire ICB"},
		},
		RequiredDocuments: []directory.RequiredDocument{
			{ID: id("doc:talk"), ServiceID: svcTalk, Document: "Referral form", URI: "https://minds.example.org/form"},
		},
		Attributes: []directory.Attribute{
			attr(svcTalk, "service", termTalk),
			attr(svcTalk, "service", termProbation),
			attr(svcCrisis, "service", termMH),
			attr(svcDrugs, "service", termSub),
			attr(orgMinds, "organization", termMH),
		},
		Metadata: []directory.Metadata{meta(svcTalk, "service"), meta(orgMinds, "organization")},
	}
}

// newTestHandler serves the fixture (or d) and logs to the test.
func newTestHandler(t testing.TB, d *directory.Dataset) http.Handler {
	t.Helper()
	if d == nil {
		d = fixture()
	}
	if err := directory.Validate(d, nil); err != nil {
		t.Fatalf("test data is not valid HSDS: %v", err)
	}
	return New(Config{Engine: engineOf(d), Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
}

// engineOf indexes d and returns a Config.Engine that always serves it.
func engineOf(d *directory.Dataset) func() *search.Engine {
	e := search.New(directory.NewIndex(d))
	return func() *search.Engine { return e }
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// get sends a GET through h.
func get(t testing.TB, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

// mustOK checks a 200 JSON answer and returns its body.
func mustOK(t testing.TB, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	return rec.Body.Bytes()
}

// page is the envelope as a client reads it.
type page struct {
	TotalItems int               `json:"total_items"`
	TotalPages int               `json:"total_pages"`
	PageNumber int               `json:"page_number"`
	Size       int               `json:"size"`
	FirstPage  bool              `json:"first_page"`
	LastPage   bool              `json:"last_page"`
	Empty      bool              `json:"empty"`
	Contents   []json.RawMessage `json:"contents"`
}

func getPage(t testing.TB, h http.Handler, target string) page {
	t.Helper()
	var p page
	body := mustOK(t, get(t, h, target))
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	if p.Contents == nil {
		t.Fatalf("%s: contents missing or null: %s", target, body)
	}
	return p
}

// field returns one string field of every item.
func (p page) field(t testing.TB, name string) []string {
	t.Helper()
	out := []string{}
	for _, c := range p.Contents {
		var m map[string]any
		if err := json.Unmarshal(c, &m); err != nil {
			t.Fatal(err)
		}
		s, _ := m[name].(string)
		out = append(out, s)
	}
	return out
}

func sameStrings(a, b []string) bool { return slices.Equal(a, b) }

func newBufLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
