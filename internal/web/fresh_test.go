package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
	"throughcare/internal/mail"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func init() {
	expectAccess(map[string]walkCase{
		"GET /listings/assure":        {"/listings/assure?token=not-a-link", everyone},
		"POST /listings/assure":       {"/listings/assure", everyone},
		"POST /services/{id}/assure":  {"/services/{service}/assure", ownProvider},
		"GET /admin/freshness":        {"/admin/freshness", adminOnly},
		"GET /provider/freshness":     {"/provider/freshness", "provider provider-other admin"},
		"GET /feeds/services.atom":    {"/feeds/services.atom?area=E07000138&type=mental-health", everyone},
		"GET /account/subscriptions":  {"/account/subscriptions", anySignedIn},
		"POST /account/subscriptions": {"/account/subscriptions", anySignedIn},
	})
	// The fixture's recovery service covers the City of Lincoln by its
	// GSS code, for the area filters of feeds and subscriptions.
	walkSetups = append(walkSetups, func(t *testing.T, f *walkFixture) {
		t.Helper()
		_, err := f.db.ImportDataset(context.Background(), &directory.Dataset{ServiceAreas: []directory.ServiceArea{freshLincolnArea}},
			store.ImportSource{Name: "area", UpdatedBy: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
	})
}

// freshLincolnArea says the recovery service covers the City of Lincoln.
var freshLincolnArea = directory.ServiceArea{
	ID: directory.NameUUID("test:area:recovery-lincoln"), ServiceID: recoveryID, Name: "City of Lincoln",
	URI: "http://statistics.data.gov.uk/id/statistical-geography/E07000138",
}

// freshFixture is the route walk's fixture with a server that reloads its
// directory from the store when told it changed, a clock the test moves,
// and e-mail kept in memory.
type freshFixture struct {
	*walkFixture
	mail *mail.Memory
	now  time.Time
	ix   atomic.Pointer[directory.Index]
}

// freshKey signs the fixture's links.
var freshKey = []byte("fresh-test-link-key-of-32-bytes!")

// newFreshFixture builds a freshFixture whose clock shows a day after the
// real time, so that the fixture's talking service, last changed on 30
// June 2025, is stale, and the services imported today without dates are
// fresh.
func newFreshFixture(t *testing.T, db *store.DB, cfg Config) *freshFixture {
	t.Helper()
	f := &freshFixture{walkFixture: newWalkFixture(t, db), mail: &mail.Memory{}}
	f.now = time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second)
	db.Now = func() time.Time { return f.now }
	if err := f.reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.Index = f.ix.Load
	cfg.DB, cfg.LinkKey, cfg.Mailer = db, freshKey, f.mail
	cfg.BaseURL = "https://throughcare.example"
	cfg.Now = func() time.Time { return f.now }
	cfg.DirectoryChanged = f.reload
	f.srv = newTestServer(t, cfg, nil)
	return f
}

func (f *freshFixture) reload(ctx context.Context) error {
	ds, err := f.db.LoadDirectory(ctx)
	if err != nil {
		return err
	}
	f.ix.Store(directory.NewIndex(ds))
	return nil
}

// page requests target as persona, checks the status and the layout, and
// parses the page.
func (f *freshFixture) page(t *testing.T, persona, method, target string, form url.Values, want int) *node {
	t.Helper()
	res := f.send(t, persona, method, target, form)
	if res.StatusCode != want {
		t.Fatalf("%s %s as %s: status %d, want %d", method, target, persona, res.StatusCode, want)
	}
	doc := parseHTML(t, body(t, res))
	checkLayout(t, doc, false)
	return doc
}

func TestStaleListingsShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFreshFixture(t, db, Config{})
		doc := f.page(t, signedOut, "GET", "/search?q=talking", nil, 200)
		if got := texts(doc, "#results .app-result__stale"); !slices.Equal(got, []string{"Not confirmed since 30 June 2025"}) {
			t.Errorf("stale tags = %q", got)
		}
		doc = f.page(t, signedOut, "GET", "/search?type=substance-use&include_inactive=1", nil, 200)
		if n := len(doc.Find("#results .app-result__stale")); n != 0 {
			t.Errorf("a service imported today is tagged stale")
		}
		doc = f.page(t, signedOut, "GET", "/services/"+talkingID, nil, 200)
		if got := one(t, doc, "#stale-warning").Text(); !strings.Contains(got, "This listing was last confirmed as correct on 30 June 2025; check with the service before referring.") {
			t.Errorf("warning = %q", got)
		}
		if n := len(doc.Find("#assure-form")); n != 0 {
			t.Errorf("a signed-out visitor is offered to confirm the listing")
		}
		doc = f.page(t, signedOut, "GET", "/services/"+recoveryID, nil, 200)
		if n := len(doc.Find("#stale-warning")); n != 0 {
			t.Errorf("a fresh listing carries the stale warning")
		}

		// A longer period makes the same listing fresh.
		long := newFreshFixture(t, storetest.SQLite(t), Config{StaleAfter: 3 * 365 * 24 * time.Hour})
		if n := len(long.page(t, signedOut, "GET", "/search?q=talking", nil, 200).Find("#results .app-result__stale")); n != 0 {
			t.Errorf("StaleAfter of three years: the listing is still tagged stale")
		}
	})
}

func TestAssureSignedIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFreshFixture(t, db, Config{})
		// Only the listing's own providers are offered the button.
		for persona, want := range map[string]int{provider: 1, providerOther: 0, practitioner: 0, admin: 1} {
			doc := f.page(t, persona, "GET", "/services/"+talkingID, nil, 200)
			if got := len(doc.Find("#assure-form[action=/services/" + talkingID + "/assure] button")); got != want {
				t.Errorf("%s: %d confirm buttons, want %d", persona, got, want)
			}
		}
		if res := f.send(t, providerOther, "POST", "/services/"+talkingID+"/assure", nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("another organisation's provider: status %d, want 403", res.StatusCode)
		}
		if res := f.send(t, provider, "POST", "/services/"+directory.NameUUID("none")+"/assure", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown service: status %d, want 404", res.StatusCode)
		}
		res := f.send(t, provider, "POST", "/services/"+talkingID+"/assure", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/services/"+talkingID {
			t.Fatalf("confirm: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		today := f.now.Format("2 January 2006")
		doc := f.page(t, signedOut, "GET", "/services/"+talkingID, nil, 200)
		if n := len(doc.Find("#stale-warning")); n != 0 {
			t.Errorf("the confirmed listing still carries the stale warning")
		}
		if got := one(t, doc, "#dates").Text(); !strings.Contains(got, "Details last confirmed by the service on "+today) {
			t.Errorf("dates = %q", got)
		}
		if n := len(f.page(t, signedOut, "GET", "/search?q=talking", nil, 200).Find("#results .app-result__stale")); n != 0 {
			t.Errorf("the confirmed listing is still tagged stale in results")
		}
		svc, _ := f.ix.Load().ServiceFlat(talkingID)
		if svc.AssurerEmail != "provider@example.org" {
			t.Errorf("assurer = %q", svc.AssurerEmail)
		}
		evs, err := db.AuditEvents(context.Background(), store.AuditFilter{Action: audit.ListingAssured, RecordID: talkingID})
		if err != nil || len(evs) != 1 || evs[0].ActorID != f.users[provider].ID || evs[0].OrgID != f.orgs["own"].ID {
			t.Errorf("audit = %+v, %v", evs, err)
		}
		// From the report, the button comes back to the report.
		res = f.send(t, provider, "POST", "/services/"+talkingID+"/assure", url.Values{"next": {"/provider/freshness"}})
		if loc := res.Header.Get("Location"); loc != "/provider/freshness" {
			t.Errorf("with next: back to %q", loc)
		}
		res = f.send(t, provider, "POST", "/services/"+talkingID+"/assure", url.Values{"next": {"https://evil.example/"}})
		if loc := res.Header.Get("Location"); loc != "/services/"+talkingID {
			t.Errorf("with a next off the site: back to %q", loc)
		}
	})
}

// assureLinks finds the "still correct" links in an e-mail.
var assureLinks = regexp.MustCompile(`https://throughcare\.example(/listings/assure\?token=[A-Za-z0-9_.-]+)`)

func TestReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFreshFixture(t, db, Config{})
		res, err := f.srv.SendReminders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Services != 1 || res.Emails != 1 {
			t.Fatalf("result = %+v, want one listing reminded about in one e-mail", res)
		}
		sent := f.mail.Sent()
		if len(sent) != 1 || !slices.Equal(sent[0].To, []string{"provider@example.org"}) {
			t.Fatalf("sent = %+v, want one e-mail to the listing's provider", sent)
		}
		m := sent[0]
		for _, want := range []string{"Hello Pat Provider", "Lincoln Talking Therapies (last confirmed 30 June 2025)",
			"Read the listing: https://throughcare.example/services/" + talkingID, "Still correct: https://throughcare.example/listings/assure?token="} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("reminder lacks %q:\n%s", want, m.Text)
			}
		}
		links := assureLinks.FindAllStringSubmatch(m.Text, -1)
		if len(links) != 1 {
			t.Fatalf("reminder has %d links, want 1", len(links))
		}
		link := links[0][1]
		evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.ListingReminderSent})
		if err != nil || len(evs) != 1 || evs[0].RecordID != talkingID || evs[0].OrgID != f.orgs["own"].ID {
			t.Errorf("audit = %+v, %v", evs, err)
		}

		// Running again within the period sends nothing.
		f.now = f.now.Add(13 * 24 * time.Hour)
		if res, err := f.srv.SendReminders(ctx); err != nil || res.Emails != 0 || len(f.mail.Sent()) != 1 {
			t.Errorf("second run: %+v, %v; %d e-mails in all", res, err, len(f.mail.Sent()))
		}
		// The report shows when the reminder went out.
		remindedOn := f.now.Add(-13 * 24 * time.Hour).Format("2 January 2006")
		doc := f.page(t, admin, "GET", "/admin/freshness", nil, 200)
		if got := texts(doc, "tr.app-stale-row td"); !slices.Contains(got, remindedOn) {
			t.Errorf("report cells = %q, want the reminder date %s", got, remindedOn)
		}

		// The link opens a page that changes nothing, with a button.
		doc = f.page(t, signedOut, "GET", link, nil, 200)
		one(t, doc, "form[action=/listings/assure] button#confirm")
		if got := one(t, doc, "#listing h3").Text(); got != "Lincoln Talking Therapies" {
			t.Errorf("listing = %q", got)
		}
		token := one(t, doc, "input[name=token]").attrs["value"]
		if n := len(f.page(t, signedOut, "GET", "/search?q=talking", nil, 200).Find("#results .app-result__stale")); n != 1 {
			t.Errorf("following the link confirmed the listing")
		}
		// Tampered and expired links are refused, clearly.
		tampered := token[:len(token)-2] + freshFlip(token[len(token)-2:])
		doc = f.page(t, signedOut, "POST", "/listings/assure", url.Values{"token": {tampered}}, 400)
		if got := one(t, doc, "#link-problem").Text(); !strings.Contains(got, "This link is not valid") {
			t.Errorf("tampered: %q", got)
		}
		other := account.SignLink(freshKey, "password-reset", talkingID+":"+f.users[provider].ID, f.now.Add(time.Hour), "n")
		doc = f.page(t, signedOut, "GET", "/listings/assure?token="+other, nil, 400)
		if got := one(t, doc, "#link-problem").Text(); !strings.Contains(got, "This link is not valid") {
			t.Errorf("link for another purpose: %q", got)
		}
		later := f.now
		f.now = f.now.Add(2 * 24 * time.Hour)
		doc = f.page(t, signedOut, "POST", "/listings/assure", url.Values{"token": {token}}, 400)
		if got := one(t, doc, "#link-problem").Text(); !strings.Contains(got, "This link has expired") {
			t.Errorf("expired: %q", got)
		}
		f.now = later

		// Pressing the button confirms the listing, once.
		doc = f.page(t, signedOut, "POST", "/listings/assure", url.Values{"token": {token}}, 200)
		if got := one(t, doc, "#assured").Text(); !strings.Contains(got, "Lincoln Talking Therapies was confirmed as correct on "+f.now.Format("2 January 2006")) {
			t.Errorf("thanks = %q", got)
		}
		if n := len(f.page(t, signedOut, "GET", "/search?q=talking", nil, 200).Find("#results .app-result__stale")); n != 0 {
			t.Errorf("the confirmed listing is still tagged stale")
		}
		svc, _ := f.ix.Load().ServiceFlat(talkingID)
		if svc.AssurerEmail != "provider@example.org" || svc.AssuredDate != f.now.Format(time.DateOnly) {
			t.Errorf("assured %q by %q", svc.AssuredDate, svc.AssurerEmail)
		}
		evs, err = db.AuditEvents(ctx, store.AuditFilter{Action: audit.ListingAssured, RecordID: talkingID})
		if err != nil || len(evs) != 1 || evs[0].ActorID != f.users[provider].ID {
			t.Errorf("assured audit = %+v, %v", evs, err)
		}
		doc = f.page(t, signedOut, "POST", "/listings/assure", url.Values{"token": {token}}, 409)
		if got := one(t, doc, "#link-problem").Text(); !strings.Contains(got, "already been used") {
			t.Errorf("reused: %q", got)
		}

		// Once fresh, the listing is not reminded about, whatever the
		// period says.
		f.now = f.now.Add(15 * 24 * time.Hour)
		if res, err := f.srv.SendReminders(ctx); err != nil || res.Services != 0 {
			t.Errorf("after confirming: %+v, %v", res, err)
		}
	})
}

// freshFlip changes every character of s, keeping it base64url.
func freshFlip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// freshFailingMailer refuses every message.
type freshFailingMailer struct{ tries atomic.Int32 }

func (m *freshFailingMailer) Send(context.Context, mail.Message) error {
	m.tries.Add(1)
	return errors.New("mail server down")
}

func TestRemindersRetryAfterMailFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bad := &freshFailingMailer{}
		f := newFreshFixture(t, db, Config{})
		f.srv.cfg.Mailer = bad
		if _, err := f.srv.SendReminders(ctx); err == nil || bad.tries.Load() != 1 {
			t.Fatalf("with the mail server down: %v after %d tries", err, bad.tries.Load())
		}
		if evs, _ := db.AuditEvents(ctx, store.AuditFilter{Action: audit.ListingReminderSent}); len(evs) != 0 {
			t.Errorf("a reminder nobody got was audited as sent")
		}
		f.srv.cfg.Mailer = f.mail
		if res, err := f.srv.SendReminders(ctx); err != nil || res.Emails != 1 {
			t.Errorf("once the mail server is back: %+v, %v", res, err)
		}
	})
}

func TestRemindersNeedProviders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFreshFixture(t, db, Config{})
		// Without providers nobody is reminded, and the listing is not
		// marked as reminded about.
		if err := db.SetMemberships(ctx, f.users[provider].ID, nil, audit.Event{Action: audit.PermissionChanged}); err != nil {
			t.Fatal(err)
		}
		res, err := f.srv.SendReminders(ctx)
		if err != nil || res.Emails != 0 || len(f.mail.Sent()) != 0 {
			t.Fatalf("no providers: %+v, %v", res, err)
		}
		if sent, err := db.RemindersSent(ctx); err != nil || len(sent) != 0 {
			t.Errorf("reminders recorded = %v, %v", sent, err)
		}
		// A server without a signing key or address cannot send them.
		s := newTestServer(t, Config{DB: db, LinkKey: freshKey}, nil)
		if _, err := s.SendReminders(ctx); !errors.Is(err, apperr.Invalid) {
			t.Errorf("no BaseURL: %v", err)
		}
	})
}

func TestFreshnessReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFreshFixture(t, db, Config{})
		doc := f.page(t, admin, "GET", "/admin/freshness", nil, 200)
		if got := one(t, doc, "h1").Text(); got != "Listings to confirm" {
			t.Errorf("admin report heading %q", got)
		}
		if got := append(texts(doc, "caption"), texts(doc, "th")...); !slices.Contains(got, "Listings to confirm: 1") || !slices.Contains(got, "Last confirmed") {
			t.Errorf("admin report table headings %q", got)
		}
		rows := doc.Find("tr.app-stale-row")
		if len(rows) != 1 {
			t.Fatalf("admin report: %d rows, want 1", len(rows))
		}
		if got := texts(rows[0], "td"); !slices.Equal(got, []string{"Lincoln Minds", "30 June 2025", "Not yet"}) {
			t.Errorf("admin row = %q", got)
		}
		one(t, rows[0], "a[href=/services/"+talkingID+"]")

		doc = f.page(t, provider, "GET", "/provider/freshness", nil, 200)
		if got := texts(doc, ".app-freshness-group h2"); !slices.Equal(got, []string{"Lincoln Minds"}) {
			t.Errorf("provider's organisations = %q", got)
		}
		one(t, doc, "tr.app-stale-row form[action=/services/"+talkingID+"/assure]")

		// Another provider sees their own organisation only.
		doc = f.page(t, providerOther, "GET", "/provider/freshness", nil, 200)
		if got := texts(doc, ".app-freshness-group h2"); !slices.Equal(got, []string{"Quiet Trust"}) {
			t.Errorf("other provider's organisations = %q", got)
		}
		if n := len(doc.Find("tr.app-stale-row")); n != 0 {
			t.Errorf("another organisation's stale listing is shown")
		}
		if res := f.send(t, practitioner, "GET", "/provider/freshness", nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("practitioner: status %d", res.StatusCode)
		}
	})
}

func TestStaleness(t *testing.T) {
	s := newTestServer(t, Config{StaleAfter: 30 * 24 * time.Hour}, nil)
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	ix := directory.NewIndex(&directory.Dataset{
		Services: []directory.Service{{ID: "a", AssuredDate: "2026-04-10"}, {ID: "b", AssuredDate: "2026-03-01"}, {ID: "c"}, {ID: "d"}},
		Metadata: []directory.Metadata{{ID: "m", ResourceID: "d", ResourceType: "service", LastActionDate: "2026-04-30T09:00:00Z", LastActionType: "create"}},
	})
	for _, tt := range []struct {
		id    string
		stale bool
		since string
	}{
		{"a", false, "10 April 2026"},
		{"b", true, "1 March 2026"},
		{"c", true, ""},
		{"d", false, "30 April 2026"},
	} {
		svc, _ := ix.ServiceFlat(tt.id)
		stale, since := s.staleness(ix, svc, now)
		if stale != tt.stale || longDate(since) != tt.since {
			t.Errorf("%s: stale %v since %q, want %v since %q", tt.id, stale, longDate(since), tt.stale, tt.since)
		}
	}
	if got := newTestServer(t, Config{}, nil).staleAfter(); got != listing.DefaultStaleAfter {
		t.Errorf("default StaleAfter = %v", got)
	}
}
