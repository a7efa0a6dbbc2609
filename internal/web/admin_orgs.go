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
)

// Organisation administration: the bodies whose staff use the system,
// what kind each is, which directory listing (HSDS organization) it looks
// after, and whether its listing changes are published without review.

// AdminOrganisationsPage is the data of the list of organisations.
type AdminOrganisationsPage struct {
	Page
	Organisations []AdminOrgRow
}

// AdminOrgRow is an organisation as the list shows it.
type AdminOrgRow struct {
	ID, Name, Kind string
	// Listing names the directory organization it looks after, "" for
	// none; ListingID is its id.
	Listing, ListingID string
	Trusted            bool
}

// AdminOrganisationPage is the data of the form adding an organisation
// and of an organisation's own page, which edits it.
type AdminOrganisationPage struct {
	Page
	// ID is the organisation's id, "" on the form adding one.
	ID string
	// Heading is the organisation's stored name, or the form's title.
	Heading string
	Done    AdminNotice
	Form    formErrors
	Name    string
	// Kinds and Listings are the choices of kind and of directory
	// organization, with the current ones selected.
	Kinds    []Option
	Listings []Option
	Trusted  bool
	// Members are the organisation's users (on its own page only).
	Members []AdminMember
}

// AdminMember is a user of an organisation, with their role there.
type AdminMember struct {
	ID, Name, Email, Role string
	Disabled              bool
}

func (s *Server) listAdminOrganisations(w http.ResponseWriter, r *http.Request) error {
	orgs, err := s.cfg.DB.Organisations(r.Context())
	if err != nil {
		return err
	}
	ix := s.index()
	p := &AdminOrganisationsPage{Page: Page{Title: "Organisations"}}
	for _, o := range orgs {
		row := AdminOrgRow{ID: o.ID, Name: o.Name, Kind: orgKindText(o.Kind), ListingID: o.HSDSOrganizationID, Trusted: o.Trusted}
		if o.HSDSOrganizationID != "" {
			row.Listing = o.HSDSOrganizationID
			if h, ok := ix.Organization(o.HSDSOrganizationID); ok {
				row.Listing = h.Name
			}
		}
		p.Organisations = append(p.Organisations, row)
	}
	return s.render(w, r, http.StatusOK, "admin-organisations", p)
}

// orgPage returns the organisation form showing o, titled with its stored
// name (or as adding one, when o has no id yet).
func (s *Server) orgPage(o account.Organisation, title string) *AdminOrganisationPage {
	p := &AdminOrganisationPage{ID: o.ID, Name: o.Name, Trusted: o.Trusted}
	p.Title, p.Heading = title, title
	for _, k := range account.OrgKinds() {
		p.Kinds = append(p.Kinds, Option{Value: string(k), Text: orgKindText(k), Selected: k == o.Kind})
	}
	ix := s.index()
	for i := range ix.NumOrganizations() {
		h := ix.OrganizationAt(i)
		p.Listings = append(p.Listings, Option{Value: h.ID, Text: h.Name, Selected: h.ID == o.HSDSOrganizationID})
	}
	slices.SortFunc(p.Listings, func(a, b Option) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Text), strings.ToLower(b.Text)), strings.Compare(a.Value, b.Value))
	})
	return p
}

func (s *Server) showNewOrganisation(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "admin-organisation", s.orgPage(account.Organisation{}, newOrgTitle))
}

func (s *Server) showAdminOrganisation(w http.ResponseWriter, r *http.Request) error {
	o, err := s.cfg.DB.Organisation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.orgPage(o, o.Name)
	if err := s.addMembers(r, p); err != nil {
		return err
	}
	p.Done = doneNotice(r)
	return s.render(w, r, http.StatusOK, "admin-organisation", p)
}

// addMembers lists the users of organisation p.ID on its page.
func (s *Server) addMembers(r *http.Request, p *AdminOrganisationPage) error {
	users, err := s.cfg.DB.MembersOf(r.Context(), p.ID)
	if err != nil {
		return err
	}
	for _, u := range users {
		m := AdminMember{ID: u.ID, Name: u.Name, Email: u.Email, Disabled: u.Disabled}
		for _, ms := range u.Memberships {
			if ms.OrgID == p.ID {
				m.Role = roleText(ms.Role)
			}
		}
		p.Members = append(p.Members, m)
	}
	return nil
}

// orgFields maps the store's field errors about an organisation to the
// form's inputs.
var orgFields = map[string]adminField{
	"name":                 {"name", "Name"},
	"kind":                 {"kind", "Kind of organisation"},
	"hsds_organization_id": {"listing", "Directory listing"},
}

// newOrgTitle is the title of the form adding an organisation.
const newOrgTitle = "Add an organisation"

// readOrgForm reads the organisation form posted in r over o and checks
// it, recording any problems in the page it returns to show the form
// again.
func (s *Server) readOrgForm(r *http.Request, o account.Organisation) (account.Organisation, *AdminOrganisationPage, error) {
	if err := r.ParseForm(); err != nil {
		return o, nil, apperr.Errorf(apperr.Invalid, "The form could not be read.")
	}
	title := cmp.Or(o.Name, newOrgTitle)
	o.Name = strings.TrimSpace(r.PostForm.Get("name"))
	o.Kind = account.OrgKind(r.PostForm.Get("kind"))
	o.HSDSOrganizationID = r.PostForm.Get("listing")
	o.Trusted = r.PostForm.Get("trusted") == "yes"
	p := s.orgPage(o, title)
	f := &p.Form
	if o.Name == "" {
		f.add("name", "Enter the organisation's name")
	} else if err := o.Validate(); err != nil {
		if fe, ok := errors.AsType[*apperr.FieldError](err); ok && fe.Field == "name" {
			f.add("name", adminMessage("Name", fe.Msg))
		}
	}
	if !slices.Contains(account.OrgKinds(), o.Kind) {
		f.add("kind", "Choose what kind of organisation it is")
	}
	if id := o.HSDSOrganizationID; id != "" {
		if _, ok := s.index().Organization(id); !ok {
			f.add("listing", "Choose an organisation from the directory's list")
		} else if other, err := s.cfg.DB.OrganisationByHSDS(r.Context(), id); err == nil && other.ID != o.ID {
			f.add("listing", "That listing is already looked after by "+other.Name)
		} else if err != nil && !errors.Is(err, apperr.NotFound) {
			return o, nil, err
		}
	}
	if f.failed() {
		p.Title = errorTitle(p.Title)
	}
	return o, p, nil
}

// orgFormError shows p again with the problem err (a field error or a
// clash of names), or returns err if it is neither.
func (s *Server) orgFormError(w http.ResponseWriter, r *http.Request, p *AdminOrganisationPage, err error) error {
	switch {
	case errors.Is(err, apperr.Conflict):
		p.Form.add("name", "An organisation called "+p.Name+" already exists")
	case !p.Form.addError(err, orgFields):
		return err
	}
	p.Title = errorTitle(p.Title)
	return s.render(w, r, formStatus(err), "admin-organisation", p)
}

func (s *Server) createOrganisation(w http.ResponseWriter, r *http.Request) error {
	o, p, err := s.readOrgForm(r, account.Organisation{})
	if err != nil {
		return err
	}
	if p.Form.failed() {
		return s.render(w, r, http.StatusBadRequest, "admin-organisation", p)
	}
	ev := s.auditEvent(r, audit.OrgCreated, adminDetail(map[string]any{
		"kind": string(o.Kind), "hsds_organization_id": o.HSDSOrganizationID, "trusted": o.Trusted,
	}))
	created, err := s.cfg.DB.CreateOrganisation(r.Context(), o, ev)
	if err != nil {
		return s.orgFormError(w, r, p, err)
	}
	return adminRedirect(w, r, "/admin/organisations/"+created.ID, "org-created")
}

func (s *Server) updateOrganisation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	old, err := s.cfg.DB.Organisation(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	o, p, err := s.readOrgForm(r, old)
	if err != nil {
		return err
	}
	if !p.Form.failed() && sameOrganisation(o, old) {
		return adminRedirect(w, r, "/admin/organisations/"+o.ID, "nothing-saved")
	}
	if !p.Form.failed() {
		err = s.cfg.DB.UpdateOrganisation(ctx, o, s.auditEvent(r, audit.OrgUpdated, ""))
		if err == nil {
			return adminRedirect(w, r, "/admin/organisations/"+o.ID, "saved")
		}
	}
	if merr := s.addMembers(r, p); merr != nil {
		return merr
	}
	if p.Form.failed() {
		return s.render(w, r, http.StatusBadRequest, "admin-organisation", p)
	}
	return s.orgFormError(w, r, p, err)
}

// sameOrganisation reports whether a and b have the same editable fields.
func sameOrganisation(a, b account.Organisation) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.HSDSOrganizationID == b.HSDSOrganizationID && a.Trusted == b.Trusted
}
