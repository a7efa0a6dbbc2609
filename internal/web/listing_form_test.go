package web

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/listing"
)

func TestParseClock(t *testing.T) {
	for _, c := range []struct {
		in      string
		closing bool
		want    string
		ok      bool
	}{
		{"9", false, "09:00", true},
		{"9:30", false, "09:30", true},
		{"09.30", false, "09:30", true},
		{" 17:05 ", false, "17:05", true},
		{"24:00", true, "24:00", true},
		{"24:00", false, "", false},
		{"25:00", true, "", false},
		{"9:5", false, "", false},
		{"9:60", false, "", false},
		{"nine", false, "", false},
		{"123:00", false, "", false},
		{"", false, "", false},
	} {
		got, ok := parseClock(c.in, c.closing)
		if got != c.want || ok != c.ok {
			t.Errorf("parseClock(%q, %v) = %q, %v; want %q, %v", c.in, c.closing, got, ok, c.want, c.ok)
		}
	}
}

// talkingDraft returns a draft of the fixture's talking therapies listing
// (with the counties its addresses lack) and a form showing it.
func talkingDraft(t *testing.T) (*directory.Index, listing.Draft, *ListingForm) {
	t.Helper()
	ds := fixture()
	for i := range ds.Addresses {
		ds.Addresses[i].StateProvince = "Lincolnshire"
	}
	ix := directory.NewIndex(ds)
	d, err := listing.NewDraft(ix.Dataset(), talkingID)
	if err != nil {
		t.Fatal(err)
	}
	return ix, d, newListingForm(ix, d)
}

// post returns the values the form f would post as shown.
func post(f *ListingForm) url.Values {
	v := url.Values{}
	for k, val := range f.Values {
		v.Set(k, val)
	}
	for _, d := range f.Days {
		v.Set(d.Field()+"opens", d.Opens)
		v.Set(d.Field()+"closes", d.Closes)
		if d.Closed {
			v.Set(d.Field()+"closed", "1")
		}
	}
	for _, g := range f.Types {
		for _, o := range append([]TypeOption{g.TypeOption}, g.Children...) {
			if o.Selected {
				v.Add("type", o.Code)
			}
		}
	}
	for _, o := range slices.Concat(f.Accepts, f.Excludes) {
		if o.Selected {
			v.Add("eligibility", o.Code)
		}
	}
	return v
}

func TestListingFormUnchangedChangesNothing(t *testing.T) {
	ix, d, f := talkingDraft(t)
	before := d.Clone()
	g := readListingForm(ix, f, post(f))
	g.check(ix, post(f))
	g.apply(context.Background(), ix, &d, nil)
	if g.failed() {
		t.Fatalf("errors: %v", g.Errors)
	}
	changes := listing.Diff(before.Dataset, d.Dataset, talkingID)
	// The only change is the daily schedule, which HSDS writes weekly.
	for _, c := range changes {
		if c.Record != "schedule" || c.RecordID != directory.NameUUID("test:schedule:line") {
			t.Errorf("unchanged form changed %+v", c)
		}
	}
}

func TestListingFormWeek(t *testing.T) {
	ix, d, f := talkingDraft(t)
	if got := f.Days[0]; got.Opens != "09:00" || got.Closes != "17:30" || got.Closed {
		t.Errorf("Monday = %+v", got)
	}
	if got := f.Days[6]; !got.Closed {
		t.Errorf("Sunday is not shown closed: %+v", got)
	}
	if len(f.OtherHours) != 1 || !strings.Contains(f.OtherHours[0].Detail, "Crisis line") {
		t.Errorf("other hours = %+v", f.OtherHours)
	}
	v := post(f)
	v.Set("hours_fr_closes", "16:00") // Friday closes early
	v.Del("hours_su_closed")          // Sunday opens
	v.Set("hours_su_opens", "10")
	v.Set("hours_su_closes", "12:00")
	g := readListingForm(ix, f, v)
	g.check(ix, v)
	g.apply(context.Background(), ix, &d, nil)
	if g.failed() {
		t.Fatalf("errors: %v", g.Errors)
	}
	byTimes := map[string]directory.Schedule{}
	for _, sc := range d.Dataset.Schedules {
		if sc.Freq == "WEEKLY" && sc.Description == "" {
			byTimes[sc.OpensAt+"-"+sc.ClosesAt] = sc
		}
	}
	week, sat := byTimes["09:00-17:30"], byTimes["10:00-12:00"]
	if week.ID != directory.NameUUID("test:schedule:week") || week.ByDay != "MO,TU,WE,TH" {
		t.Errorf("weekday schedule = %+v, want the same record on Monday to Thursday", week)
	}
	if sat.ID != directory.NameUUID("test:schedule:sat") || sat.ByDay != "SA,SU" || sat.Notes != "Drop-in only" {
		t.Errorf("weekend schedule = %+v, want the Saturday record, with its notes, on both days", sat)
	}
	if fri, ok := byTimes["09:00-16:00"]; !ok || fri.ByDay != "FR" || fri.ServiceID != talkingID {
		t.Errorf("Friday schedule = %+v, %v", fri, ok)
	}

	// Closing every day removes the weekly schedules and keeps the rest.
	v = post(f)
	for _, day := range f.Days {
		v.Set(day.Field()+"opens", "")
		v.Set(day.Field()+"closes", "")
	}
	_, d, _ = talkingDraft(t)
	g = readListingForm(ix, f, v)
	g.check(ix, v)
	g.apply(context.Background(), ix, &d, nil)
	var left []string
	for _, sc := range d.Dataset.Schedules {
		left = append(left, sc.ID)
	}
	if !slices.Equal(left, []string{directory.NameUUID("test:schedule:line")}) {
		t.Errorf("schedules left = %v, want only the crisis line", left)
	}
}

func TestListingFormLiaisonAndRemoval(t *testing.T) {
	ix, d, f := talkingDraft(t)
	v := post(f)
	v.Set("liaison_name", "Jo Liaison")
	v.Set("liaison_phone", "01522 123 456")
	v.Set("response_time", "2")
	v.Set("response_time_unit", "week")
	v.Add("remove", recordKey("contact", directory.NameUUID("test:contact:liaison")))
	v.Add("remove", recordKey("service", talkingID))
	g := readListingForm(ix, f, v)
	g.check(ix, v)
	g.apply(context.Background(), ix, &d, nil)
	if g.failed() {
		t.Fatalf("errors: %v", g.Errors)
	}
	ref := d.Referral()
	c := contactOf(d.Dataset, ref.LiaisonID)
	if c == nil || c.Name != "Jo Liaison" || c.ServiceID != talkingID || contactPhone(d.Dataset, c.ID).Number != "01522 123 456" {
		t.Fatalf("liaison = %+v", c)
	}
	if ref.ResponseTime != "2 weeks" {
		t.Errorf("response time = %q", ref.ResponseTime)
	}
	// The removed contact went with its phone; the service stays.
	if contactOf(d.Dataset, directory.NameUUID("test:contact:liaison")) != nil || contactPhone(d.Dataset, directory.NameUUID("test:contact:liaison")) != nil {
		t.Errorf("the removed contact or its phone is still in the draft")
	}
	if d.Service() == nil || d.ServiceID() != talkingID {
		t.Errorf("the service was removed")
	}

	// Clearing the liaison's details removes the liaison.
	ix2, d2, f2 := ix, d, newListingForm(ix, d)
	v = post(f2)
	for _, k := range []string{"liaison_name", "liaison_title", "liaison_email", "liaison_phone"} {
		v.Set(k, "")
	}
	g = readListingForm(ix2, f2, v)
	g.check(ix2, v)
	g.apply(context.Background(), ix2, &d2, nil)
	if d2.Referral().LiaisonID != "" || contactOf(d2.Dataset, ref.LiaisonID) != nil {
		t.Errorf("the liaison is still there after clearing it")
	}
}

func TestListingFormNewLocation(t *testing.T) {
	ix, d, f := talkingDraft(t)
	v := post(f)
	v.Set("new_location_name", "Riverside Hub")
	v.Set("new_location_address_1", "9 River Lane")
	v.Set("new_location_city", "Lincoln")
	v.Set("new_location_state_province", "Lincolnshire")
	v.Set("new_location_postal_code", "ln5 7ab")
	v.Set("loc_"+cityLocID+"_postal_code", "LN2 1AA")
	v.Add("remove", recordKey("service_area", directory.NameUUID("test:area:broken")))
	lookup := func(_ context.Context, pc string) (geo.Point, []string, error) {
		return geo.Point{Lat: 53.2, Lon: -0.55}, nil, nil
	}
	g := readListingForm(ix, f, v)
	g.check(ix, v)
	g.apply(context.Background(), ix, &d, lookup)
	if g.failed() {
		t.Fatalf("errors: %v", g.Errors)
	}
	var loc *directory.Location
	for i := range d.Dataset.Locations {
		if d.Dataset.Locations[i].Name == "Riverside Hub" {
			loc = &d.Dataset.Locations[i]
		}
	}
	if loc == nil || loc.OrganizationID != orgID || loc.Latitude == nil || *loc.Latitude != 53.2 {
		t.Fatalf("new location = %+v", loc)
	}
	a := addressOf(d.Dataset, loc.ID)
	if a == nil || a.PostalCode != "LN5 7AB" || a.Country != "GB" || a.StateProvince != "Lincolnshire" {
		t.Errorf("new address = %+v", a)
	}
	if !slices.ContainsFunc(d.Dataset.ServiceAtLocations, func(s directory.ServiceAtLocation) bool {
		return s.LocationID == loc.ID && s.ServiceID == talkingID
	}) {
		t.Errorf("the new location is not linked to the service")
	}
	city := locationOf(d.Dataset, cityLocID)
	if addressOf(d.Dataset, cityLocID).PostalCode != "LN2 1AA" || *city.Latitude != 53.2 {
		t.Errorf("a moved location keeps its old position: %+v", city)
	}
	if err := listing.Validate(d, orgID, ix.Dataset()); err != nil {
		t.Errorf("the draft with the new location does not validate: %v", err)
	}
}

func TestDiffRows(t *testing.T) {
	ix := directory.NewIndex(fixture())
	arson := directory.NameUUID("test:attr:" + talkingID + arsonTermID)
	rows := diffRows(ix, nil, []listing.FieldChange{
		{Record: "service", RecordID: talkingID, Action: listing.ActionUpdate, Field: "wait_time", Before: "About 3 weeks", After: "About 2 weeks"},
		{Record: "address", RecordID: directory.NameUUID("test:address:city"), Action: listing.ActionUpdate, Field: "postal_code", Before: "LN1 1AA", After: "LN2 1AA"},
		{Record: "schedule", RecordID: directory.NameUUID("test:schedule:week"), Action: listing.ActionUpdate, Field: "byday", Before: "MO,TU", After: "MO"},
		{Record: "attribute", RecordID: arson, Action: listing.ActionDelete, Field: "link_id", Before: talkingID},
		{Record: "attribute", RecordID: arson, Action: listing.ActionDelete, Field: "taxonomy_term_id", Before: arsonTermID},
		{Record: "service_at_location", RecordID: directory.NameUUID("test:sal:city"), Action: listing.ActionDelete, Field: "location_id", Before: cityLocID},
	})
	want := []DiffRow{
		{Field: "Waiting time", Before: "About 3 weeks", After: "About 2 weeks"},
		{Field: "Address of City Centre Clinic: postcode", Before: "LN1 1AA", After: "LN2 1AA"},
		{Field: "Opening times (Monday to Friday): days", Before: "Monday, Tuesday", After: "Monday"},
		{Field: "Excludes arson", Before: "Listed", After: "Removed"},
		{Field: "Delivered at City Centre Clinic", Before: "Listed", After: "Removed"},
	}
	if !slices.Equal(rows, want) {
		t.Errorf("diffRows =\n%v\nwant\n%v", rows, want)
	}
}
