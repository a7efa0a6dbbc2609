package web

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/listing"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestSubscriptionsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFreshFixture(t, db, Config{})
		doc := f.page(t, practitioner, "GET", "/account/subscriptions", nil, 200)
		one(t, doc, "#no-subscriptions")
		if got := one(t, doc, "select#area option[value=E07000138]").Text(); got != "City of Lincoln" {
			t.Errorf("area option = %q", got)
		}
		one(t, doc, "select#type option[value=nhs-talking-therapies]")
		one(t, doc, "select#type optgroup option[value=mental-health]")

		post := func(form url.Values, want int) *node {
			t.Helper()
			res := f.send(t, practitioner, "POST", "/account/subscriptions", form)
			if res.StatusCode != want {
				t.Fatalf("POST %v: status %d, want %d", form, res.StatusCode, want)
			}
			if want != 400 {
				return nil
			}
			doc := parseHTML(t, body(t, res))
			checkLayout(t, doc, false)
			return doc
		}
		post(url.Values{"area": {"e07000138"}}, 303)
		f.now = f.now.Add(time.Minute)
		post(url.Values{"type": {"mental-health"}}, 303)
		doc = f.page(t, practitioner, "GET", "/account/subscriptions", nil, 200)
		rows := doc.Find("tr.app-subscription")
		if len(rows) != 2 {
			t.Fatalf("%d subscriptions listed, want 2", len(rows))
		}
		if got := texts(rows[0], "td"); len(got) < 2 || got[0] != "City of Lincoln" || got[1] != "Any type of service" {
			t.Errorf("first = %q", got)
		}
		if got := texts(rows[1], "td"); len(got) < 2 || got[0] != "Any area" || got[1] != "Mental health" {
			t.Errorf("second = %q", got)
		}
		if got := attrs(doc, "tr.app-subscription a", "href"); !slices.Equal(got, []string{"/feeds/services.atom?area=E07000138", "/feeds/services.atom?type=mental-health"}) {
			t.Errorf("feed links = %q", got)
		}

		// Bad forms are answered with the error summary, naming the field.
		for _, tt := range []struct {
			form       url.Values
			href, text string
		}{
			{url.Values{}, "#area", "Choose an area, a type of service or both"},
			{url.Values{"area": {"E07000138"}}, "#area", "You already have this subscription"},
			{url.Values{"area": {"Lincoln"}}, "#area", `"LINCOLN" is not an area we know`},
			{url.Values{"type": {"no-such-type"}}, "#type", `"no-such-type" is not a service type we know`},
		} {
			doc := post(tt.form, 400)
			if got := one(t, doc, ".govuk-error-summary a[href="+tt.href+"]").Text(); !strings.Contains(got, tt.text) {
				t.Errorf("%v: error %q, want %q", tt.form, got, tt.text)
			}
			one(t, doc, tt.href+"-error")
		}

		// Someone else's subscription cannot be removed; one's own can.
		theirs, err := db.Subscribe(context.Background(), listing.Subscription{UserID: f.users[commissioner].ID, AreaCode: "E07000138"}, audit.Event{})
		if err != nil {
			t.Fatal(err)
		}
		if res := f.send(t, practitioner, "POST", "/account/subscriptions", url.Values{"remove": {theirs.ID}}); res.StatusCode != 404 {
			t.Errorf("removing another user's subscription: status %d, want 404", res.StatusCode)
		}
		if subs, _ := db.SubscriptionsOf(context.Background(), f.users[commissioner].ID); len(subs) != 1 {
			t.Errorf("the other user's subscription went")
		}
		mine := attrs(doc, "tr.app-subscription input[name=remove]", "value")
		post(url.Values{"remove": {mine[0]}}, 303)
		doc = f.page(t, practitioner, "GET", "/account/subscriptions", nil, 200)
		if got := texts(doc, "tr.app-subscription td"); len(got) < 2 || got[0] != "Any area" {
			t.Errorf("after removing the first: %q", got)
		}
	})
}

func TestDigests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFreshFixture(t, db, Config{})
		t0 := f.now
		subscribe := func(persona string, sub listing.Subscription) {
			t.Helper()
			sub.UserID = f.users[persona].ID
			if _, err := db.Subscribe(ctx, sub, audit.Event{}); err != nil {
				t.Fatal(err)
			}
		}
		subscribe(practitioner, listing.Subscription{AreaCode: "E07000138"})
		subscribe(commissioner, listing.Subscription{ServiceTypeID: freshTypeID(t, f, "mental-health")})
		run := func(at time.Time) DigestResult {
			t.Helper()
			f.now = at
			res, err := f.srv.SendDigests(ctx)
			if err != nil {
				t.Fatalf("SendDigests at %v: %v", at, err)
			}
			return res
		}

		// Not due within a week of subscribing.
		if res := run(t0.Add(24 * time.Hour)); res.Due != 0 || len(f.mail.Sent()) != 0 {
			t.Errorf("a day in: %+v", res)
		}
		f.now = t0.Add(3 * 24 * time.Hour)
		freshChangeService(t, db, recoveryID, "Drug and alcohol recovery support, reopening in June.")

		// A week in, the practitioner hears of the change in their area;
		// the commissioner, with no news, hears nothing.
		res := run(t0.Add(8 * 24 * time.Hour))
		sent := f.mail.Sent()
		if res.Due != 2 || res.Emails != 1 || len(sent) != 1 || !slices.Equal(sent[0].To, []string{"practitioner@example.org"}) {
			t.Fatalf("a week in: %+v, sent %+v", res, sent)
		}
		for _, want := range []string{"Hello Priya Practitioner", "since " + t0.Format("2 January 2006"),
			"Changed: Recovery Hub", "Run by Lincoln Minds", "https://throughcare.example/services/" + recoveryID,
			"https://throughcare.example/account/subscriptions"} {
			if !strings.Contains(sent[0].Text, want) {
				t.Errorf("digest lacks %q:\n%s", want, sent[0].Text)
			}
		}
		if sent[0].Subject != "1 new or changed service on Throughcare" {
			t.Errorf("subject = %q", sent[0].Subject)
		}
		if strings.Contains(sent[0].Text, "Talking") {
			t.Errorf("digest holds services outside the subscription:\n%s", sent[0].Text)
		}

		// Running again, or from a restarted server, sends nothing more.
		run(t0.Add(8*24*time.Hour + time.Hour))
		restarted := newTestServer(t, f.srv.cfg, nil)
		if res, err := restarted.SendDigests(ctx); err != nil || res.Emails != 0 || len(f.mail.Sent()) != 1 {
			t.Errorf("after a restart: %+v, %v; %d e-mails in all", res, err, len(f.mail.Sent()))
		}
		if last, err := db.LastDigest(ctx, f.users[commissioner].ID); err != nil || !last.Equal(t0.Add(8*24*time.Hour)) {
			t.Errorf("commissioner's last digest = %v, %v; want the run a week in, though nothing was sent", last, err)
		}

		// A week with no news sends nothing.
		if res := run(t0.Add(16 * 24 * time.Hour)); res.Due != 2 || res.Emails != 0 {
			t.Errorf("a quiet week: %+v", res)
		}

		// A digest that cannot be sent is tried again at the next run.
		f.now = t0.Add(17 * 24 * time.Hour)
		freshChangeService(t, db, talkingID, "Talking therapies, now with evening groups.")
		bad := &freshFailingMailer{}
		f.srv.cfg.Mailer = bad
		f.now = t0.Add(24 * 24 * time.Hour)
		if _, err := f.srv.SendDigests(ctx); err == nil || bad.tries.Load() != 1 {
			t.Errorf("mail down: %v after %d tries", err, bad.tries.Load())
		}
		if last, _ := db.LastDigest(ctx, f.users[commissioner].ID); !last.Equal(t0.Add(16 * 24 * time.Hour)) {
			t.Errorf("after a failed send the last digest is %v, want it unchanged", last)
		}
		f.srv.cfg.Mailer = f.mail
		res = run(t0.Add(24*24*time.Hour + time.Hour))
		sent = f.mail.Sent()
		if res.Emails != 1 || len(sent) != 2 || !slices.Equal(sent[1].To, []string{"commissioner@example.org"}) || !strings.Contains(sent[1].Text, "Changed: Lincoln Talking Therapies") {
			t.Errorf("retry: %+v, sent %+v", res, sent)
		}

		// Without a site address there is nothing to link to.
		s := newTestServer(t, Config{DB: db, LinkKey: freshKey}, nil)
		if _, err := s.SendDigests(ctx); !errors.Is(err, apperr.Invalid) {
			t.Errorf("no BaseURL: %v", err)
		}
	})
}

// freshTypeID returns the taxonomy term id of a service-type code.
func freshTypeID(t *testing.T, f *freshFixture, code string) string {
	t.Helper()
	q, err := parseNewsFilter(f.ix.Load(), url.Values{"type": {code}})
	if err != nil {
		t.Fatal(err)
	}
	return q.TypeID
}
