package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// listingFixture is the route walk's fixture (with its pending change to
// the Recovery Hub) and a server whose directory is rebuilt from the
// database each time the site says it changed, as the real program does.
type listingFixture struct {
	*walkFixture
	srv     *Server
	reloads atomic.Int32
}

func newListingFixture(t *testing.T, db *store.DB) *listingFixture {
	t.Helper()
	f := &listingFixture{walkFixture: newWalkFixture(t, db)}
	var cur atomic.Pointer[directory.Index]
	load := func(ctx context.Context) error {
		ds, err := db.LoadDirectory(ctx)
		if err != nil {
			return err
		}
		cur.Store(directory.NewIndex(ds))
		return nil
	}
	if err := load(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.srv = newTestServer(t, Config{
		Index: cur.Load,
		DB:    db, LinkKey: []byte("walk-test-link-key-of-32-bytes!!"),
		DirectoryChanged: func(ctx context.Context) error {
			f.reloads.Add(1)
			return load(ctx)
		},
	}, nil)
	return f
}

// send serves one request as persona (signed out when ""), with form as
// the body of a POST, sent from the site itself as a browser would.
func (f *listingFixture) send(t *testing.T, persona, method, path string, form url.Values) *http.Response {
	t.Helper()
	return serveAs(t, f.srv, f.db, f.user(persona), method, path, form)
}

// page fetches path as persona and parses it, failing unless the status
// is want.
func (f *listingFixture) page(t *testing.T, persona, path string, want int) *node {
	t.Helper()
	res := f.send(t, persona, http.MethodGet, path, nil)
	b := body(t, res)
	if res.StatusCode != want {
		t.Fatalf("GET %s as %s: status %d, want %d\n%s", path, persona, res.StatusCode, want, b)
	}
	doc := parseHTML(t, b)
	checkLayout(t, doc, false)
	return doc
}

// formValues returns what a browser would send for the form matching sel
// in doc: its text inputs, text areas, ticked boxes and chosen options.
func formValues(t *testing.T, doc *node, sel string) url.Values {
	t.Helper()
	forms := doc.Find(sel)
	if len(forms) != 1 {
		t.Fatalf("%d forms match %q", len(forms), sel)
	}
	v := url.Values{}
	for _, n := range forms[0].all() {
		name := n.attrs["name"]
		if name == "" {
			continue
		}
		switch n.tag {
		case "input":
			switch n.attrs["type"] {
			case "checkbox", "radio":
				if _, on := n.attrs["checked"]; on {
					v.Add(name, n.attrs["value"])
				}
			default:
				v.Add(name, n.attrs["value"])
			}
		case "textarea":
			v.Add(name, rawText(n))
		case "select":
			for _, o := range n.Find("option") {
				if _, on := o.attrs["selected"]; on {
					v.Add(name, o.attrs["value"])
				}
			}
		}
	}
	return v
}

// rawText is the text inside n as written, without collapsing spaces.
func rawText(n *node) string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.tag == "" {
			b.WriteString(n.text)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// text returns the text of the only element matching sel, failing when
// there is not exactly one.
func text(t *testing.T, doc *node, sel string) string {
	t.Helper()
	got := doc.Find(sel)
	if len(got) != 1 {
		t.Fatalf("%d elements match %q, want 1", len(got), sel)
	}
	return got[0].Text()
}

// editTalking fills the talking therapies listing's edit form as the
// provider would: it first sends the form with a new description and
// checks the problems with the fixture's older data come back named (two
// addresses without a county, an area with a broken outline), then
// corrects them and sends it again. It returns the response to that.
func (f *listingFixture) editTalking(t *testing.T, persona string, change func(v url.Values)) *http.Response {
	t.Helper()
	path := "/services/" + talkingID + "/edit"
	doc := f.page(t, persona, path, http.StatusOK)
	v := formValues(t, doc, "form#listing-form")
	change(v)
	res := f.send(t, persona, http.MethodPost, path, v)
	b := body(t, res)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("first send: status %d, want 400 for the fixture's incomplete addresses\n%s", res.StatusCode, b)
	}
	doc = parseHTML(t, b)
	cityCounty := "loc_" + cityLocID + "_state_province"
	northCounty := "loc_" + northLocID + "_state_province"
	area := "remove-service_area__" + directory.NameUUID("test:area:broken")
	for _, href := range []string{cityCounty, northCounty, area} {
		if len(doc.Find(".govuk-error-summary a[href=#"+href+"]")) != 1 {
			t.Errorf("error summary has no link to #%s:\n%s", href, b[strings.Index(b, "govuk-error-summary__list"):][:1500])
		}
	}
	if len(doc.Find("input#"+cityCounty+".govuk-input--error")) != 1 || len(doc.Find("input#"+area+"[type=checkbox]")) != 1 {
		t.Errorf("the fields with problems are not marked")
	}
	v = formValues(t, doc, "form#listing-form")
	if v.Get("description") != change2(change).Get("description") {
		t.Errorf("the form sent back lost the new description: %q", v.Get("description"))
	}
	v.Set(cityCounty, "Lincolnshire")
	v.Set(northCounty, "Lincolnshire")
	v.Add("remove", "service_area__"+directory.NameUUID("test:area:broken"))
	return f.send(t, persona, http.MethodPost, path, v)
}

// change2 applies change to an empty form, to see what it sets.
func change2(change func(url.Values)) url.Values {
	v := url.Values{}
	change(v)
	return v
}

// pending returns the changes awaiting review for service id.
func pending(t *testing.T, db *store.DB, id string) []listing.Change {
	t.Helper()
	chs, err := db.ListingChanges(context.Background(), store.ListingFilter{ServiceID: id, Status: listing.StatusPending})
	if err != nil {
		t.Fatal(err)
	}
	return chs
}

const newDescription = "Talking therapies for anxiety, depression and trauma."

func TestProviderEditSendsChangeForReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		doc := f.page(t, provider, "/services/"+talkingID+"/edit", http.StatusOK)
		for sel, want := range map[string]string{
			"input#name[value=Lincoln Talking Therapies]":            "",
			"textarea#eligibility_description":                       "Adults living in Lincoln who are on probation or licence.",
			"input#minimum_age[value=18]":                            "",
			"input#type-nhs-talking-therapies[checked]":              "",
			"input#eligibility-referrals-from-probation[checked]":    "",
			"input#eligibility-excludes-arson[checked]":              "",
			"input#hours_mo_opens[value=09:00]":                      "",
			"input#hours_sa_closes[value=12:00]":                     "",
			"input#hours_su_closed[checked]":                         "",
			"input#loc_" + cityLocID + "_postal_code[value=LN1 1AA]": "",
			"#review-rule":          "An administrator checks changes",
			"button#submit-listing": "Send for review",
			"input#remove-schedule__" + directory.NameUUID("test:schedule:line"): "",
		} {
			if got := doc.Find(sel); len(got) != 1 || !strings.Contains(got[0].Text(), want) {
				t.Errorf("edit form: %q matched %d elements", sel, len(got))
			}
		}
		res := f.editTalking(t, provider, func(v url.Values) {
			v.Set("description", newDescription)
			v.Set("response_time", "5")
			v.Set("response_time_unit", "working day")
			v.Set("capacity", "waiting-list")
			v.Set("liaison_name", "Sam Patel")
			v.Set("liaison_email", "sam.patel@minds.example.org")
		})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/provider/changes/") {
			t.Fatalf("send: status %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body(t, res))
		}
		chs := pending(t, db, talkingID)
		if len(chs) != 1 {
			t.Fatalf("pending changes = %d, want 1", len(chs))
		}
		ch := chs[0]
		if ch.SubmittedBy != f.users[provider].ID || ch.OrgID != f.orgs["own"].ID || ch.Kind != listing.KindUpdate {
			t.Errorf("stored change = %+v", ch)
		}
		ref := ch.Draft.Referral()
		if ch.Draft.Service().Description != newDescription || ref.ResponseTime != "5 working days" || ref.Capacity != listing.CapacityWaitingList || ref.LiaisonID == "" {
			t.Errorf("draft: description %q, referral %+v", ch.Draft.Service().Description, ref)
		}
		var fields []string
		for _, c := range ch.Diff {
			fields = append(fields, c.Record+"."+c.Field)
		}
		for _, want := range []string{"service.description", "address.state_province", "service_area.extent", "contact.name", "schedule.freq"} {
			if !slices.Contains(fields, want) {
				t.Errorf("diff has no %s: %v", want, fields)
			}
		}
		if slices.Contains(fields, "service.name") || slices.Contains(fields, "location.latitude") {
			t.Errorf("diff changes fields the provider left alone: %v", fields)
		}

		// The confirmation, and the public page is unchanged.
		doc = f.page(t, provider, res.Header.Get("Location"), http.StatusOK)
		if got := text(t, doc, "#confirmation h1"); got != "Change sent for review" {
			t.Errorf("confirmation = %q", got)
		}
		if got := doc.Find("table.govuk-table tbody tr th"); !slices.ContainsFunc(got, func(n *node) bool { return n.Text() == "Description" }) {
			t.Errorf("confirmation does not list the description as changed")
		}
		if f.reloads.Load() != 0 {
			t.Errorf("the directory was reloaded for a change awaiting review")
		}
		pub := f.page(t, signedOut, "/services/"+talkingID, http.StatusOK)
		if b := text(t, pub, "main"); strings.Contains(b, "trauma") || !strings.Contains(b, "anxiety and depression") {
			t.Errorf("the public page shows the change before review")
		}

		// A second change to the same service waits for the first.
		res = f.send(t, provider, http.MethodPost, "/services/"+talkingID+"/edit", formValues(t, f.page(t, provider, "/services/"+talkingID+"/edit", 200), "form#listing-form"))
		doc = parseHTML(t, body(t, res))
		if res.StatusCode != http.StatusConflict || !strings.Contains(text(t, doc, ".govuk-error-summary"), "already awaiting review") {
			t.Errorf("second change: status %d", res.StatusCode)
		}
		if len(doc.Find("#pending-change a[href=/provider/changes/"+ch.ID+"]")) != 1 {
			t.Errorf("the form does not point to the change awaiting review")
		}

		// The provider's home page shows where the listing stands.
		doc = f.page(t, provider, "/provider", http.StatusOK)
		row := text(t, doc, "tr#listing-"+talkingID)
		if !strings.Contains(row, "Change awaiting review") || !strings.Contains(row, "Not confirmed since 30 June 2025") {
			t.Errorf("home page row = %q", row)
		}
		if len(doc.Find("#needs-checking a[href=/provider/freshness]")) != 1 {
			t.Errorf("home page does not lead to the freshness report")
		}
		if len(doc.Find("tr#change-"+ch.ID+" a[href=/provider/changes/"+ch.ID+"]")) != 1 {
			t.Errorf("home page does not list the change")
		}
		// Withdrawing it lets the provider start again.
		res = f.send(t, provider, http.MethodPost, "/provider/changes/"+ch.ID+"/withdraw", url.Values{})
		if res.StatusCode != http.StatusSeeOther || len(pending(t, db, talkingID)) != 0 {
			t.Errorf("withdraw: status %d, %d still pending", res.StatusCode, len(pending(t, db, talkingID)))
		}
	})
}

func TestListingEditRefusesOtherOrganisations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		before, err := db.LoadDirectory(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		edit := "/services/" + talkingID + "/edit"
		own := formValues(t, f.page(t, provider, edit, http.StatusOK), "form#listing-form")
		own.Set("description", "Taken over.")
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, edit},
			{http.MethodPost, edit},
			{http.MethodGet, "/organisations/" + orgID + "/services/new"},
			{http.MethodPost, "/organisations/" + orgID + "/services/new"},
			{http.MethodGet, "/provider/changes/" + f.ids["change"]},
			{http.MethodPost, "/provider/changes/" + f.ids["change"] + "/withdraw"},
		} {
			if res := f.send(t, providerOther, c.method, c.path, own); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s as another organisation's provider: status %d, want 403", c.method, c.path, res.StatusCode)
			}
		}
		// Ids of the other organisation's records smuggled into a form for
		// the provider's own new service are not acted on.
		path := "/organisations/" + emptyOrgID + "/services/new"
		v := formValues(t, f.page(t, providerOther, path, http.StatusOK), "form#listing-form")
		v.Set("name", "Quiet counselling")
		v.Set("service_id", talkingID)
		v.Set("id", talkingID)
		v.Set("loc_"+cityLocID+"_address_1", "1 Stolen Street")
		v.Add("remove", "phone__"+directory.NameUUID("test:phone:talking"))
		v.Add("remove", "service__"+talkingID)
		res := f.send(t, providerOther, http.MethodPost, path, v)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("new service: status %d\n%s", res.StatusCode, body(t, res))
		}
		chs, err := db.ListingChanges(context.Background(), store.ListingFilter{OrgID: f.orgs["other"].ID})
		if err != nil || len(chs) != 1 {
			t.Fatalf("changes = %v, %v", chs, err)
		}
		ch := chs[0]
		if ch.Kind != listing.KindCreate || ch.ServiceID == talkingID || ch.Draft.Service().OrganizationID != emptyOrgID {
			t.Errorf("stored change = kind %s, service %s of %s", ch.Kind, ch.ServiceID, ch.Draft.Service().OrganizationID)
		}
		for _, c := range ch.Diff {
			if c.RecordID == talkingID || c.RecordID == cityLocID || strings.Contains(c.After, "Stolen") {
				t.Errorf("the change reaches another organisation's record: %+v", c)
			}
		}
		after, err := db.LoadDirectory(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if before.Count() != after.Count() || len(pending(t, db, talkingID)) != 0 {
			t.Errorf("the directory or the talking therapies listing changed")
		}
	})
}

func TestAdminApprovesChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		res := f.editTalking(t, provider, func(v url.Values) { v.Set("description", newDescription) })
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: status %d", res.StatusCode)
		}
		ch := pending(t, db, talkingID)[0]

		doc := f.page(t, admin, "/admin/reviews", http.StatusOK)
		rows := doc.Find("#review-queue tbody tr")
		if len(rows) != 2 || rows[0].attrs["id"] != "review-"+f.ids["change"] || rows[1].attrs["id"] != "review-"+ch.ID {
			t.Fatalf("queue = %d rows, want the two pending changes oldest first", len(rows))
		}
		if row := rows[1].Text(); !strings.Contains(row, "Lincoln Talking Therapies") || !strings.Contains(row, "Lincoln Minds") || !strings.Contains(row, "Pat Provider") {
			t.Errorf("queue row = %q", row)
		}
		review := "/admin/reviews/" + ch.ID
		doc = f.page(t, admin, review, http.StatusOK)
		var found bool
		for _, tr := range doc.Find("table.govuk-table tbody tr") {
			cells := tr.Find("td")
			if tr.Find("th")[0].Text() == "Description" && len(cells) == 2 {
				found = cells[0].Text() == "Talking therapies for anxiety and depression. Groups and one-to-one sessions." && cells[1].Text() == newDescription
			}
		}
		if !found {
			t.Errorf("the review does not show the description's before and after")
		}
		if !strings.Contains(text(t, doc, "#submitter"), "provider@example.org") || len(doc.Find("textarea#review_note")) != 1 {
			t.Errorf("the review does not name the submitter or offer a note")
		}

		res = f.send(t, admin, http.MethodPost, review+"/approve", url.Values{"review_note": {"Thanks"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != review {
			t.Fatalf("approve: status %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body(t, res))
		}
		if f.reloads.Load() != 1 {
			t.Errorf("directory reloaded %d times after approval, want 1", f.reloads.Load())
		}
		doc = f.page(t, admin, review, http.StatusOK)
		if got := text(t, doc, "#change-status"); got != "Approved" || len(doc.Find("#review-form")) != 0 {
			t.Errorf("after approval the review says %q", got)
		}
		// The public page shows the change at once, and so does a server
		// started afresh from the database.
		if b := text(t, f.page(t, signedOut, "/services/"+talkingID, 200), "main"); !strings.Contains(b, newDescription) {
			t.Errorf("the public page does not show the approved change")
		}
		ds, err := db.LoadDirectory(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ix := directory.NewIndex(ds)
		fresh := newTestServer(t, Config{Index: func() *directory.Index { return ix }}, nil)
		if b := body(t, get(t, fresh, "/services/"+talkingID)); !strings.Contains(b, newDescription) || strings.Contains(b, `id="change-history"`) {
			t.Errorf("the rebuilt directory's page does not show the change, or shows the history link to a visitor")
		}

		// The history says who changed what.
		svcPage := f.page(t, provider, "/services/"+talkingID, http.StatusOK)
		if len(svcPage.Find("a#change-history[href=/services/"+talkingID+"/history]")) != 1 || len(svcPage.Find("a#edit-listing")) != 1 {
			t.Errorf("the service page does not link a signed-in provider to the history and the form")
		}
		other := f.page(t, practitioner, "/services/"+talkingID, http.StatusOK)
		if len(other.Find("a#change-history")) != 1 || len(other.Find("a#edit-listing")) != 0 {
			t.Errorf("a practitioner should see the history link but not the edit link")
		}
		doc = f.page(t, practitioner, "/services/"+talkingID+"/history", http.StatusOK)
		versions := doc.Find("#versions li.listing-version")
		if len(versions) < 2 {
			t.Fatalf("history has %d versions, want the change and the import", len(versions))
		}
		latest := versions[0]
		if by := latest.Find("p")[0].Text(); by != "By provider@example.org (approved by admin@example.org)" {
			t.Errorf("latest version by %q", by)
		}
		if !strings.Contains(latest.Text(), "Description") || !strings.Contains(latest.Text(), newDescription) {
			t.Errorf("latest version does not show the new description: %s", latest.Text())
		}
	})
}

func TestAdminRejectsChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		review := "/admin/reviews/" + f.ids["change"]
		res := f.send(t, admin, http.MethodPost, review+"/reject", url.Values{"review_note": {"  "}})
		doc := parseHTML(t, body(t, res))
		if res.StatusCode != http.StatusBadRequest || len(doc.Find(".govuk-error-summary a[href=#review_note]")) != 1 || len(doc.Find("#review_note-error")) != 1 {
			t.Fatalf("reject without a note: status %d", res.StatusCode)
		}
		res = f.send(t, admin, http.MethodPost, review+"/reject", url.Values{"review_note": {"Say when it reopens."}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject: status %d", res.StatusCode)
		}
		ch, err := db.ListingChange(context.Background(), f.ids["change"])
		if err != nil || ch.Status != listing.StatusRejected || ch.ReviewNote != "Say when it reopens." {
			t.Fatalf("change = %+v, %v", ch, err)
		}
		if f.reloads.Load() != 0 {
			t.Errorf("a rejection reloaded the directory")
		}
		if b := text(t, f.page(t, signedOut, "/services/"+recoveryID, 200), "main"); !strings.Contains(b, "closed for refurbishment") {
			t.Errorf("a rejected change reached the public page")
		}
		doc = f.page(t, provider, "/provider", http.StatusOK)
		if row := text(t, doc, "tr#change-"+ch.ID); !strings.Contains(row, "Rejected") || !strings.Contains(row, "Say when it reopens.") {
			t.Errorf("provider home row = %q", row)
		}
		// A decided change cannot be decided again.
		res = f.send(t, admin, http.MethodPost, review+"/approve", url.Values{})
		if res.StatusCode != http.StatusConflict || !strings.Contains(body(t, res), "already rejected") {
			t.Errorf("approving a rejected change: status %d", res.StatusCode)
		}
	})
}

func TestApprovingAStaleChangeConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		// The Recovery Hub's listing moves on under the walk's pending
		// change (as an import would change it).
		if _, err := db.SQL().ExecContext(context.Background(), `UPDATE service SET description = 'Moved on' WHERE id = $1`, recoveryID); err != nil {
			t.Fatal(err)
		}
		res := f.send(t, admin, http.MethodPost, "/admin/reviews/"+f.ids["change"]+"/approve", url.Values{})
		doc := parseHTML(t, body(t, res))
		if res.StatusCode != http.StatusConflict || !strings.Contains(text(t, doc, ".govuk-error-summary"), "has changed since this change was submitted") {
			t.Errorf("stale approval: status %d", res.StatusCode)
		}
		if f.reloads.Load() != 0 {
			t.Errorf("a refused approval reloaded the directory")
		}
	})
}

func TestTrustedOrganisationPublishesAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		org := f.orgs["own"]
		org.Trusted = true
		if err := db.UpdateOrganisation(context.Background(), org, audit.Event{ActorID: f.users[admin].ID}); err != nil {
			t.Fatal(err)
		}
		doc := f.page(t, provider, "/services/"+talkingID+"/edit", http.StatusOK)
		if got := text(t, doc, "button#submit-listing"); got != "Publish changes" {
			t.Errorf("button = %q", got)
		}
		res := f.editTalking(t, provider, func(v url.Values) { v.Set("description", newDescription) })
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: status %d", res.StatusCode)
		}
		doc = f.page(t, provider, res.Header.Get("Location"), http.StatusOK)
		if got := text(t, doc, "#confirmation h1"); got != "Change published" {
			t.Errorf("confirmation = %q", got)
		}
		if f.reloads.Load() != 1 || len(pending(t, db, talkingID)) != 0 {
			t.Errorf("reloads %d, pending %d; want the change published at once", f.reloads.Load(), len(pending(t, db, talkingID)))
		}
		if b := text(t, f.page(t, signedOut, "/services/"+talkingID, 200), "main"); !strings.Contains(b, newDescription) {
			t.Errorf("the public page does not show the published change")
		}
	})
}

func TestListingFormProblemsAreNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		path := "/organisations/" + orgID + "/services/new"
		v := formValues(t, f.page(t, provider, path, http.StatusOK), "form#listing-form")
		v.Set("name", "")
		v.Set("minimum_age", "eighteen")
		v.Set("response_time", "3")
		v.Set("liaison_email", "not an address")
		v.Set("hours_mo_opens", "25:00")
		v.Set("hours_mo_closes", "17:00")
		v.Set("hours_tu_opens", "10:00")
		v.Set("hours_tu_closes", "09:00")
		v.Set("new_location_address_1", "3 Low Road")
		v.Set("new_location_postal_code", "nonsense")
		v.Add("type", "no-such-type")
		res := f.send(t, provider, http.MethodPost, path, v)
		doc := parseHTML(t, body(t, res))
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", res.StatusCode)
		}
		checkLayout(t, doc, false)
		for href, want := range map[string]string{
			"#name":                        "Enter the name of the service",
			"#minimum_age":                 "Minimum age must be a whole number",
			"#response_time_unit":          "Choose hours, days, working days or weeks",
			"#liaison_name":                "Enter the liaison's name",
			"#liaison_email":               "Enter an email address in the correct format",
			"#hours_mo_opens":              "Enter the time it opens on Monday",
			"#hours_tu_closes":             "The closing time on Tuesday must be after the opening time",
			"#new_location_city":           "Enter the town or city of the new location",
			"#new_location_postal_code":    "Enter a real postcode",
			"#new_location_state_province": "Enter the county of the new location",
		} {
			got := doc.Find(".govuk-error-summary a[href=" + href + "]")
			if len(got) != 1 || !strings.Contains(got[0].Text(), want) {
				t.Errorf("error summary link to %s: %d found, want %q\n%s", href, len(got), want, text(t, doc, ".govuk-error-summary"))
			}
		}
		// The summary links to the first box of a list of checkboxes.
		first := doc.Find("#types input[name=type]")
		if len(first) == 0 || len(doc.Find(".govuk-error-summary a[href=#"+first[0].attrs["id"]+"]")) != 1 || len(doc.Find("#type-error")) != 1 {
			t.Errorf("the unknown service type is not linked to the first type's checkbox")
		}
		for _, id := range []string{"name-error", "minimum_age-error", "liaison_email-error", "hours_mo_opens-error", "new_location_postal_code-error"} {
			if len(doc.Find("#"+id+".govuk-error-message")) != 1 {
				t.Errorf("no error message #%s beside its field", id)
			}
		}
		if !strings.HasPrefix(text(t, doc, "title"), "Error: ") {
			t.Errorf("title does not start with Error:")
		}
		if got := doc.Find("input#new_location_address_1[value=3 Low Road]"); len(got) != 1 {
			t.Errorf("the form sent back lost what was typed")
		}
		chs, err := db.ListingChanges(context.Background(), store.ListingFilter{OrgID: f.orgs["own"].ID})
		if err != nil || len(chs) != 1 {
			t.Errorf("changes stored = %d, %v; want only the walk's", len(chs), err)
		}
	})
}

func TestAdminChoosesProviderOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		doc := f.page(t, admin, "/provider", http.StatusOK)
		if len(doc.Find("select#org option")) != 3 || len(doc.Find("section")) != 0 {
			t.Errorf("admin home: want a choice of the two organisations with listings and nothing else")
		}
		doc = f.page(t, admin, "/provider?org="+f.orgs["own"].ID, http.StatusOK)
		if len(doc.Find("tr#listing-"+talkingID)) != 1 || len(doc.Find("select#org option[selected]")) != 1 {
			t.Errorf("admin view of one organisation does not list its services")
		}
		doc = f.page(t, practitioner, "/provider", http.StatusOK)
		if len(doc.Find("#no-listings")) != 1 {
			t.Errorf("a practitioner is not told they have no listings")
		}
		// A provider cannot look at another organisation through ?org=.
		doc = f.page(t, providerOther, "/provider?org="+f.orgs["own"].ID, http.StatusOK)
		if len(doc.Find("tr#listing-"+talkingID)) != 0 {
			t.Errorf("another organisation's provider sees the listings")
		}
	})
}

func TestNewServiceApprovedAppears(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newListingFixture(t, db)
		path := "/organisations/" + orgID + "/services/new"
		doc := f.page(t, provider, path, http.StatusOK)
		if got := text(t, doc, "h1"); got != "Add a service" {
			t.Errorf("heading = %q", got)
		}
		v := formValues(t, doc, "form#listing-form")
		v.Set("name", "Lincoln Peer Support")
		v.Set("description", "Weekly peer support groups.")
		v.Set("eligibility_description", "Adults on licence in Lincoln.")
		v.Add("eligibility", "accepts-licence")
		v.Set("hours_we_opens", "18:00")
		v.Set("hours_we_closes", "20:00")
		v.Set("new_location_name", "Riverside Hall")
		v.Set("new_location_address_1", "9 River Lane")
		v.Set("new_location_city", "Lincoln")
		v.Set("new_location_state_province", "Lincolnshire")
		v.Set("new_location_postal_code", "LN5 7AB")
		res := f.send(t, provider, http.MethodPost, path, v)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: status %d\n%s", res.StatusCode, body(t, res))
		}
		chs, err := db.ListingChanges(context.Background(), store.ListingFilter{Status: listing.StatusPending, OrgID: f.orgs["own"].ID})
		if err != nil {
			t.Fatal(err)
		}
		var ch listing.Change
		for _, c := range chs {
			if c.Kind == listing.KindCreate {
				ch = c
			}
		}
		if ch.ID == "" {
			t.Fatalf("no new-service change among %d pending", len(chs))
		}
		doc = f.page(t, admin, "/admin/reviews/"+ch.ID, http.StatusOK)
		if got := text(t, doc, "h1"); got != "New service: Lincoln Peer Support" || !strings.Contains(text(t, doc, "#change-summary"), "not yet in the directory") {
			t.Errorf("review of a new service: %q", got)
		}
		res = f.send(t, admin, http.MethodPost, "/admin/reviews/"+ch.ID+"/approve", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: status %d\n%s", res.StatusCode, body(t, res))
		}
		doc = f.page(t, signedOut, "/organisations/"+orgID, http.StatusOK)
		if len(doc.Find("a[href=/services/"+ch.ServiceID+"]")) != 1 {
			t.Errorf("the organisation's page does not list the new service")
		}
		doc = f.page(t, signedOut, "/services/"+ch.ServiceID, http.StatusOK)
		main := text(t, doc, "main")
		for _, want := range []string{"Lincoln Peer Support", "Weekly peer support groups.", "Accepts people on licence", "9 River Lane", "Riverside Hall"} {
			if !strings.Contains(main, want) {
				t.Errorf("the new service's page lacks %q", want)
			}
		}
		if len(doc.Find("#opening-hours")) != 1 || !strings.Contains(main, "Wednesday 6pm to 8pm") {
			t.Errorf("the new service's opening hours are missing")
		}
	})
}
