package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"throughcare/internal/directory"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// testAtom is an Atom document as a reader sees it, every element in the
// Atom namespace.
type testAtom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"http://www.w3.org/2005/Atom id"`
	Title   string   `xml:"http://www.w3.org/2005/Atom title"`
	Updated string   `xml:"http://www.w3.org/2005/Atom updated"`
	Author  []struct {
		Name string `xml:"http://www.w3.org/2005/Atom name"`
	} `xml:"http://www.w3.org/2005/Atom author"`
	Links   []testAtomLink `xml:"http://www.w3.org/2005/Atom link"`
	Entries []struct {
		ID      string         `xml:"http://www.w3.org/2005/Atom id"`
		Title   string         `xml:"http://www.w3.org/2005/Atom title"`
		Updated string         `xml:"http://www.w3.org/2005/Atom updated"`
		Summary string         `xml:"http://www.w3.org/2005/Atom summary"`
		Links   []testAtomLink `xml:"http://www.w3.org/2005/Atom link"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

type testAtomLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

// feed fetches a feed and checks what Atom 1.0 requires of it: a feed id,
// title, updated time, author and self link, and for every entry an id,
// title, link, updated time and summary. It returns the entries' titles.
func (f *freshFixture) feed(t *testing.T, query string) (*testAtom, []string) {
	t.Helper()
	res := f.send(t, signedOut, "GET", "/feeds/services.atom"+query, nil)
	if res.StatusCode != 200 {
		t.Fatalf("feed %s: status %d", query, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	raw := body(t, res)
	if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("feed does not start with an XML declaration")
	}
	var a testAtom
	if err := xml.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("feed %s does not parse: %v", query, err)
	}
	isTime := func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }
	if !strings.HasPrefix(a.ID, "urn:uuid:") || !directory.ValidUUID(strings.TrimPrefix(a.ID, "urn:uuid:")) {
		t.Errorf("feed id = %q", a.ID)
	}
	if a.Title == "" || !isTime(a.Updated) || len(a.Author) != 1 || a.Author[0].Name == "" {
		t.Errorf("feed title %q, updated %q, author %v", a.Title, a.Updated, a.Author)
	}
	self := false
	for _, l := range a.Links {
		self = self || (l.Rel == "self" && l.Href == "https://throughcare.example/feeds/services.atom"+query)
	}
	if !self {
		t.Errorf("feed links = %+v, want self", a.Links)
	}
	var titles []string
	for _, e := range a.Entries {
		titles = append(titles, e.Title)
		if !strings.HasPrefix(e.ID, "urn:uuid:") || e.Title == "" || !isTime(e.Updated) || e.Summary == "" ||
			len(e.Links) != 1 || !strings.HasPrefix(e.Links[0].Href, "https://throughcare.example/services/") {
			t.Errorf("entry = %+v", e)
		}
	}
	return &a, titles
}

func TestServiceFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFreshFixture(t, db, Config{})
		// The talking service changes after the others were imported, and
		// the recovery service a minute later.
		f.now = f.now.Add(-time.Minute)
		freshChangeService(t, db, talkingID, "Talking therapies for anxiety, depression and trauma.")
		f.now = f.now.Add(time.Minute)
		freshChangeService(t, db, recoveryID, "Drug and alcohol recovery support, open again soon.")
		a, titles := f.feed(t, "")
		if want := []string{"New: Recovery Hub", "New: Lincoln Talking Therapies", "New: Old Talking Service"}; strings.Join(titles, "|") != strings.Join(want, "|") {
			t.Errorf("titles = %q, want %q (newest first)", titles, want)
		}
		if a.Updated != f.now.Format(time.RFC3339) {
			t.Errorf("updated = %q, want the newest change, %s", a.Updated, f.now.Format(time.RFC3339))
		}
		if e := a.Entries[0]; e.Links[0].Href != "https://throughcare.example/services/"+recoveryID ||
			!strings.Contains(e.Summary, "Run by Lincoln Minds") || !strings.Contains(e.Summary, "Temporarily closed") {
			t.Errorf("first entry = %+v", e)
		}
		// Filters: a broad type takes in its narrower ones; the area is
		// the one a service area covers; both together narrow further.
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"?type=mental-health", []string{"New: Lincoln Talking Therapies", "New: Old Talking Service"}},
			{"?type=nhs-talking-therapies", []string{"New: Lincoln Talking Therapies", "New: Old Talking Service"}},
			{"?type=substance-use", []string{"New: Recovery Hub"}},
			{"?area=E07000138", []string{"New: Recovery Hub"}},
			{"?area=E07000138&type=mental-health", nil},
			{"?area=E06000001", nil},
		} {
			a, got := f.feed(t, tt.query)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("%s: titles = %q, want %q", tt.query, got, tt.want)
			}
			if tt.want != nil && !strings.Contains(a.Title, "–") {
				t.Errorf("%s: title %q", tt.query, a.Title)
			}
		}
		if a, _ := f.feed(t, "?area=E07000138"); a.Title != "New and changed services in City of Lincoln – Throughcare" {
			t.Errorf("area feed title = %q", a.Title)
		}
		for _, bad := range []string{"?area=Lincoln", "?type=no-such-type"} {
			if res := f.send(t, signedOut, "GET", "/feeds/services.atom"+bad, nil); res.StatusCode != 400 {
				t.Errorf("%s: status %d, want 400", bad, res.StatusCode)
			}
		}

		// At most 50 entries, the newest.
		var many []directory.Service
		for i := range 55 {
			many = append(many, directory.Service{ID: directory.NameUUID(fmt.Sprint("test:many:", i)), OrganizationID: orgID, Name: fmt.Sprint("Service ", i), Status: "active"})
		}
		f.now = f.now.Add(time.Minute)
		if _, err := db.ImportDataset(context.Background(), &directory.Dataset{Services: many}, store.ImportSource{Name: "many", UpdatedBy: "test"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := f.reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, got := f.feed(t, ""); len(got) != 50 || !strings.HasPrefix(got[0], "New: Service ") {
			t.Errorf("%d entries, first %q; want the 50 newest", len(got), got[0])
		}
	})
}

// freshChangeService imports the fixture's service id again with a new
// description, keeping its own records (its service area from the walk's
// setup, its attributes), as an import by the clock of db.
func freshChangeService(t *testing.T, db *store.DB, id, description string) {
	t.Helper()
	ds := fixture()
	in := &directory.Dataset{}
	for _, s := range ds.Services {
		if s.ID == id {
			s.Description = description
			in.Services = append(in.Services, s)
		}
	}
	for _, a := range ds.Attributes {
		if a.LinkID == id {
			in.Attributes = append(in.Attributes, a)
		}
	}
	for _, a := range append(ds.ServiceAreas, freshLincolnArea) {
		if a.ServiceID == id {
			in.ServiceAreas = append(in.ServiceAreas, a)
		}
	}
	for _, p := range ds.Phones {
		if p.ServiceID == id {
			in.Phones = append(in.Phones, p)
		}
	}
	for _, c := range ds.Contacts {
		if c.ServiceID == id {
			in.Contacts = append(in.Contacts, c)
		}
	}
	for _, sc := range ds.Schedules {
		if sc.ServiceID == id {
			in.Schedules = append(in.Schedules, sc)
		}
	}
	for _, l := range ds.Languages {
		if l.ServiceID == id {
			in.Languages = append(in.Languages, l)
		}
	}
	for _, sal := range ds.ServiceAtLocations {
		if sal.ServiceID == id {
			in.ServiceAtLocations = append(in.ServiceAtLocations, sal)
		}
	}
	if _, err := db.ImportDataset(context.Background(), in, store.ImportSource{Name: "change", UpdatedBy: "test"}, nil); err != nil {
		t.Fatal(err)
	}
}
