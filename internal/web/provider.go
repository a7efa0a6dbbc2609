package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
	"throughcare/internal/store"
)

// The provider home page lists the listings of each organisation the
// signed-in user is a provider of, with where each stands, and the
// changes they have sent that are awaiting review or were turned down.
//
// Administrators belong to no organisation as providers. Rather than every
// organisation's listings at once, they get a choice of organisation
// (?org=ID) and then see the page as that organisation's providers do.
// Anyone else signed in sees that they have no listings to manage.

// ProviderPage is the data of the provider home page.
type ProviderPage struct {
	Page
	Organisations []ProviderOrganisation
	// Choices are the organisations an administrator may look at, with
	// the chosen one selected; empty for everyone else.
	Choices []Option
	// Admin is set for administrators.
	Admin bool
}

// ProviderOrganisation is one organisation's part of the provider home
// page.
type ProviderOrganisation struct {
	ID, Name string
	// Listing is the name of the HSDS organization whose listings it
	// manages; ListingHref its public page.
	Listing, ListingHref string
	Trusted              bool
	Services             []ListingStatus
	// Changes are its changes awaiting review, then those turned down.
	Changes []ChangeLink
	// NewHref adds a service.
	NewHref string
	// FreshHref is the report where stale listings are confirmed, when
	// any listing here is stale.
	FreshHref string
}

// ListingStatus is where one listing stands.
type ListingStatus struct {
	ID, Name, Href, EditHref, HistoryHref string
	Status                                Tag
	// PendingHref links to the change awaiting review, if there is one.
	PendingHref string
	// Checked is when the listing was last assured or changed.
	Checked string
	// Assured is the date the provider last confirmed it.
	Assured string
	Stale   bool
}

// maxRejectedShown bounds the turned-down changes the home page lists.
const maxRejectedShown = 10

func (s *Server) showProviderHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userOf(r)
	p := &ProviderPage{Page: Page{Title: "Your listings"}, Admin: u.Admin}
	chosen := r.URL.Query().Get("org")
	var orgs []account.Organisation
	if u.Admin {
		all, err := s.cfg.DB.Organisations(ctx)
		if err != nil {
			return err
		}
		p.Choices = []Option{{Value: "", Text: "Choose an organisation"}}
		for _, o := range all {
			if o.HSDSOrganizationID == "" {
				continue
			}
			p.Choices = append(p.Choices, Option{Value: o.ID, Text: o.Name, Selected: o.ID == chosen})
			if o.ID == chosen {
				orgs = append(orgs, o)
			}
		}
		if chosen != "" && len(orgs) == 0 {
			return apperr.Field("org", "choose an organisation that manages listings")
		}
	} else {
		for _, m := range u.Memberships {
			if m.Role != account.RoleProvider || (chosen != "" && m.OrgID != chosen) {
				continue
			}
			o, err := s.cfg.DB.Organisation(ctx, m.OrgID)
			if err != nil {
				return err
			}
			if o.HSDSOrganizationID != "" {
				orgs = append(orgs, o)
			}
		}
	}
	ix := s.index()
	for _, o := range orgs {
		po, err := s.providerOrganisation(ctx, ix, o)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(po.Services, func(l ListingStatus) bool { return l.Stale }) {
			po.FreshHref = "/provider/freshness"
			if u.Admin {
				po.FreshHref = "/admin/freshness"
			}
		}
		p.Organisations = append(p.Organisations, po)
	}
	return s.render(w, r, http.StatusOK, "provider", p)
}

// providerOrganisation gathers one organisation's listings and changes.
func (s *Server) providerOrganisation(ctx context.Context, ix *directory.Index, o account.Organisation) (ProviderOrganisation, error) {
	po := ProviderOrganisation{ID: o.ID, Name: o.Name, Trusted: o.Trusted,
		NewHref: "/organisations/" + url.PathEscape(o.HSDSOrganizationID) + "/services/new"}
	if hsds, ok := ix.Organization(o.HSDSOrganizationID); ok {
		po.Listing, po.ListingHref = hsds.Name, "/organisations/"+url.PathEscape(hsds.ID)
	}
	pending, err := s.cfg.DB.ListingChanges(ctx, store.ListingFilter{OrgID: o.ID, Status: listing.StatusPending})
	if err != nil {
		return po, err
	}
	rejected, err := s.cfg.DB.ListingChanges(ctx, store.ListingFilter{OrgID: o.ID, Status: listing.StatusRejected, Limit: maxRejectedShown})
	if err != nil {
		return po, err
	}
	pendingOf := map[string]string{}
	for _, ch := range pending {
		pendingOf[ch.ServiceID] = "/provider/changes/" + url.PathEscape(ch.ID)
	}
	po.Changes = s.changeLinks(ctx, ix, slices.Concat(pending, rejected))
	now := s.now()
	for _, i := range ix.ServicesOf(o.HSDSOrganizationID) {
		svc := ix.ServiceAt(i)
		esc := url.PathEscape(svc.ID)
		ls := ListingStatus{ID: svc.ID, Name: svc.Name, Href: "/services/" + esc, EditHref: "/services/" + esc + "/edit",
			HistoryHref: "/services/" + esc + "/history", Status: statusTag(svc.Status), PendingHref: pendingOf[svc.ID],
			Assured: formatDate(svc.AssuredDate)}
		stale, since := s.staleness(ix, svc, now)
		ls.Checked = longDate(since)
		ls.Stale = stale && !strings.EqualFold(svc.Status, "defunct")
		po.Services = append(po.Services, ls)
	}
	slices.SortFunc(po.Services, func(a, b ListingStatus) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return po, nil
}

// mayEditService reports whether the signed-in user of r may edit the
// listing of svc, for the link on the service's page.
func (s *Server) mayEditService(r *http.Request, svc directory.Service) bool {
	u := userOf(r)
	if u == nil || s.cfg.DB == nil {
		return false
	}
	org, err := s.listingOwner(r.Context(), svc.OrganizationID)
	return err == nil && account.Can(u, account.ListingEdit, org.Resource())
}
