package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
	"throughcare/internal/store"
)

// Provider self-service: providers edit their organisation's listings
// through one form (listing_form.go); each submission is stored as a
// pending listing.Change for an administrator to review (review.go), or
// published at once for a trusted organisation. Their home page
// (provider.go) lists their listings and changes, and anyone signed in can
// read a service's change history (history.go).

// listingRoutes registers the provider, review and history pages.
func (s *Server) listingRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /provider", signedIn, s.showProviderHome)
	s.route(mux, "GET /services/{id}/edit", can(account.ListingEdit, serviceOwner), s.showEditListing)
	s.route(mux, "POST /services/{id}/edit", can(account.ListingEdit, serviceOwner), s.submitEditListing)
	s.route(mux, "GET /organisations/{id}/services/new", can(account.ListingEdit, hsdsOrganisationOwner), s.showNewListing)
	s.route(mux, "POST /organisations/{id}/services/new", can(account.ListingEdit, hsdsOrganisationOwner), s.submitNewListing)
	s.route(mux, "GET /provider/changes/{id}", can(account.ListingEdit, changeOwner), s.showListingChange)
	s.route(mux, "POST /provider/changes/{id}/withdraw", can(account.ListingEdit, changeOwner), s.withdrawListingChange)
	s.route(mux, "GET /services/{id}/history", signedIn, s.showServiceHistory)
	s.route(mux, "GET /admin/reviews", can(account.ListingReview, nil), s.showReviewQueue)
	s.route(mux, "GET /admin/reviews/{id}", can(account.ListingReview, nil), s.showReview)
	s.route(mux, "POST /admin/reviews/{id}/approve", can(account.ListingReview, nil), s.approveReview)
	s.route(mux, "POST /admin/reviews/{id}/reject", can(account.ListingReview, nil), s.rejectReview)
}

// errNoListingOwner is returned for a listing no account organisation has
// claimed: nobody can edit it until an administrator links one.
var errNoListingOwner = apperr.Errorf(apperr.NotFound, "No organisation on Throughcare manages this listing yet.")

// listingOwner returns the account organisation that owns the HSDS
// organization hsdsID's listings.
func (s *Server) listingOwner(ctx context.Context, hsdsID string) (account.Organisation, error) {
	if hsdsID == "" {
		return account.Organisation{}, errNoListingOwner
	}
	org, err := s.cfg.DB.OrganisationByHSDS(ctx, hsdsID)
	if errors.Is(err, apperr.NotFound) {
		return account.Organisation{}, errNoListingOwner
	}
	return org, err
}

// serviceOwner finds the organisation that owns the listing of the
// service in the path.
func serviceOwner(s *Server, r *http.Request) (account.Resource, error) {
	svc, ok := s.index().ServiceFlat(r.PathValue("id"))
	if !ok {
		return account.Resource{}, apperr.Errorf(apperr.NotFound, "no service with id %q", r.PathValue("id"))
	}
	org, err := s.listingOwner(r.Context(), svc.OrganizationID)
	if err != nil {
		return account.Resource{}, err
	}
	return org.Resource(), nil
}

// hsdsOrganisationOwner finds the organisation that owns the listings of
// the HSDS organization in the path.
func hsdsOrganisationOwner(s *Server, r *http.Request) (account.Resource, error) {
	if _, ok := s.index().Organization(r.PathValue("id")); !ok {
		return account.Resource{}, apperr.Errorf(apperr.NotFound, "no organisation with id %q", r.PathValue("id"))
	}
	org, err := s.listingOwner(r.Context(), r.PathValue("id"))
	if err != nil {
		return account.Resource{}, err
	}
	return org.Resource(), nil
}

// changeOwner finds the organisation that submitted the listing change in
// the path.
func changeOwner(s *Server, r *http.Request) (account.Resource, error) {
	ch, err := s.cfg.DB.ListingChange(r.Context(), r.PathValue("id"))
	if err != nil {
		return account.Resource{}, err
	}
	org, err := s.cfg.DB.Organisation(r.Context(), ch.OrgID)
	if err != nil {
		return account.Resource{}, err
	}
	return org.Resource(), nil
}

// ListingEditPage is the data of the form that edits a listing or adds a
// service.
type ListingEditPage struct {
	Page
	Form *ListingForm
	// Action is where the form is posted.
	Action string
	// Create is set for a new service.
	Create bool
	// ServiceID and ServiceName name the live service (empty when new).
	ServiceID, ServiceName string
	// Organisation is the HSDS organization's name.
	Organisation string
	// PublishNow says the changes go live without review.
	PublishNow bool
	// Pending is a change to this service already awaiting review.
	Pending *ChangeLink
}

// ChangeLink is a listing change as a line of a list.
type ChangeLink struct {
	ID, Href    string
	ServiceName string
	Kind        string // "Change" or "New service"
	Status      Tag
	SubmittedAt string
	SubmittedBy string
	ReviewNote  string
	Note        string
}

// listingEdit is what an edit or a new-service request works on.
type listingEdit struct {
	org   account.Organisation
	hsds  directory.Organization
	draft listing.Draft
	page  *ListingEditPage
}

// editOf loads the listing of the service in the path and the page
// editing it, with the form showing the live listing.
func (s *Server) editOf(r *http.Request) (*listingEdit, error) {
	ix := s.index()
	id := r.PathValue("id")
	svc, ok := ix.ServiceFlat(id)
	if !ok {
		return nil, apperr.Errorf(apperr.NotFound, "no service with id %q", id)
	}
	org, err := s.listingOwner(r.Context(), svc.OrganizationID)
	if err != nil {
		return nil, err
	}
	d, err := listing.NewDraft(ix.Dataset(), id)
	if err != nil {
		return nil, err
	}
	hsds, _ := ix.Organization(svc.OrganizationID)
	e := &listingEdit{org: org, hsds: hsds, draft: d}
	e.page = &ListingEditPage{
		Page:   Page{Title: "Edit " + svc.Name},
		Form:   newListingForm(ix, d),
		Action: "/services/" + id + "/edit", ServiceID: id, ServiceName: svc.Name, Organisation: hsds.Name,
		PublishNow: publishesNow(userOf(r), org),
	}
	pending, err := s.cfg.DB.ListingChanges(r.Context(), store.ListingFilter{ServiceID: id, Status: listing.StatusPending, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		l := s.changeLinks(r.Context(), ix, pending)[0]
		e.page.Pending = &l
	}
	return e, nil
}

// newOf loads the organisation in the path and the page adding a service
// to it.
func (s *Server) newOf(r *http.Request) (*listingEdit, error) {
	ix := s.index()
	hsds, ok := ix.Organization(r.PathValue("id"))
	if !ok {
		return nil, apperr.Errorf(apperr.NotFound, "no organisation with id %q", r.PathValue("id"))
	}
	org, err := s.listingOwner(r.Context(), hsds.ID)
	if err != nil {
		return nil, err
	}
	d := listing.NewServiceDraft(hsds.ID, "")
	e := &listingEdit{org: org, hsds: hsds, draft: d}
	e.page = &ListingEditPage{
		Page:   Page{Title: "Add a service"},
		Form:   newListingForm(ix, d),
		Action: "/organisations/" + hsds.ID + "/services/new", Create: true, Organisation: hsds.Name,
		PublishNow: publishesNow(userOf(r), org),
	}
	return e, nil
}

// publishesNow reports whether u's changes to org's listings go live
// without review: the organisation is trusted and u may publish for it.
func publishesNow(u *account.User, org account.Organisation) bool {
	return org.Trusted && account.Can(u, account.ListingPublish, org.Resource())
}

func (s *Server) showEditListing(w http.ResponseWriter, r *http.Request) error {
	e, err := s.editOf(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "listing-edit", e.page)
}

func (s *Server) showNewListing(w http.ResponseWriter, r *http.Request) error {
	e, err := s.newOf(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "listing-edit", e.page)
}

func (s *Server) submitEditListing(w http.ResponseWriter, r *http.Request) error {
	e, err := s.editOf(r)
	if err != nil {
		return err
	}
	return s.submitListing(w, r, e)
}

func (s *Server) submitNewListing(w http.ResponseWriter, r *http.Request) error {
	e, err := s.newOf(r)
	if err != nil {
		return err
	}
	return s.submitListing(w, r, e)
}

// submitListing reads the posted form onto e's draft and submits it: as a
// change for review, or published at once (see publishesNow). A form with
// problems is shown again with them, and nothing is stored.
func (s *Server) submitListing(w http.ResponseWriter, r *http.Request, e *listingEdit) error {
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "The form could not be read.")
	}
	ix := s.index()
	u := userOf(r)
	f := readListingForm(ix, e.page.Form, r.PostForm)
	e.page.Form = f
	if e.page.Pending != nil {
		f.addError("", "A change to this service is already awaiting review. Withdraw it before sending another.")
		return s.renderListingErrors(w, r, e, http.StatusConflict)
	}
	// Every problem is found in one pass: the form's own checks first
	// (their messages win for a field), then the listing's rules, run
	// here on the directory in memory so that older data with problems is
	// reported alongside; the store checks again against the database.
	f.check(ix, r.PostForm)
	f.apply(r.Context(), ix, &e.draft, s.cfg.Postcodes)
	if err := listing.Validate(e.draft, e.org.HSDSOrganizationID, ix.Dataset()); err != nil {
		if !f.addSubmitError(e.draft, err) {
			return err
		}
	}
	if f.failed() {
		return s.renderListingErrors(w, r, e, http.StatusBadRequest)
	}
	ev := s.auditEvent(r, audit.ListingChanged, "")
	if !u.Admin {
		ev.ActorRole = string(u.RoleIn(e.org.ID))
	}
	ch, err := s.cfg.DB.SubmitListingChange(r.Context(), listing.Change{
		OrgID: e.org.ID, Draft: e.draft, Note: f.Values[fieldNote], SubmittedBy: u.ID,
	}, e.page.PublishNow, ev)
	if err != nil {
		if !f.addSubmitError(e.draft, err) {
			return err
		}
		return s.renderListingErrors(w, r, e, statusOf(err))
	}
	if ch.Status.Live() {
		s.directoryChanged(r.Context())
	}
	http.Redirect(w, r, "/provider/changes/"+url.PathEscape(ch.ID)+"?sent=1", http.StatusSeeOther)
	return nil
}

// renderListingErrors shows the form again with its problems.
func (s *Server) renderListingErrors(w http.ResponseWriter, r *http.Request, e *listingEdit, status int) error {
	e.page.Form.keepRemovals(e.draft)
	e.page.Title = errorTitle(e.page.Title)
	return s.render(w, r, status, "listing-edit", e.page)
}

// directoryChanged asks for the in-memory directory to be rebuilt after
// the site changed it. The change is already stored: a failure here only
// delays the pages showing it until the next reload, so it is logged, not
// shown.
func (s *Server) directoryChanged(ctx context.Context) {
	if s.cfg.DirectoryChanged == nil {
		return
	}
	if err := s.cfg.DirectoryChanged(ctx); err != nil {
		s.log.ErrorContext(ctx, "reloading the directory after a change failed", "err", err)
	}
}

// ListingChangePage is the data of a listing change's page, which is
// also the confirmation shown after submitting one.
type ListingChangePage struct {
	Page
	Change ChangeView
	// Sent is set just after the provider submitted the change.
	Sent bool
}

func (s *Server) showListingChange(w http.ResponseWriter, r *http.Request) error {
	ch, err := s.cfg.DB.ListingChange(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.changeView(r.Context(), s.index(), ch)
	// Just after sending, the page confirms where the change went.
	sent := r.URL.Query().Get("sent") != ""
	p := &ListingChangePage{Page: Page{Title: v.Heading}, Change: v, Sent: sent && (v.Pending || v.Live)}
	switch {
	case p.Sent && v.Pending:
		p.Title = "Change sent for review"
	case p.Sent:
		p.Title = "Change published"
	}
	return s.render(w, r, http.StatusOK, "listing-change", p)
}

// withdrawListingChange takes a pending change back, so the provider can
// submit another.
func (s *Server) withdrawListingChange(w http.ResponseWriter, r *http.Request) error {
	ch, err := s.cfg.DB.ListingChange(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ev := s.auditEvent(r, audit.ListingChanged, "")
	if u := userOf(r); !u.Admin {
		ev.ActorRole = string(u.RoleIn(ch.OrgID))
	}
	if err := s.cfg.DB.WithdrawListingChange(r.Context(), ch.ID, ev); err != nil {
		return err
	}
	http.Redirect(w, r, "/provider/changes/"+url.PathEscape(ch.ID), http.StatusSeeOther)
	return nil
}
