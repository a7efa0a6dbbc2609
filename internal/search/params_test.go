package search

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

func justiceEngine(t *testing.T) *Engine {
	t.Helper()
	d := directory.JusticeTaxonomy()
	sid := directory.NameUUID("p:svc")
	d.Services = []directory.Service{{ID: sid, Name: "Crisis café", Status: "active"}}
	d.Attributes = []directory.Attribute{{ID: directory.NameUUID("p:a"), LinkID: sid, LinkType: "service",
		TaxonomyTermID: directory.TermID(directory.ServiceTypeTaxonomy, "crisis-mental-health")}}
	return New(directory.NewIndex(d))
}

func lookupLN(_ context.Context, pc string) (geo.Point, []string, error) {
	if pc == "LN1 1AA" {
		return geo.Point{Lat: 53.23, Lon: -0.54}, []string{"E07000138", "E54000013"}, nil
	}
	return geo.Point{}, nil, apperr.Errorf(apperr.NotFound, "postcode %s not found", pc)
}

func noPostcodes(context.Context, string) (geo.Point, []string, error) {
	return geo.Point{}, nil, ErrNoPostcodes
}

func TestParseRequest(t *testing.T) {
	e := justiceEngine(t)
	monday := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC) // a Monday, 10:30 in London too
	parse := func(qs string, lookup PostcodeLookup) (Request, error) {
		v, err := url.ParseQuery(qs)
		if err != nil {
			t.Fatal(err)
		}
		return e.ParseRequest(context.Background(), v, lookup, monday)
	}

	r, err := parse("q=crisis&where=ln11aa&radius=25&type=crisis-mental-health&need=no-id-needed&age=30&day=fri&time=22:30&covers=1&page=2&per_page=10", lookupLN)
	if err != nil {
		t.Fatal(err)
	}
	q := r.Query
	if r.Place != "LN1 1AA" || q.Near == nil || q.Radius != 25000 || len(q.Types) != 1 || len(q.Attributes) != 1 ||
		*q.Age != 30 || q.Open.Day != time.Friday || q.Open.Minute != 22*60+30 || q.CoversPoint == nil ||
		strings.Join(q.CoversCodes, ",") != "E07000138,E54000013" || q.Offset != 10 || q.Limit != 10 {
		t.Errorf("parsed %+v / %+v", r, q)
	}

	r, err = parse("where=lincoln&open_now=1&accepting=yes&sort=distance", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Place, "Lincoln") || r.Query.Open.Day != time.Monday || r.Query.Open.Minute != 10*60+30 || len(r.Query.Attributes) != 1 || r.Query.Sort != ByDistance {
		t.Errorf("place search %+v / %+v", r, r.Query)
	}

	for _, tc := range []struct{ qs, field, msg string }{
		{"q=" + strings.Repeat("x", 201), "q", "at most 200"},
		{"type=astrology", "type", "not a service type"},
		{"need=wealthy", "need", "not an eligibility code"},
		{"age=-1", "age", "0 to 120"},
		{"age=ten", "age", "0 to 120"},
		{"where=lincoln&radius=0", "radius", "1 to 200"},
		{"where=lincoln&radius=500", "radius", "1 to 200"},
		{"where=lincoln&radius=NaN", "radius", "1 to 200"},
		{"radius=10", "radius", "needs a place"},
		{"where=LN1+1A", "where", "not a full UK postcode"},
		{"where=1LN+1AA", "where", "not a full UK postcode"},
		{"where=LN9+9ZZ", "where", "could not find the postcode LN9 9ZZ"},
		{"where=Atlantis", "where", "do not know a town"},
		{"where=91,0", "where", "latitude"},
		{"where=NaN,0", "where", "latitude"},
		{"lat=NaN&lon=0", "lat", "latitude"},
		{"lat=0&lon=nan", "lon", "longitude"},
		{"lat=53", "lat", "together"},
		{"lat=53&lon=500", "lon", "longitude"},
		{"day=someday", "day", "day of the week"},
		{"day=mo&time=25:00", "time", "HH:MM"},
		{"covers=1", "covers", "needs a place"},
		{"covers=maybe&where=lincoln", "covers", "true or false"},
		{"area=Lincoln", "area", "not an area code"},
		{"org=42", "org", "UUID"},
		{"sort=distance", "sort", "needs a place"},
		{"sort=popularity", "sort", "relevance, distance or name"},
		{"page=0", "page", "1 to"},
		{"per_page=1000", "per_page", "1 to 100"},
	} {
		_, err := parse(tc.qs, lookupLN)
		fe, ok := errors.AsType[*apperr.FieldError](err)
		if !ok || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%s: err = %v, want field %s saying %q", tc.qs, err, tc.field, tc.msg)
		}
		if !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v is not Invalid", tc.qs, err)
		}
	}

	_, err = parse("where=LN1+1AA", noPostcodes)
	if err == nil || !strings.Contains(err.Error(), "throughcare import onspd") {
		t.Errorf("without ONSPD: %v", err)
	}
	_, err = parse("where=LN1+1AA", nil)
	if err == nil || !strings.Contains(err.Error(), "ONS Postcode Directory") {
		t.Errorf("with no lookup at all: %v", err)
	}
}
