package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/listing"
	"throughcare/internal/search"
)

// Subscriptions: a signed-in user asks for news of new and changed
// services in an area, of a service type, or both, and gets a weekly
// e-mail digest of them (jobs.go). Each subscription also has an Atom feed
// (feed.go), which needs no account.

func (s *Server) subscriptionRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /account/subscriptions", own(account.SubscriptionManage), s.showSubscriptions)
	s.route(mux, "POST /account/subscriptions", own(account.SubscriptionManage), s.changeSubscriptions)
}

// SubscriptionsPage is the data of the page listing a user's subscriptions.
type SubscriptionsPage struct {
	Page
	Subscriptions []SubscriptionView
	// Areas and Types are the choices of the form to add one.
	Areas []Option
	Types []TypeGroup
	// Errors holds the problems with the form sent.
	Errors formErrors
}

// SubscriptionView is one subscription as the page lists it.
type SubscriptionView struct {
	ID   string
	Area string // the area's name, or "Any area"
	Type string // the service type's name, or "Any type of service"
	// FeedURL is the Atom feed of the same news.
	FeedURL string
}

// showSubscriptions lists the user's subscriptions, with a form to add one.
func (s *Server) showSubscriptions(w http.ResponseWriter, r *http.Request) error {
	p, err := s.subscriptionsPage(r, "", "")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "subscriptions", p)
}

// subscriptionsPage builds the page for r's user, with area and typeCode
// chosen in the form.
func (s *Server) subscriptionsPage(r *http.Request, area, typeCode string) (*SubscriptionsPage, error) {
	u := userOf(r)
	ix := s.index()
	subs, err := s.cfg.DB.SubscriptionsOf(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	p := &SubscriptionsPage{Page: Page{Title: "Your subscriptions"}, Types: serviceTypes(ix, []string{typeCode})}
	areas, err := s.subscriptionAreas(r)
	if err != nil {
		return nil, err
	}
	p.Areas = append(p.Areas, Option{Value: "", Text: "Any area", Selected: area == ""})
	for _, a := range areas {
		p.Areas = append(p.Areas, Option{Value: a.Code, Text: a.Name, Selected: strings.EqualFold(a.Code, area)})
	}
	for _, sub := range subs {
		f := newsFilter{Area: sub.AreaCode, TypeID: sub.ServiceTypeID}
		v := SubscriptionView{ID: sub.ID, Area: "Any area", Type: "Any type of service", FeedURL: "/feeds/services.atom"}
		if sub.AreaCode != "" {
			v.Area = subscriptionAreaName(areas, sub.AreaCode)
		}
		if t, ok := ix.TaxonomyTerm(sub.ServiceTypeID); ok && sub.ServiceTypeID != "" {
			v.Type = t.Name
		}
		if q := f.query(ix); len(q) > 0 {
			v.FeedURL += "?" + q.Encode()
		}
		p.Subscriptions = append(p.Subscriptions, v)
	}
	return p, nil
}

// subscriptionArea is an area a subscription may name.
type subscriptionArea struct{ Code, Name string }

// subscriptionAreas returns the areas with GSS codes that subscriptions may name,
// by name: those the directory's service areas cover and those imported
// as boundaries (local authorities and ICBs).
func (s *Server) subscriptionAreas(r *http.Request) ([]subscriptionArea, error) {
	names := map[string]string{}
	for _, a := range s.index().Dataset().ServiceAreas {
		if code := search.AreaCode(a.URI); code != "" && names[code] == "" {
			names[code] = cmp.Or(strings.TrimSpace(a.Name), code)
		}
	}
	if s.cfg.DB != nil {
		stored, err := s.cfg.DB.Areas(r.Context(), "")
		if err != nil {
			return nil, err
		}
		for _, a := range stored {
			if code := strings.ToUpper(a.Code); geo.IsGSSCode(code) {
				names[code] = cmp.Or(strings.TrimSpace(a.Name), code)
			}
		}
	}
	out := make([]subscriptionArea, 0, len(names))
	for code, name := range names {
		out = append(out, subscriptionArea{Code: code, Name: name})
	}
	slices.SortFunc(out, func(a, b subscriptionArea) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Code, b.Code))
	})
	return out, nil
}

// subscriptionAreaName names the area with code from areas, or gives the code.
func subscriptionAreaName(areas []subscriptionArea, code string) string {
	if i := slices.IndexFunc(areas, func(a subscriptionArea) bool { return a.Code == code }); i >= 0 {
		return areas[i].Name
	}
	return code
}

// changeSubscriptions adds a subscription from the form, or removes the
// one named by its remove field, then shows the list again.
func (s *Server) changeSubscriptions(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	if id := r.PostFormValue("remove"); id != "" {
		ev := s.auditEvent(r, audit.SubscriptionChanged, `{"change":"removed"}`)
		// The store removes only the user's own subscription, so a forged
		// id of someone else's is not found.
		if err := s.cfg.DB.Unsubscribe(r.Context(), u.ID, id, ev); err != nil {
			return err
		}
		http.Redirect(w, r, "/account/subscriptions", http.StatusSeeOther)
		return nil
	}
	area := strings.ToUpper(strings.TrimSpace(r.PostFormValue("area")))
	typeCode := strings.TrimSpace(r.PostFormValue("type"))
	err := s.subscribe(r, u, area, typeCode)
	fe, invalid := errors.AsType[*apperr.FieldError](err)
	if err != nil && !invalid {
		return err
	}
	if err == nil {
		http.Redirect(w, r, "/account/subscriptions", http.StatusSeeOther)
		return nil
	}
	p, perr := s.subscriptionsPage(r, area, typeCode)
	if perr != nil {
		return perr
	}
	field := map[string]string{"area_code": "area", "service_type_id": "type"}[fe.Field]
	if field == "" {
		field = fe.Field
	}
	text := errorText(&apperr.FieldError{Field: field, Msg: fe.Msg})
	p.Errors.add(field, text)
	p.Title = errorTitle(p.Title)
	return s.render(w, r, http.StatusBadRequest, "subscriptions", p)
}

// subscribe adds u's subscription to area (a GSS code) and the service type
// typeCode, either of which may be empty. Problems come back as Invalid
// errors naming "area" or "type".
func (s *Server) subscribe(r *http.Request, u *account.User, area, typeCode string) error {
	sub := listing.Subscription{UserID: u.ID, AreaCode: area}
	if area != "" && !geo.IsGSSCode(area) {
		return apperr.Field("area", "%q is not an area we know; choose one from the list", area)
	}
	if typeCode != "" {
		t, ok := s.index().TermByCode(directory.TaxonomyID(directory.ServiceTypeTaxonomy), typeCode)
		if !ok {
			return apperr.Field("type", "%q is not a service type we know; choose one from the list", typeCode)
		}
		sub.ServiceTypeID = t.ID
	}
	if area == "" && typeCode == "" {
		return apperr.Field("area", "choose an area, a type of service or both")
	}
	ev := s.auditEvent(r, audit.SubscriptionChanged, `{"change":"added"}`)
	_, err := s.cfg.DB.Subscribe(r.Context(), sub, ev)
	if errors.Is(err, apperr.Conflict) {
		return apperr.Field("area", "you already have this subscription")
	}
	return err
}

var _ pageData = (*SubscriptionsPage)(nil)
