package web

import (
	"cmp"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"throughcare/internal/directory"
)

// The view types below hold a record as its page shows it: text already
// formatted, optional parts already decided. Templates only lay them out.

// ServiceView is a service as its page shows it.
type ServiceView struct {
	ID            string
	Name          string
	AlternateName string
	Organisation  *OrganisationLink
	Status        Tag
	Alert         string
	Description   []string
	Demo          bool

	Types           []Tag
	Eligibility     []string // paragraphs of the eligibility description
	EligibilityTags []Tag
	Exclusions      []Tag
	AgeRange        string
	OtherTags       []Tag

	ApplicationProcess []string
	WaitTime           string
	Fees               string
	RequiredDocuments  []string
	Contacts           []ContactView

	Phones []PhoneView
	Email  string
	URL    string

	Hours     HoursView
	Locations []LocationView
	Languages []string
	Areas     []AreaView
	// AreasURL is the GeoJSON of the service areas' outlines, or "" when
	// no area has a shape.
	AreasURL string

	Assured string
	Updated string
}

// HasMap reports whether the service has anything to put on a map.
func (v *ServiceView) HasMap() bool {
	if v.AreasURL != "" {
		return true
	}
	for _, l := range v.Locations {
		if l.HasPoint {
			return true
		}
	}
	return false
}

// HasContact reports whether the service has any way to contact it.
func (v *ServiceView) HasContact() bool {
	return len(v.Phones) > 0 || v.Email != "" || v.URL != ""
}

// OrganisationLink names an organisation and links to its page.
type OrganisationLink struct {
	ID   string
	Name string
}

// ContactView is a named contact: a person or a role.
type ContactView struct {
	Name       string
	Title      string
	Department string
	Email      string
	Phones     []PhoneView
}

// PhoneView is a telephone number with a tel: link.
type PhoneView struct {
	Number      string
	Href        template.URL
	Extension   string
	Type        string
	Description string
	Languages   []string
}

// LocationView is one place a service is delivered.
type LocationView struct {
	ID   string
	Name string
	// Label names the location on the map: its name, or else the first
	// line of its address.
	Label          string
	Description    string
	Virtual        bool
	URL            string
	Address        []string
	HasPoint       bool
	Lat, Lng       string
	Transportation string
	Accessibility  []AccessibilityView
	Languages      []string
	Hours          HoursView
	Phones         []PhoneView
	Contacts       []ContactView
}

// AccessibilityView describes how accessible a location is.
type AccessibilityView struct {
	Description string
	Details     string
	URL         string
}

// AreaView is a geographic area a service covers.
type AreaView struct {
	Name        string
	Description string
}

// HoursView is an opening-hours table.
type HoursView struct {
	Rows     []HoursRow
	HasNotes bool
}

// HoursRow is one line of an opening-hours table.
type HoursRow struct {
	Days  string
	Times string
	Notes string
}

// OrganisationView is an organisation as its page shows it.
type OrganisationView struct {
	ID            string
	Name          string
	AlternateName string
	Description   []string
	Website       string
	Email         string
	Phones        []PhoneView
	Demo          bool
	Tags          []Tag
}

// ServiceSummary is a service as a list of services shows it.
type ServiceSummary struct {
	ID           string
	Name         string
	Organisation *OrganisationLink
	Summary      string
	Status       Tag
	Types        []Tag
	Demo         bool
}

// newServiceView builds the view of s, a service as Index.Service returns
// it (fully nested).
func newServiceView(ix *directory.Index, s directory.Service) ServiceView {
	tags := classify(ix, s.Attributes)
	v := ServiceView{
		ID:                 s.ID,
		Name:               s.Name,
		AlternateName:      s.AlternateName,
		Status:             statusTag(s.Status),
		Alert:              s.Alert,
		Description:        paragraphs(s.Description),
		Demo:               tags.Demo,
		Types:              tags.Types,
		Eligibility:        paragraphs(s.EligibilityDescription),
		EligibilityTags:    tags.Eligibility,
		Exclusions:         tags.Exclusions,
		OtherTags:          tags.Other,
		AgeRange:           ageRange(s.MinimumAge, s.MaximumAge),
		ApplicationProcess: paragraphs(s.ApplicationProcess),
		WaitTime:           s.WaitTime,
		Fees:               strings.TrimSpace(s.FeesDescription + " " + s.Fees),
		Contacts:           contactViews(s.Contacts),
		Phones:             phoneViews(s.Phones),
		Email:              s.Email,
		URL:                s.URL,
		Hours:              hoursOf(s.Schedules),
		Assured:            formatDate(s.AssuredDate),
		Updated:            formatDate(s.LastModified),
	}
	if s.Organization != nil {
		v.Organisation = &OrganisationLink{ID: s.Organization.ID, Name: s.Organization.Name}
	}
	for _, d := range s.RequiredDocuments {
		if d.Document != "" {
			v.RequiredDocuments = append(v.RequiredDocuments, d.Document)
		}
	}
	v.Languages = languageNames(s.Languages)
	for _, sal := range s.ServiceAtLocations {
		if sal.Location != nil {
			v.Locations = append(v.Locations, newLocationView(sal))
		}
	}
	hasShape := false
	for _, a := range s.ServiceAreas {
		if a.Name != "" || a.Description != "" {
			v.Areas = append(v.Areas, AreaView{Name: a.Name, Description: a.Description})
		}
		hasShape = hasShape || isGeoJSON(a)
	}
	if hasShape {
		v.AreasURL = "/services/" + s.ID + "/areas.geojson"
	}
	return v
}

func newLocationView(sal directory.ServiceAtLocation) LocationView {
	l := sal.Location
	v := LocationView{
		ID:             l.ID,
		Name:           l.Name,
		Description:    strings.TrimSpace(sal.Description),
		Virtual:        strings.EqualFold(l.LocationType, "virtual"),
		URL:            l.URL,
		Address:        addressLines(l.Addresses),
		Transportation: l.Transportation,
		Languages:      languageNames(l.Languages),
		Hours:          hoursOf(slices.Concat(sal.Schedules, l.Schedules)),
		Phones:         phoneViews(slices.Concat(sal.Phones, l.Phones)),
		Contacts:       contactViews(sal.Contacts),
	}
	if v.Description == "" {
		v.Description = l.Description
	}
	v.Label = v.Name
	if v.Label == "" && len(v.Address) > 0 {
		v.Label = v.Address[0]
	}
	v.Label = cmp.Or(v.Label, "Location")
	if l.Latitude != nil && l.Longitude != nil {
		v.HasPoint = true
		v.Lat = strconv.FormatFloat(*l.Latitude, 'f', 6, 64)
		v.Lng = strconv.FormatFloat(*l.Longitude, 'f', 6, 64)
	}
	for _, a := range l.Accessibility {
		if a.Description != "" || a.Details != "" || a.URL != "" {
			v.Accessibility = append(v.Accessibility, AccessibilityView{Description: a.Description, Details: a.Details, URL: a.URL})
		}
	}
	return v
}

// newOrganisationView builds the view of o, as Index.Organization returns it.
func newOrganisationView(ix *directory.Index, o directory.Organization) OrganisationView {
	tags := classify(ix, o.Attributes)
	return OrganisationView{
		ID:            o.ID,
		Name:          o.Name,
		AlternateName: o.AlternateName,
		Description:   paragraphs(o.Description),
		Website:       o.Website,
		Email:         o.Email,
		Phones:        phoneViews(o.Phones),
		Demo:          tags.Demo,
		Tags:          append(append(tags.Types, tags.Eligibility...), tags.Other...),
	}
}

// newServiceSummary builds the list entry of the service at position i.
func newServiceSummary(ix *directory.Index, i int) ServiceSummary {
	s := ix.ServiceBrief(i)
	tags := classify(ix, ix.Attributes(s.ID))
	v := ServiceSummary{
		ID:      s.ID,
		Name:    s.Name,
		Summary: summary(s.Description, 240),
		Status:  statusTag(s.Status),
		Types:   tags.Types,
		Demo:    tags.Demo,
	}
	if s.Organization != nil {
		v.Organisation = &OrganisationLink{ID: s.Organization.ID, Name: s.Organization.Name}
	}
	return v
}

// statusTag labels an HSDS service status. Active services get no tag
// colour change; the others stand out.
func statusTag(status string) Tag {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "active", "":
		return Tag{Text: "Active", Colour: "green"}
	case "temporarily closed":
		return Tag{Text: "Temporarily closed", Colour: "orange"}
	case "inactive":
		return Tag{Text: "Inactive", Colour: "grey"}
	case "defunct":
		return Tag{Text: "Closed", Colour: "grey"}
	default:
		return Tag{Text: status, Colour: "grey"}
	}
}

// summary returns the first paragraph of text, cut at a word boundary to
// at most max bytes with an ellipsis.
func summary(text string, max int) string {
	ps := paragraphs(text)
	if len(ps) == 0 {
		return ""
	}
	p := strings.Join(strings.Fields(ps[0]), " ")
	if len(p) <= max {
		return p
	}
	cut := strings.LastIndexByte(p[:max], ' ')
	if cut <= 0 {
		cut = max
		for cut > 0 && !utf8.RuneStart(p[cut]) {
			cut--
		}
	}
	return strings.TrimRight(p[:cut], " ,.;:") + "…"
}

// ageRange describes an age limit: "Aged 18 and over", "Aged up to 25",
// "Aged 18 to 25", or "" when there is none.
func ageRange(minAge, maxAge *float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case minAge != nil && maxAge != nil:
		return "Aged " + f(*minAge) + " to " + f(*maxAge)
	case minAge != nil:
		return "Aged " + f(*minAge) + " and over"
	case maxAge != nil:
		return "Aged up to " + f(*maxAge)
	}
	return ""
}

// dateLayouts are the forms HSDS dates and date-times arrive in.
var dateLayouts = []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// formatDate writes an HSDS date or date-time as GOV.UK style asks:
// "3 March 2025". Text it cannot read is returned as it is.
func formatDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2 January 2006")
		}
	}
	return s
}

// addressLines returns the lines of the location's physical address, or of
// its first address when none is physical. The country is left out when it
// is the United Kingdom.
func addressLines(addrs []directory.Address) []string {
	if len(addrs) == 0 {
		return nil
	}
	a := addrs[0]
	for _, b := range addrs {
		if strings.EqualFold(b.AddressType, "physical") {
			a = b
			break
		}
	}
	var lines []string
	for _, l := range []string{a.Attention, a.Address1, a.Address2, a.City, a.Region, a.StateProvince, a.PostalCode} {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	switch strings.ToUpper(strings.TrimSpace(a.Country)) {
	case "", "GB", "GBR", "UK", "UNITED KINGDOM":
	default:
		lines = append(lines, a.Country)
	}
	return lines
}

func phoneViews(ps []directory.Phone) []PhoneView {
	var out []PhoneView
	for _, p := range ps {
		if strings.TrimSpace(p.Number) == "" {
			continue
		}
		v := PhoneView{
			Number:      p.Number,
			Href:        telURL(p.Number),
			Type:        phoneType(p.Type),
			Description: p.Description,
			Languages:   languageNames(p.Languages),
		}
		if p.Extension != nil {
			v.Extension = strconv.FormatFloat(*p.Extension, 'f', -1, 64)
		}
		out = append(out, v)
	}
	return out
}

// phoneType labels an HSDS phone type. Voice lines, the usual kind, get no
// label.
func phoneType(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "", "voice":
		return ""
	case "cell":
		return "Mobile"
	case "text":
		return "Text message"
	case "fax":
		return "Fax"
	case "textphone":
		return "Textphone"
	case "video":
		return "Video call"
	case "pager":
		return "Pager"
	}
	return t
}

// telURL returns a tel: link for a phone number. Only digits and a leading
// plus sign are kept, which also makes the URL safe to mark as trusted.
func telURL(number string) template.URL {
	var b strings.Builder
	b.WriteString("tel:")
	for i, r := range strings.TrimSpace(number) {
		if r >= '0' && r <= '9' || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return template.URL(b.String())
}

func contactViews(cs []directory.Contact) []ContactView {
	var out []ContactView
	for _, c := range cs {
		out = append(out, ContactView{
			Name:       c.Name,
			Title:      c.Title,
			Department: c.Department,
			Email:      c.Email,
			Phones:     phoneViews(c.Phones),
		})
	}
	return out
}

// languageNames lists languages by name (or code when unnamed), with any
// note in brackets.
func languageNames(ls []directory.Language) []string {
	var out []string
	for _, l := range ls {
		name := strings.TrimSpace(l.Name)
		if name == "" {
			name = strings.TrimSpace(l.Code)
		}
		if name == "" {
			continue
		}
		if n := strings.TrimSpace(l.Note); n != "" {
			name += " (" + n + ")"
		}
		out = append(out, name)
	}
	return out
}

// isGeoJSON reports whether a service area carries a GeoJSON shape.
func isGeoJSON(a directory.ServiceArea) bool {
	return strings.EqualFold(a.ExtentType, "geojson") && strings.TrimSpace(a.Extent) != ""
}
