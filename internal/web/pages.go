package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"throughcare/internal/apperr"
)

// HomePage is the data of the home page.
type HomePage struct {
	Page
	Form SearchForm
	// Types are the service-type shortcuts.
	Types []TypeGroup
}

// ServicePage is the data of a service's page.
type ServicePage struct {
	Page
	Service ServiceView
	// Today is the opening times today, as on the results page.
	Today string
	// Distance is how far the nearest location is from the place searched
	// for ("1.2 km"), when the page was reached from a search by place.
	Distance string
	// Tiles configure the map's background; empty for a plain one.
	TilesURL, TilesAttribution string
	// Fresh says how recently the listing was confirmed (fresh.go).
	Fresh Freshness
	// CanEdit is set when the signed-in user may edit this listing.
	CanEdit bool
}

// OrganisationPage is the data of an organisation's page.
type OrganisationPage struct {
	Page
	Organisation OrganisationView
	Services     []ServiceSummary
}

// AboutDataPage is the data of the page about the directory's data.
type AboutDataPage struct {
	Page
}

// AccessibilityPage is the data of the accessibility statement.
type AccessibilityPage struct {
	Page
}

// ErrorPage is the data of an error page.
type ErrorPage struct {
	Page
	Status  int
	Message string
}

func (s *Server) showHome(w http.ResponseWriter, r *http.Request) error {
	ix := s.index()
	p := &HomePage{
		Page:  Page{Title: "Find health services for people on probation"},
		Form:  searchFormFor(ix, nil),
		Types: serviceTypes(ix, nil),
	}
	return s.render(w, r, http.StatusOK, "home", p)
}

func (s *Server) showService(w http.ResponseWriter, r *http.Request) error {
	ix := s.index()
	svc, ok := ix.Service(r.PathValue("id"))
	if !ok {
		return apperr.Errorf(apperr.NotFound, "no service with id %q", r.PathValue("id"))
	}
	v := newServiceView(ix, svc)
	p := &ServicePage{
		Page:             Page{Title: v.Name, Map: v.HasMap()},
		Service:          v,
		TilesURL:         s.cfg.TilesURL,
		TilesAttribution: s.cfg.TilesAttribution,
		CanEdit:          s.mayEditService(r, svc),
	}
	// A page reached from a search by place says how far away the service
	// is; a from parameter that is not a point is ignored, since it only
	// adds to the page.
	var nearSAL string
	if from, ok := parseFrom(r.URL.Query().Get("from")); ok {
		if id, d, ok := nearestLocation(svc, from); ok {
			nearSAL, p.Distance = id, formatKm(d)
		}
	}
	p.Today = hoursToday(scheduleOwner(svc, nearSAL), s.now())
	p.Fresh = s.freshnessFor(r, svc)
	p.Breadcrumbs = homeTrail
	if o := v.Organisation; o != nil {
		p.Breadcrumbs = trail(homeTrail, Crumb{o.Name, "/organisations/" + url.PathEscape(o.ID)})
	}
	return s.render(w, r, http.StatusOK, "service", p)
}

func (s *Server) showOrganisation(w http.ResponseWriter, r *http.Request) error {
	ix := s.index()
	id := r.PathValue("id")
	o, ok := ix.Organization(id)
	if !ok {
		return apperr.Errorf(apperr.NotFound, "no organisation with id %q", id)
	}
	p := &OrganisationPage{Page: Page{Title: o.Name}, Organisation: newOrganisationView(ix, o)}
	for _, i := range ix.ServicesOf(id) {
		p.Services = append(p.Services, newServiceSummary(ix, i))
	}
	slices.SortFunc(p.Services, func(a, b ServiceSummary) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return s.render(w, r, http.StatusOK, "organisation", p)
}

func (s *Server) showAboutData(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "about-data", &AboutDataPage{Page: Page{Title: "About the data"}})
}

func (s *Server) showAccessibility(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "accessibility", &AccessibilityPage{Page: Page{Title: "Accessibility statement"}})
}

// compile-time checks that every page's data satisfies pageData.
var (
	_ pageData = (*HomePage)(nil)
	_ pageData = (*SearchPage)(nil)
	_ pageData = (*ServicePage)(nil)
	_ pageData = (*OrganisationPage)(nil)
	_ pageData = (*AboutDataPage)(nil)
	_ pageData = (*AccessibilityPage)(nil)
	_ pageData = (*ErrorPage)(nil)
)
