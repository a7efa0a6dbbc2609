package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
)

// Freshness: a listing nobody has confirmed for Config.StaleAfter is
// stale. Search results tag it, its page warns referrers to check with the
// service, and the staff of the organisation that owns it are reminded by
// e-mail (jobs.go) with a one-click link to confirm it. Signed-in providers
// may also confirm their own listings from the service page, and see which
// of their listings are stale; administrators see every stale listing.

// assurePurpose is the purpose of the signed "still correct" links sent
// in reminders (account.SignLink).
const assurePurpose = "listing-assure"

// assureLinkLife is how long a "still correct" link works: one reminder
// period, after which a fresh reminder carries a fresh link.
const assureLinkLife = ReminderEvery

// assureViaLink is the rule of the "still correct" link's pages. They are
// public: the signed, single-use link is the credential, and acts for the
// provider it was sent to whether or not anyone is signed in.
var assureViaLink = public

func (s *Server) freshnessRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /listings/assure", assureViaLink, s.showAssureLink)
	s.route(mux, "POST /listings/assure", assureViaLink, s.assureByLink)
	s.route(mux, "POST /services/{id}/assure", can(account.ListingAssure, freshServiceOwner), s.assureSignedIn)
	s.route(mux, "GET /admin/freshness", can(account.FreshnessReport, nil), s.showAdminFreshness)
	s.route(mux, "GET /provider/freshness", can(account.FreshnessReport, freshReportOrg), s.showProviderFreshness)
	s.feedRoutes(mux)
	s.subscriptionRoutes(mux)
}

// staleAfter is how long after its last confirmation a listing is stale.
func (s *Server) staleAfter() time.Duration {
	return cmp.Or(s.cfg.StaleAfter, listing.DefaultStaleAfter)
}

// staleness reports whether svc, of ix, is stale at now, and when it was
// last confirmed as correct (zero if it never was), by listing.Stale. As
// listing.StaleServices does, a service with no last_modified counts from
// its newest HSDS metadata row (the import or change that last wrote it).
func (s *Server) staleness(ix *directory.Index, svc *directory.Service, now time.Time) (stale bool, since time.Time) {
	modified := svc.LastModified
	if _, ok := listing.ParseDate(modified); !ok {
		var newest time.Time
		for _, m := range ix.Metadata(svc.ID) {
			if t, ok := listing.ParseDate(m.LastActionDate); ok && m.ResourceType == "service" && t.After(newest) {
				newest = t
			}
		}
		if !newest.IsZero() {
			modified = newest.Format(time.RFC3339Nano)
		}
	}
	since, _ = listing.Checked(svc.AssuredDate, modified)
	return listing.Stale(svc.AssuredDate, modified, now, s.staleAfter()), since
}

// markStale sets a search result's staleness.
func (s *Server) markStale(v *ResultView, ix *directory.Index, now time.Time) {
	svc, ok := ix.ServiceFlat(v.ID)
	if !ok {
		return
	}
	var since time.Time
	v.Stale, since = s.staleness(ix, svc, now)
	v.StaleSince = longDate(since)
}

// Freshness is what a service page says about its listing's last
// confirmation.
type Freshness struct {
	ServiceID string
	// Stale is set when the listing has not been confirmed for too long.
	Stale bool
	// Since is the date it was last confirmed ("4 March 2025"), or ""
	// if it never was.
	Since string
	// CanAssure offers the signed-in user the button confirming it.
	CanAssure bool
}

// freshnessFor builds the service page's Freshness of svc for r's user.
func (s *Server) freshnessFor(r *http.Request, svc directory.Service) Freshness {
	stale, since := s.staleness(s.index(), &svc, s.now())
	f := Freshness{ServiceID: svc.ID, Stale: stale, Since: longDate(since)}
	if u := userOf(r); u != nil {
		if res, err := s.freshOwner(r, svc.OrganizationID); err == nil {
			f.CanAssure = account.Can(u, account.ListingAssure, res)
		}
	}
	return f
}

// freshOwner returns the Resource for records of the HSDS organization
// hsdsOrgID: the account organisation that owns it, or an empty Resource
// (which only administrators may act on) when none does.
func (s *Server) freshOwner(r *http.Request, hsdsOrgID string) (account.Resource, error) {
	if s.cfg.DB == nil || hsdsOrgID == "" {
		return account.Resource{}, nil
	}
	o, err := s.cfg.DB.OrganisationByHSDS(r.Context(), hsdsOrgID)
	if errors.Is(err, apperr.NotFound) {
		return account.Resource{}, nil
	}
	if err != nil {
		return account.Resource{}, err
	}
	return o.Resource(), nil
}

// freshServiceOwner finds the organisation owning the service of the
// route's {id}.
func freshServiceOwner(s *Server, r *http.Request) (account.Resource, error) {
	svc, ok := s.index().ServiceFlat(r.PathValue("id"))
	if !ok {
		return account.Resource{}, apperr.Errorf(apperr.NotFound, "no service with id %q", r.PathValue("id"))
	}
	return s.freshOwner(r, svc.OrganizationID)
}

// freshReportOrg finds an organisation whose freshness report the user may
// read; with none, only administrators get in.
func freshReportOrg(_ *Server, r *http.Request) (account.Resource, error) {
	u := userOf(r)
	for _, id := range u.OrgIDs() {
		if res := (account.Resource{OrgID: id}); account.Can(u, account.FreshnessReport, res) {
			return res, nil
		}
	}
	return account.Resource{}, nil
}

// assureSignedIn confirms, for a signed-in provider, that their service's
// listing is still correct, and goes back to its page.
func (s *Server) assureSignedIn(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	svc, ok := s.index().ServiceFlat(r.PathValue("id"))
	if !ok {
		return apperr.Errorf(apperr.NotFound, "no service with id %q", r.PathValue("id"))
	}
	res, err := s.freshOwner(r, svc.OrganizationID)
	if err != nil {
		return err
	}
	ev := s.auditEvent(r, audit.ListingAssured, `{"via":"service page"}`)
	ev.OrgID = res.OrgID
	if ev.ActorRole == "" {
		ev.ActorRole = string(u.RoleIn(res.OrgID))
	}
	if err := s.assure(r, svc.ID, u.Email, ev); err != nil {
		return err
	}
	back := "/services/" + svc.ID
	if next := r.PostFormValue("next"); safeNext(next) == next {
		back = next
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// assure records that email confirmed service id as correct now, and
// reloads the directory so every page shows it at once.
func (s *Server) assure(r *http.Request, id, email string, ev audit.Event) error {
	ev.RecordType, ev.RecordID = "service", id
	if err := s.cfg.DB.AssureService(r.Context(), id, email, s.now().In(ukTime), ev); err != nil {
		return err
	}
	// The confirmation is stored; should the reload fail, the index
	// catches up at its next one.
	s.directoryChanged(r.Context())
	return nil
}

// AssureLinkPage is the data of the pages of a "still correct" link.
type AssureLinkPage struct {
	Page
	// Token is the link's token, posted back by the confirm button.
	Token string
	// Service is the listing the link confirms, when the link is good.
	Service *ServiceSummary
	// Since is when it was last confirmed, "" if never.
	Since string
	// Problem explains why the link cannot be used; empty when it can.
	Problem string
	// Done is set once the listing has been confirmed.
	Done bool
	// ConfirmedOn is the date it was confirmed, once Done.
	ConfirmedOn string
}

// assureLink is what a good "still correct" link carries.
type assureLink struct {
	link    account.Link
	user    account.User
	service *directory.Service
	res     account.Resource
}

// checkAssureLink verifies a "still correct" token at now: the signature,
// the expiry, the service (still listed) and the user it was sent to
// (still allowed to confirm it). It does not use the link up. Problems
// come back as the text to show.
func (s *Server) checkAssureLink(r *http.Request, token string) (assureLink, string, error) {
	if s.cfg.DB == nil {
		return assureLink{}, "", errNoAccounts
	}
	l, err := account.VerifyLink(s.cfg.LinkKey, assurePurpose, token, s.now())
	switch {
	case errors.Is(err, account.ErrLinkExpired):
		return assureLink{}, "This link has expired. Links in reminder emails work for " + freshDays(assureLinkLife) + ". Sign in to confirm the listing from its page, or wait for the next reminder.", nil
	case err != nil:
		return assureLink{}, "This link is not valid. Check you copied all of it from the email, or sign in to confirm the listing from its page.", nil
	}
	serviceID, userID, ok := strings.Cut(l.Subject, ":")
	svc, found := s.index().ServiceFlat(serviceID)
	if !ok || !found {
		return assureLink{}, "The listing this link is about is no longer in the directory.", nil
	}
	u, err := s.cfg.DB.User(r.Context(), userID)
	if errors.Is(err, apperr.NotFound) {
		return assureLink{}, "The account this link was sent to no longer exists.", nil
	}
	if err != nil {
		return assureLink{}, "", err
	}
	res, err := s.freshOwner(r, svc.OrganizationID)
	if err != nil {
		return assureLink{}, "", err
	}
	if !account.Can(&u, account.ListingAssure, res) {
		return assureLink{}, "The account this link was sent to may no longer confirm this listing.", nil
	}
	return assureLink{link: l, user: u, service: svc, res: res}, "", nil
}

// freshDays writes a duration in whole days: "14 days".
func freshDays(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// showAssureLink shows the listing a "still correct" link confirms, with a
// button that confirms it. Following the link changes nothing: mail
// scanners open links, and only a person presses the button.
func (s *Server) showAssureLink(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	al, problem, err := s.checkAssureLink(r, token)
	if err != nil {
		return err
	}
	p := &AssureLinkPage{Page: Page{Title: "Confirm a listing is still correct"}, Token: token, Problem: problem}
	if problem != "" {
		p.Title = "This link cannot be used"
		return s.render(w, r, http.StatusBadRequest, "assure", p)
	}
	p.Service = s.assureSummary(al.service)
	_, since := s.staleness(s.index(), al.service, s.now())
	p.Since = longDate(since)
	return s.render(w, r, http.StatusOK, "assure", p)
}

// assureByLink confirms the listing of a "still correct" link, once.
func (s *Server) assureByLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PostFormValue("token")
	al, problem, err := s.checkAssureLink(r, token)
	if err != nil {
		return err
	}
	p := &AssureLinkPage{Page: Page{Title: "This link cannot be used"}, Problem: problem}
	if problem != "" {
		return s.render(w, r, http.StatusBadRequest, "assure", p)
	}
	err = s.cfg.DB.UseLinkNonce(r.Context(), assurePurpose, al.link.Nonce, al.link.Subject, al.link.Expires)
	if errors.Is(err, apperr.Conflict) {
		p.Problem = "This link has already been used, so the listing is already confirmed. Each link works once."
		return s.render(w, r, http.StatusConflict, "assure", p)
	}
	if err != nil {
		return err
	}
	ev := s.auditEvent(r, audit.ListingAssured, `{"via":"reminder link"}`)
	ev.ActorID, ev.ActorRole, ev.OrgID = al.user.ID, string(al.user.RoleIn(al.res.OrgID)), al.res.OrgID
	if err := s.assure(r, al.service.ID, al.user.Email, ev); err != nil {
		return err
	}
	p.Title, p.Done, p.ConfirmedOn = "Listing confirmed", true, longDate(s.now())
	p.Service = s.assureSummary(al.service)
	return s.render(w, r, http.StatusOK, "assure", p)
}

// assureSummary is the brief view of svc the link pages show.
func (s *Server) assureSummary(svc *directory.Service) *ServiceSummary {
	ix := s.index()
	for i := range ix.NumServices() {
		if ix.ServiceAt(i).ID == svc.ID {
			v := newServiceSummary(ix, i)
			return &v
		}
	}
	return &ServiceSummary{ID: svc.ID, Name: svc.Name}
}

// FreshnessPage is the data of the freshness reports.
type FreshnessPage struct {
	Page
	// Admin is set on the report of every organisation's listings.
	Admin bool
	// StaleAfter says how long a listing stays fresh: "183 days".
	StaleAfter string
	// Groups are the listings by organisation (one group on the
	// administrators' report).
	Groups []FreshnessGroup
}

// FreshnessGroup is the stale listings of one organisation.
type FreshnessGroup struct {
	Name  string
	Rows  []FreshnessRow
	Total int // listings the organisation has, stale or not
}

// FreshnessRow is one stale listing of a report.
type FreshnessRow struct {
	ID           string
	Name         string
	Organisation string // the HSDS organization's name
	// Owner is the account organisation whose staff are reminded, or ""
	// when none owns the listing.
	Owner        string
	LastAssured  string // "4 March 2025", or "" if never
	LastReminded string // "", if never
}

// staleRows returns the stale listings of ix (listing.StaleServices) of
// the HSDS organizations in orgs (every organization when orgs is nil),
// oldest confirmation first, with when each was last reminded about and,
// with owners, the account organisation that owns it.
func (s *Server) staleRows(r *http.Request, ix *directory.Index, orgs map[string]bool, now time.Time, owners bool) ([]FreshnessRow, error) {
	reminded := map[string]time.Time{}
	if s.cfg.DB != nil {
		var err error
		if reminded, err = s.cfg.DB.RemindersSent(r.Context()); err != nil {
			return nil, err
		}
	}
	ownerNames := map[string]string{}
	var rows []FreshnessRow
	for _, st := range listing.StaleServices(ix.Dataset(), now, s.staleAfter()) {
		if orgs != nil && !orgs[st.OrganizationID] {
			continue
		}
		svc, ok := ix.ServiceFlat(st.ServiceID)
		if !ok {
			continue
		}
		row := FreshnessRow{ID: svc.ID, Name: svc.Name, LastAssured: longDate(st.Since), LastReminded: longDate(reminded[svc.ID])}
		if o, ok := ix.Organization(svc.OrganizationID); ok {
			row.Organisation = o.Name
		}
		if owners && s.cfg.DB != nil && svc.OrganizationID != "" {
			name, seen := ownerNames[svc.OrganizationID]
			if !seen {
				o, err := s.cfg.DB.OrganisationByHSDS(r.Context(), svc.OrganizationID)
				switch {
				case err == nil:
					name = o.Name
				case !errors.Is(err, apperr.NotFound):
					return nil, err
				}
				ownerNames[svc.OrganizationID] = name
			}
			row.Owner = name
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// showAdminFreshness lists every stale listing.
func (s *Server) showAdminFreshness(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.staleRows(r, s.index(), nil, s.now(), true)
	if err != nil {
		return err
	}
	p := &FreshnessPage{Page: Page{Title: "Listings to confirm"}, Admin: true, StaleAfter: freshDays(s.staleAfter()),
		Groups: []FreshnessGroup{{Name: "All organisations", Rows: rows}}}
	return s.render(w, r, http.StatusOK, "freshness", p)
}

// showProviderFreshness lists the stale listings of the organisations the
// user may report on: their own, never anyone else's.
func (s *Server) showProviderFreshness(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	ix := s.index()
	p := &FreshnessPage{Page: Page{Title: "Listings to confirm"}, StaleAfter: freshDays(s.staleAfter())}
	for _, m := range u.Memberships {
		if !account.Can(u, account.FreshnessReport, account.Resource{OrgID: m.OrgID}) || s.cfg.DB == nil {
			continue
		}
		o, err := s.cfg.DB.Organisation(r.Context(), m.OrgID)
		if err != nil {
			return err
		}
		g := FreshnessGroup{Name: o.Name}
		if o.HSDSOrganizationID != "" {
			g.Total = len(ix.ServicesOf(o.HSDSOrganizationID))
			if g.Rows, err = s.staleRows(r, ix, map[string]bool{o.HSDSOrganizationID: true}, s.now(), false); err != nil {
				return err
			}
		}
		p.Groups = append(p.Groups, g)
	}
	return s.render(w, r, http.StatusOK, "freshness", p)
}

var (
	_ pageData = (*AssureLinkPage)(nil)
	_ pageData = (*FreshnessPage)(nil)
)
