package directory

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

func vid(name string) string { return NameUUID("validate-test:" + name) }

func fp(f float64) *float64 { return &f }

// validDataset holds one valid row in every table, each linked to the others.
func validDataset() *Dataset {
	return &Dataset{
		Taxonomies:    []Taxonomy{{ID: vid("tax"), Name: "Types", Description: "Service types", URI: "https://example.org/types"}},
		TaxonomyTerms: []TaxonomyTerm{{ID: vid("term"), Name: "Counselling", Description: "Talking therapy", TaxonomyID: vid("tax")}, {ID: vid("term2"), Name: "Group", Description: "Group work", ParentID: vid("term"), TaxonomyID: vid("tax")}},
		Organizations: []Organization{{ID: vid("org"), Name: "Northgate Trust", Description: "A fictional trust", Email: "info@northgate.example", Website: "https://northgate.example"}},
		OrganizationIdentifiers: []OrganizationIdentifier{{ID: vid("ident"), OrganizationID: vid("org"),
			IdentifierType: "Charity number", Identifier: "1234567"}},
		Programs: []Program{{ID: vid("prog"), OrganizationID: vid("org"), Name: "Mind", Description: "Programme"}},
		Services: []Service{{ID: vid("svc"), OrganizationID: vid("org"), ProgramID: vid("prog"), Name: "Talk", Status: "active",
			MinimumAge: fp(18), MaximumAge: fp(65), AssuredDate: "2025-02-01", LastModified: "2025-02-01T09:30:00Z", URL: "https://northgate.example/talk"}},
		Locations:          []Location{{ID: vid("loc"), LocationType: "physical", OrganizationID: vid("org"), Latitude: fp(53.2), Longitude: fp(-0.54)}},
		ServiceAtLocations: []ServiceAtLocation{{ID: vid("sal"), ServiceID: vid("svc"), LocationID: vid("loc")}},
		Addresses: []Address{{ID: vid("addr"), LocationID: vid("loc"), Address1: "1 High St", City: "Lincoln",
			StateProvince: "Lincolnshire", PostalCode: "LN1 1AA", Country: "GB", AddressType: "physical"}},
		Contacts:          []Contact{{ID: vid("contact"), ServiceID: vid("svc"), Name: "Reception", Email: "desk@northgate.example"}},
		Phones:            []Phone{{ID: vid("phone"), ContactID: vid("contact"), Number: "01234 567890"}},
		Schedules:         []Schedule{{ID: vid("sched"), ServiceID: vid("svc"), Freq: "WEEKLY", WKST: "MO", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00:00", ValidFrom: "2025-01-01"}},
		ServiceAreas:      []ServiceArea{{ID: vid("area"), ServiceID: vid("svc"), Name: "Lincoln", ExtentType: "geojson", Extent: `{"type":"Point","coordinates":[-0.54,53.2]}`}},
		Languages:         []Language{{ID: vid("lang"), PhoneID: vid("phone"), Name: "Welsh", Code: "cy"}},
		Accessibility:     []Accessibility{{ID: vid("acc"), LocationID: vid("loc"), Description: "Step-free"}},
		CostOptions:       []CostOption{{ID: vid("cost"), ServiceID: vid("svc"), Amount: fp(0), ValidTo: "2026-12-31"}},
		Funding:           []Funding{{ID: vid("fund"), OrganizationID: vid("org"), Source: "Grant"}},
		RequiredDocuments: []RequiredDocument{{ID: vid("doc"), ServiceID: vid("svc"), Document: "Referral letter"}},
		Attributes:        []Attribute{{ID: vid("attr"), LinkID: vid("svc"), LinkType: "service", TaxonomyTermID: vid("term")}},
		Metadata: []Metadata{{ID: vid("meta"), ResourceID: vid("svc"), ResourceType: "service", LastActionDate: "2025-02-01",
			LastActionType: "create", FieldName: "*", UpdatedBy: "import"}},
	}
}

func TestValidateAcceptsValidData(t *testing.T) {
	if err := Validate(validDataset(), nil); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	if err := Validate(&Dataset{}, nil); err != nil {
		t.Fatalf("Validate(empty) = %v", err)
	}
	if err := Validate(JusticeTaxonomy(), nil); err != nil {
		t.Fatalf("Validate(shipped taxonomy) = %v", err)
	}
}

func TestValidateRules(t *testing.T) {
	missing := NameUUID("validate-test:missing")
	tests := []struct {
		name   string
		change func(d *Dataset)
		known  func(table, id string) bool
		record string
		field  string
		msg    string
	}{
		{"missing id", func(d *Dataset) { d.Funding[0].ID = "" }, nil, "funding #1", "id", "is required"},
		{"id not a uuid", func(d *Dataset) { d.Accessibility[0].ID = "acc-1" }, nil, "accessibility acc-1", "id", `"acc-1" is not a UUID`},
		{"duplicate id", func(d *Dataset) {
			d.Languages = append(d.Languages, Language{ID: vid("lang"), Name: "Polish"})
		}, nil, "language " + vid("lang"), "id", "duplicate id: another language has the same id"},
		{"service name required", func(d *Dataset) { d.Services[0].Name = "" }, nil, "service " + vid("svc"), "name", "is required"},
		{"service status required", func(d *Dataset) { d.Services[0].Status = "" }, nil, "service " + vid("svc"), "status", "is required"},
		{"organization description required", func(d *Dataset) { d.Organizations[0].Description = "" }, nil, "organization " + vid("org"), "description", "is required"},
		{"location type required", func(d *Dataset) { d.Locations[0].LocationType = "" }, nil, "location " + vid("loc"), "location_type", "is required"},
		{"address postcode required", func(d *Dataset) { d.Addresses[0].PostalCode = "" }, nil, "address " + vid("addr"), "postal_code", "is required"},
		{"address country required", func(d *Dataset) { d.Addresses[0].Country = "" }, nil, "address " + vid("addr"), "country", "is required"},
		{"phone number required", func(d *Dataset) { d.Phones[0].Number = "" }, nil, "phone " + vid("phone"), "number", "is required"},
		{"taxonomy description required", func(d *Dataset) { d.Taxonomies[0].Description = "" }, nil, "taxonomy " + vid("tax"), "description", "is required"},
		{"term name required", func(d *Dataset) { d.TaxonomyTerms[0].Name = "" }, nil, "taxonomy_term " + vid("term"), "name", "is required"},
		{"metadata updated_by required", func(d *Dataset) { d.Metadata[0].UpdatedBy = "" }, nil, "metadata " + vid("meta"), "updated_by", "is required"},
		{"identifier required", func(d *Dataset) { d.OrganizationIdentifiers[0].Identifier = "" }, nil, "organization_identifier " + vid("ident"), "identifier", "is required"},
		{"program description required", func(d *Dataset) { d.Programs[0].Description = "" }, nil, "program " + vid("prog"), "description", "is required"},
		{"service status enum", func(d *Dataset) { d.Services[0].Status = "open" }, nil, "service " + vid("svc"), "status", `"open" is not one of active, inactive, defunct, temporarily closed`},
		{"location type enum", func(d *Dataset) { d.Locations[0].LocationType = "building" }, nil, "location " + vid("loc"), "location_type", `"building" is not one of physical, postal, virtual`},
		{"address type enum", func(d *Dataset) { d.Addresses[0].AddressType = "home" }, nil, "address " + vid("addr"), "address_type", `"home" is not one of physical, postal, virtual`},
		{"freq enum", func(d *Dataset) { d.Schedules[0].Freq = "DAILY" }, nil, "schedule " + vid("sched"), "freq", `"DAILY" is not one of WEEKLY, MONTHLY`},
		{"wkst enum", func(d *Dataset) { d.Schedules[0].WKST = "monday" }, nil, "schedule " + vid("sched"), "wkst", `"monday" is not one of MO, TU, WE, TH, FR, SA, SU`},
		{"extent type enum", func(d *Dataset) { d.ServiceAreas[0].ExtentType = "shapefile" }, nil, "service_area " + vid("area"), "extent_type", `"shapefile" is not one of geojson, topojson, kml, text`},
		{"geojson extent must be JSON", func(d *Dataset) { d.ServiceAreas[0].Extent = "{not json" }, nil, "service_area " + vid("area"), "extent", "is not valid JSON, as extent_type geojson needs"},
		{"reference id not a uuid", func(d *Dataset) { d.Services[0].OrganizationID = "org-1" }, nil, "service " + vid("svc"), "organization_id", `"org-1" is not a UUID`},
		{"email format", func(d *Dataset) { d.Contacts[0].Email = "desk at northgate" }, nil, "contact " + vid("contact"), "email", `"desk at northgate" is not an email address`},
		{"email with display name", func(d *Dataset) { d.Organizations[0].Email = "Desk <desk@northgate.example>" }, nil, "organization " + vid("org"), "email", "is not an email address"},
		{"uri format", func(d *Dataset) { d.Organizations[0].Website = "www.northgate.example" }, nil, "organization " + vid("org"), "website", "is not a URI with a scheme"},
		{"date format", func(d *Dataset) { d.Services[0].AssuredDate = "01/02/2025" }, nil, "service " + vid("svc"), "assured_date", `"01/02/2025" is not a date (YYYY-MM-DD)`},
		{"impossible date", func(d *Dataset) { d.Schedules[0].ValidFrom = "2025-02-30" }, nil, "schedule " + vid("sched"), "valid_from", "is not a date"},
		{"cost valid_to date", func(d *Dataset) { d.CostOptions[0].ValidTo = "2026" }, nil, "cost_option " + vid("cost"), "valid_to", "is not a date"},
		{"date-time format", func(d *Dataset) { d.Services[0].LastModified = "2025-02-01 09:30" }, nil, "service " + vid("svc"), "last_modified", "is not a date and time (RFC 3339"},
		{"opens_at format", func(d *Dataset) { d.Schedules[0].OpensAt = "9am" }, nil, "schedule " + vid("sched"), "opens_at", `"9am" is not a time (HH:MM or HH:MM:SS`},
		{"closes_at out of range", func(d *Dataset) { d.Schedules[0].ClosesAt = "17:60" }, nil, "schedule " + vid("sched"), "closes_at", "is not a time"},
		{"closes_at past midnight", func(d *Dataset) { d.Schedules[0].ClosesAt = "24:30" }, nil, "schedule " + vid("sched"), "closes_at", "is not a time"},
		{"latitude range", func(d *Dataset) { d.Locations[0].Latitude = fp(91) }, nil, "location " + vid("loc"), "latitude", "91 is outside -90 to 90"},
		{"longitude range", func(d *Dataset) { d.Locations[0].Longitude = fp(-180.5) }, nil, "location " + vid("loc"), "longitude", "-180.5 is outside -180 to 180"},
		{"negative age", func(d *Dataset) { d.Services[0].MinimumAge = fp(-1) }, nil, "service " + vid("svc"), "minimum_age", "-1 must not be negative"},
		{"ages reversed", func(d *Dataset) { d.Services[0].MinimumAge = fp(70) }, nil, "service " + vid("svc"), "minimum_age", "70 is greater than maximum_age 65"},
		{"unknown organization", func(d *Dataset) { d.Services[0].OrganizationID = missing }, nil, "service " + vid("svc"), "organization_id", `unknown organization "` + missing + `"`},
		{"unknown program", func(d *Dataset) { d.Services[0].ProgramID = missing }, nil, "service " + vid("svc"), "program_id", "unknown program"},
		{"unknown parent organization", func(d *Dataset) { d.Organizations[0].ParentOrganizationID = missing }, nil, "organization " + vid("org"), "parent_organization_id", "unknown organization"},
		{"unknown service of service_at_location", func(d *Dataset) { d.ServiceAtLocations[0].ServiceID = missing }, nil, "service_at_location " + vid("sal"), "service_id", "unknown service"},
		{"unknown location of service_at_location", func(d *Dataset) { d.ServiceAtLocations[0].LocationID = missing }, nil, "service_at_location " + vid("sal"), "location_id", "unknown location"},
		{"unknown contact of phone", func(d *Dataset) { d.Phones[0].ContactID = missing }, nil, "phone " + vid("phone"), "contact_id", "unknown contact"},
		{"unknown phone of language", func(d *Dataset) { d.Languages[0].PhoneID = missing }, nil, "language " + vid("lang"), "phone_id", "unknown phone"},
		{"unknown taxonomy of term", func(d *Dataset) { d.TaxonomyTerms[0].TaxonomyID = missing }, nil, "taxonomy_term " + vid("term"), "taxonomy_id", "unknown taxonomy"},
		{"unknown parent term", func(d *Dataset) { d.TaxonomyTerms[1].ParentID = missing }, nil, "taxonomy_term " + vid("term2"), "parent_id", "unknown taxonomy term"},
		{"unknown taxonomy term of attribute", func(d *Dataset) { d.Attributes[0].TaxonomyTermID = missing }, nil, "attribute " + vid("attr"), "taxonomy_term_id",
			`unknown taxonomy term "` + missing + `" (the attribute of service ` + vid("svc") + `)`},
		{"unknown record of attribute", func(d *Dataset) { d.Attributes[0].LinkID = missing }, nil, "attribute " + vid("attr"), "link_id", "unknown service"},
		{"unknown record in another table", func(d *Dataset) { d.Services[0].OrganizationID = vid("loc") }, nil, "service " + vid("svc"), "organization_id", "unknown organization"},
		{"reference to a stored record", func(d *Dataset) {
			d.Attributes[0].TaxonomyTermID = missing
			d.Services[0].Name = ""
		}, func(table, id string) bool { return table == "taxonomy_term" && id == missing }, "service " + vid("svc"), "name", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDataset()
			tt.change(d)
			err := Validate(d, tt.known)
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v is not apperr.Invalid", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			if ve.Total != 1 || len(ve.Problems) != 1 {
				t.Fatalf("got %d problems, want exactly 1:\n%v", ve.Total, err)
			}
			p := ve.Problems[0]
			if p.Record != tt.record || p.Field != tt.field || !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("problem = {Record:%q Field:%q Msg:%q}\nwant    {Record:%q Field:%q Msg containing %q}", p.Record, p.Field, p.Msg, tt.record, tt.field, tt.msg)
			}
			var fe *apperr.FieldError
			if !errors.As(err, &fe) || fe != p {
				t.Errorf("errors.As did not find the first problem")
			}
		})
	}
}

func TestValidateKnownRecords(t *testing.T) {
	d := &Dataset{Services: []Service{{ID: vid("svc"), OrganizationID: vid("stored-org"), Name: "Talk", Status: "active"}}}
	if err := Validate(d, nil); err == nil {
		t.Fatal("a reference to an organisation that is nowhere passed")
	}
	asked := ""
	known := func(table, id string) bool { asked = table + " " + id; return id == vid("stored-org") }
	if err := Validate(d, known); err != nil {
		t.Fatalf("a reference to a stored organisation failed: %v", err)
	}
	if asked != "organization "+vid("stored-org") {
		t.Errorf("known was asked %q", asked)
	}
}

func TestValidateOrderAndLimit(t *testing.T) {
	d := validDataset()
	// Problems in two tables, the later table's rows added first.
	for i := range 30 {
		d.Attributes = append(d.Attributes, Attribute{ID: fmt.Sprintf("attr-%d", i)})
	}
	d.Taxonomies[0].Name = ""
	err := Validate(d, nil)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	if ve.Total != 31 || len(ve.Problems) != MaxProblems {
		t.Fatalf("Total %d, listed %d; want 31 and %d", ve.Total, len(ve.Problems), MaxProblems)
	}
	if got := ve.Problems[0].Error(); got != "taxonomy "+vid("tax")+": name: is required" {
		t.Errorf("first problem = %q, want the taxonomy's (taxonomies come first)", got)
	}
	if got := ve.Problems[1].Error(); got != `attribute attr-0: id: "attr-0" is not a UUID` {
		t.Errorf("second problem = %q", got)
	}
	if !strings.HasSuffix(err.Error(), "\n(and 11 more problems)") {
		t.Errorf("message does not end with the count of unlisted problems:\n%s", err)
	}
	if n := strings.Count(err.Error(), "\n"); n != MaxProblems {
		t.Errorf("message has %d lines, want %d", n+1, MaxProblems+1)
	}
}

func TestColumnFormatAndRequired(t *testing.T) {
	for _, c := range []struct{ table, col, want string }{
		{"service", "id", FormatUUID}, {"phone", "service_at_location_id", FormatUUID}, {"service", "email", FormatEmail},
		{"organization", "website", FormatURI}, {"service", "last_modified", FormatDateTime}, {"schedule", "opens_at", FormatTime},
		{"service", "assured_date", FormatDate}, {"service", "name", ""}, {"location", "latitude", ""},
	} {
		if got := ColumnFormat(c.table, c.col); got != c.want {
			t.Errorf("ColumnFormat(%s, %s) = %q, want %q", c.table, c.col, got, c.want)
		}
	}
	if got := strings.Join(RequiredColumns("address"), ","); got != "id,address_1,city,state_province,postal_code,country,address_type" {
		t.Errorf("RequiredColumns(address) = %s", got)
	}
	if got := strings.Join(RequiredColumns("contact"), ","); got != "id" {
		t.Errorf("RequiredColumns(contact) = %s", got)
	}
}

func TestValidClock(t *testing.T) {
	for s, want := range map[string]bool{
		"00:00": true, "09:30": true, "23:59:59": true, "24:00": true, "24:00:00": true,
		"09:30Z": true, "09:30:00Z": true, "09:30+01:00": true, "09:30:00-05:30": true,
		"24:01": false, "9:30": false, "09:3": false, "09-30": false, "09:30:60": false, "09:30:5a": false, "": false,
		"09:30+1:00": false, "09:30+24:00": false, "Z": false, "09:30ZZ": false, "09:30 +01:00": false,
	} {
		if got := validClock(s); got != want {
			t.Errorf("validClock(%q) = %v, want %v", s, got, want)
		}
	}
}
