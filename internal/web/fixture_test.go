package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"throughcare/internal/directory"
)

// Ids of the fixture's records.
var (
	orgID       = directory.NameUUID("test:org:minds")
	emptyOrgID  = directory.NameUUID("test:org:empty")
	talkingID   = directory.NameUUID("test:service:talking")
	recoveryID  = directory.NameUUID("test:service:recovery")
	closedID    = directory.NameUUID("test:service:closed")
	talkTermID  = directory.TermID(directory.ServiceTypeTaxonomy, "nhs-talking-therapies")
	drugTermID  = directory.TermID(directory.ServiceTypeTaxonomy, "drug-alcohol-treatment")
	probTermID  = directory.TermID(directory.EligibilityTaxonomy, "referrals-from-probation")
	arsonTermID = directory.TermID(directory.EligibilityTaxonomy, "excludes-arson")
	demoTermID  = directory.TermID(directory.LabelTaxonomy, "demo-fictional")
	cityLocID   = directory.NameUUID("test:location:city")
	northLocID  = directory.NameUUID("test:location:north")
	onlineLocID = directory.NameUUID("test:location:online")
)

func num(v float64) *float64 { return &v }

// fixture returns a small directory: one organisation with three services
// (one fully described with two mapped locations, an online one and an area
// outline; one temporarily closed; one defunct), an organisation with no
// services, and Throughcare's shipped vocabulary (service types,
// eligibility, record labels).
func fixture() *directory.Dataset {
	attr := func(link, linkType, term, value string) directory.Attribute {
		return directory.Attribute{ID: directory.NameUUID("test:attr:" + link + term), LinkID: link, LinkType: linkType, TaxonomyTermID: term, Value: value}
	}
	vocab := directory.JusticeTaxonomy()
	return &directory.Dataset{
		Taxonomies:    vocab.Taxonomies,
		TaxonomyTerms: vocab.TaxonomyTerms,
		Organizations: []directory.Organization{
			{ID: orgID, Name: "Lincoln Minds", Description: "A mental health charity in Lincolnshire.", Website: "https://minds.example.org", Email: "hello@minds.example.org"},
			{ID: emptyOrgID, Name: "Quiet Trust", Description: "An organisation with nothing listed yet."},
		},
		Services: []directory.Service{
			{
				ID: talkingID, OrganizationID: orgID, Name: "Lincoln Talking Therapies", Status: "active",
				Description:            "Talking therapies for anxiety and depression.\n\nGroups and one-to-one sessions.",
				EligibilityDescription: "Adults living in Lincoln who are on probation or licence.",
				MinimumAge:             num(18),
				ApplicationProcess:     "Probation practitioners refer by email using the standard referral form.",
				WaitTime:               "About 3 weeks",
				URL:                    "https://minds.example.org/talking",
				Email:                  "talking@minds.example.org",
				AssuredDate:            "2025-03-04",
				LastModified:           "2025-06-30T10:00:00Z",
			},
			{
				ID: recoveryID, OrganizationID: orgID, Name: "Recovery Hub", Status: "temporarily closed",
				Description: "Drug and alcohol recovery support, closed for refurbishment.",
			},
			{ID: closedID, OrganizationID: orgID, Name: "Old Talking Service", Status: "defunct", Description: "Talking therapies that ended."},
		},
		Locations: []directory.Location{
			{ID: cityLocID, OrganizationID: orgID, LocationType: "physical", Name: "City Centre Clinic", Latitude: num(53.2307), Longitude: num(-0.5406), Transportation: "Bus 1 stops outside"},
			{ID: northLocID, OrganizationID: orgID, LocationType: "physical", Name: "", Latitude: num(53.2500), Longitude: num(-0.5300)},
			{ID: onlineLocID, OrganizationID: orgID, LocationType: "virtual", Name: "Online sessions", URL: "https://minds.example.org/online"},
		},
		ServiceAtLocations: []directory.ServiceAtLocation{
			{ID: directory.NameUUID("test:sal:city"), ServiceID: talkingID, LocationID: cityLocID},
			{ID: directory.NameUUID("test:sal:north"), ServiceID: talkingID, LocationID: northLocID, Description: "Evening groups only"},
			{ID: directory.NameUUID("test:sal:online"), ServiceID: talkingID, LocationID: onlineLocID},
		},
		Addresses: []directory.Address{
			{ID: directory.NameUUID("test:address:city"), LocationID: cityLocID, Address1: "1 High Street", City: "Lincoln", PostalCode: "LN1 1AA", Country: "GB", AddressType: "physical"},
			{ID: directory.NameUUID("test:address:north"), LocationID: northLocID, Address1: "2 North Road", City: "Lincoln", PostalCode: "LN2 2BB", Country: "GB", AddressType: "physical"},
		},
		Accessibility: []directory.Accessibility{
			{ID: directory.NameUUID("test:access:city"), LocationID: cityLocID, Description: "Step-free access", Details: "Lift to all floors"},
		},
		Phones: []directory.Phone{
			{ID: directory.NameUUID("test:phone:talking"), ServiceID: talkingID, Number: "01522 000 000", Type: "voice"},
			{ID: directory.NameUUID("test:phone:contact"), ContactID: directory.NameUUID("test:contact:liaison"), Number: "+44 1522 111 111"},
		},
		Contacts: []directory.Contact{
			{ID: directory.NameUUID("test:contact:liaison"), ServiceID: talkingID, Name: "Sam Patel", Title: "Probation liaison lead", Email: "sam.patel@minds.example.org"},
		},
		Schedules: []directory.Schedule{
			{ID: directory.NameUUID("test:schedule:week"), ServiceID: talkingID, Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:30"},
			{ID: directory.NameUUID("test:schedule:sat"), ServiceID: talkingID, Freq: "WEEKLY", ByDay: "SA", OpensAt: "10:00", ClosesAt: "12:00", Notes: "Drop-in only"},
			{ID: directory.NameUUID("test:schedule:line"), ServiceID: talkingID, Freq: "DAILY", OpensAt: "00:00", ClosesAt: "23:59", Description: "Crisis line"},
		},
		ServiceAreas: []directory.ServiceArea{
			{
				ID: directory.NameUUID("test:area:lincoln"), ServiceID: talkingID, Name: "Lincoln", Description: "City of Lincoln council area",
				ExtentType: "geojson",
				Extent:     `{"type":"Polygon","coordinates":[[[-0.60,53.20],[-0.48,53.20],[-0.48,53.27],[-0.60,53.27],[-0.60,53.20]]]}`,
			},
			{ID: directory.NameUUID("test:area:broken"), ServiceID: talkingID, Name: "Broken shape", ExtentType: "geojson", Extent: `{"type":"Polygon",`},
		},
		Languages: []directory.Language{
			{ID: directory.NameUUID("test:lang:en"), ServiceID: talkingID, Name: "English"},
			{ID: directory.NameUUID("test:lang:pl"), ServiceID: talkingID, Name: "Polish", Note: "by interpreter"},
		},
		Attributes: []directory.Attribute{
			attr(talkingID, "service", talkTermID, ""),
			attr(talkingID, "service", probTermID, "true"),
			attr(talkingID, "service", arsonTermID, ""),
			attr(talkingID, "service", demoTermID, ""),
			attr(recoveryID, "service", drugTermID, ""),
			attr(closedID, "service", talkTermID, ""),
			attr(orgID, "organization", demoTermID, ""),
		},
	}
}

// newTestServer returns a Server over the fixture, with its log in logBuf
// when that is not nil.
func newTestServer(t *testing.T, cfg Config, logBuf *bytes.Buffer) *Server {
	t.Helper()
	if cfg.Index == nil && cfg.Engine == nil {
		ix := directory.NewIndex(fixture())
		cfg.Index = func() *directory.Index { return ix }
	}
	var w io.Writer = t.Output()
	if logBuf != nil {
		w = logBuf
	}
	cfg.Logger = slog.New(slog.NewTextHandler(w, nil))
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// get serves a GET request for target and returns the response.
func get(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Result()
}

// body reads a response's body.
func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
