package hsds

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/directory"
)

// ORUK v1 is the Open Referral UK profile of HSDS 1.x/2.x that many UK
// feeds still publish (its OpenAPI document is in the public repository
// tpximpact/mhclg-oruk, public/specifications/1.0/openapi.json). A v1
// service maps onto HSDS 3.0 like this:
//
//   - id: a UUID is kept; any other id becomes
//     NameUUID("oruk-v1:<entity>:<id>"), where entity is the v1 collection
//     (service, organization, contact, phone, eligibility, regular_schedule,
//     holiday_schedule, physical_address, service_taxonomy, taxonomy, …), so
//     references survive and importing the same feed twice changes
//     nothing. A child with no id gets one made from its parent's id and
//     its position.
//   - eligibilitys: minimum_age and maximum_age go to the service (the
//     lowest minimum, the highest maximum); each eligibility text becomes an
//     attribute (value = the text) tagging the service with a term of a
//     taxonomy named "ORUK v1 eligibility".
//   - regular_schedules: schedules; weekday (a name such as "Monday" or
//     "Mon", or 1–7 from Monday) becomes byday MO..SU with freq WEEKLY.
//   - holiday_schedules: schedules with valid_from and valid_to (from
//     start_date and end_date) and description "closed" (or "open", with
//     the hours, when closed is false).
//   - service_taxonomys[].taxonomy: a taxonomy term (code = the v1 id,
//     description = its name, as v1 has none) in a taxonomy named after its
//     vocabulary, and an attribute tagging the service. A parent_id is kept
//     only if the parent term is in the same file.
//   - service_at_locations[].location: a physical location;
//     physical_addresses become addresses (address_type physical, country
//     "GB" when missing, state_province from county or state_province) and
//     accessibility_for_disabilities becomes accessibility.
//   - contacts (with phones), languages (language → name), cost_options
//     (currency GBP when an amount is given), fundings, service_areas
//     (service_area → name; extent kept, extent_type geojson when it is
//     JSON, else text) and organization map one to one.
//   - status defaults to "active", as v1 does not require it.
//
// Ignored: reviews, and the service fields HSDS 3.0 has no place for
// (deliverable_type, attending_type, attending_access).

type v1Service struct {
	ID                 flexText            `json:"id"`
	Name               flexText            `json:"name"`
	Description        flexText            `json:"description"`
	URL                flexText            `json:"url"`
	Email              flexText            `json:"email"`
	Status             flexText            `json:"status"`
	Fees               flexText            `json:"fees"`
	Accreditations     flexText            `json:"accreditations"`
	AssuredDate        flexText            `json:"assured_date"`
	Organization       *v1Organization     `json:"organization"`
	Contacts           []v1Contact         `json:"contacts"`
	CostOptions        []v1CostOption      `json:"cost_options"`
	Eligibilitys       []v1Eligibility     `json:"eligibilitys"`
	Fundings           []v1Funding         `json:"fundings"`
	HolidaySchedules   []v1Holiday         `json:"holiday_schedules"`
	Languages          []v1Language        `json:"languages"`
	RegularSchedules   []v1Regular         `json:"regular_schedules"`
	ServiceAreas       []v1Area            `json:"service_areas"`
	ServiceAtLocations []v1SAL             `json:"service_at_locations"`
	ServiceTaxonomys   []v1ServiceTaxonomy `json:"service_taxonomys"`
}

type v1Organization struct {
	ID          flexText `json:"id"`
	Name        flexText `json:"name"`
	Description flexText `json:"description"`
	Email       flexText `json:"email"`
	URL         flexText `json:"url"`
	Logo        flexText `json:"logo"`
	URI         flexText `json:"uri"`
}

type v1Contact struct {
	ID     flexText  `json:"id"`
	Name   flexText  `json:"name"`
	Title  flexText  `json:"title"`
	Phones []v1Phone `json:"phones"`
}

type v1Phone struct {
	ID       flexText `json:"id"`
	Number   flexText `json:"number"`
	Language flexText `json:"language"`
}

type v1CostOption struct {
	ID                flexText `json:"id"`
	ValidFrom         flexText `json:"valid_from"`
	ValidTo           flexText `json:"valid_to"`
	Option            flexText `json:"option"`
	Amount            flexNum  `json:"amount"`
	AmountDescription flexText `json:"amount_description"`
}

type v1Eligibility struct {
	ID          flexText `json:"id"`
	Eligibility flexText `json:"eligibility"`
	MinimumAge  flexNum  `json:"minimum_age"`
	MaximumAge  flexNum  `json:"maximum_age"`
}

type v1Funding struct {
	ID     flexText `json:"id"`
	Source flexText `json:"source"`
}

type v1Holiday struct {
	ID        flexText `json:"id"`
	Closed    flexText `json:"closed"`
	OpensAt   flexText `json:"opens_at"`
	ClosesAt  flexText `json:"closes_at"`
	StartDate flexText `json:"start_date"`
	EndDate   flexText `json:"end_date"`
}

type v1Language struct {
	ID       flexText `json:"id"`
	Language flexText `json:"language"`
}

type v1Regular struct {
	ID          flexText `json:"id"`
	Weekday     flexText `json:"weekday"`
	OpensAt     flexText `json:"opens_at"`
	ClosesAt    flexText `json:"closes_at"`
	ValidFrom   flexText `json:"valid_from"`
	ValidTo     flexText `json:"valid_to"`
	DTStart     flexText `json:"dtstart"`
	Freq        flexText `json:"freq"`
	Interval    flexNum  `json:"interval"`
	ByDay       flexText `json:"byday"`
	ByMonthDay  flexText `json:"bymonthday"`
	Description flexText `json:"description"`
}

type v1Area struct {
	ID          flexText `json:"id"`
	ServiceArea flexText `json:"service_area"`
	Extent      flexText `json:"extent"`
	URI         flexText `json:"uri"`
}

type v1SAL struct {
	ID               flexText    `json:"id"`
	Location         *v1Location `json:"location"`
	RegularSchedules []v1Regular `json:"regular_schedules"`
	HolidaySchedules []v1Holiday `json:"holiday_schedules"`
}

type v1Location struct {
	ID                           flexText          `json:"id"`
	Name                         flexText          `json:"name"`
	Description                  flexText          `json:"description"`
	Latitude                     flexNum           `json:"latitude"`
	Longitude                    flexNum           `json:"longitude"`
	PhysicalAddresses            []v1Address       `json:"physical_addresses"`
	AccessibilityForDisabilities []v1Accessibility `json:"accessibility_for_disabilities"`
}

type v1Address struct {
	ID            flexText `json:"id"`
	Attention     flexText `json:"attention"`
	Address1      flexText `json:"address_1"`
	City          flexText `json:"city"`
	County        flexText `json:"county"`
	StateProvince flexText `json:"state_province"`
	PostalCode    flexText `json:"postal_code"`
	Country       flexText `json:"country"`
}

type v1Accessibility struct {
	ID            flexText `json:"id"`
	Accessibility flexText `json:"accessibility"`
}

type v1ServiceTaxonomy struct {
	ID       flexText    `json:"id"`
	Taxonomy *v1Taxonomy `json:"taxonomy"`
}

type v1Taxonomy struct {
	ID         flexText `json:"id"`
	Name       flexText `json:"name"`
	Vocabulary flexText `json:"vocabulary"`
	ParentID   flexText `json:"parent_id"`
}

// flexText is text that v1 feeds sometimes write as a number or boolean
// (ids especially). An object or array is kept as its JSON text.
type flexText string

func (f *flexText) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexText(strings.TrimSpace(s))
	case string(b) == "null":
		*f = ""
	case b[0] == '{' || b[0] == '[':
		var c bytes.Buffer
		json.Compact(&c, b)
		*f = flexText(c.String())
	default:
		*f = flexText(b)
	}
	return nil
}

// flexNum is a number that v1 feeds sometimes write as a string. Null and
// "" leave it unset.
type flexNum struct{ v *float64 }

func (f *flexNum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s = strings.TrimSpace(s); s == "" {
			return nil
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		kind := "string"
		switch b[0] {
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		case 't', 'f':
			kind = "bool"
		}
		return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeFor[float64]()}
	}
	f.v = &n
	return nil
}

// v1Eligibility names the taxonomy v1 eligibility texts are filed under.
const v1EligibilityTaxonomy = "ORUK v1 eligibility"

// v1ID maps a v1 id to a UUID (see the package notes). A missing id is made
// from the parent's id and the child's position, or left empty (and so
// reported by validation) when there is no parent.
func v1ID(entity string, id flexText, parent string, index int) string {
	s := string(id)
	switch {
	case directory.ValidUUID(s):
		return strings.ToLower(s)
	case s != "":
		return directory.NameUUID("oruk-v1:" + entity + ":" + s)
	case parent != "":
		return directory.NameUUID("oruk-v1:" + entity + ":" + parent + "#" + strconv.Itoa(index))
	}
	return ""
}

// v1Service decodes one ORUK v1 service and adds it, mapped to HSDS 3.0.
func (b *builder) v1Service(raw []byte, start pos) error {
	b.at = start
	b.v1 = true
	var v v1Service
	if fe := decode(b.file, raw, start, &v); fe != nil {
		if v.ID != "" {
			fe.Record = "service " + string(v.ID)
		}
		return fe
	}
	sid := v1ID("service", v.ID, "", 0)
	s := directory.Service{
		ID: sid, Name: string(v.Name), Description: string(v.Description), URL: string(v.URL), Email: string(v.Email),
		Status: string(v.Status), Fees: string(v.Fees), Accreditations: string(v.Accreditations), AssuredDate: v1Date(v.AssuredDate),
	}
	if s.Status == "" {
		s.Status = "active"
	}
	if o := v.Organization; o != nil {
		s.Organization = &directory.Organization{
			ID: v1ID("organization", o.ID, "", 0), Name: string(o.Name), Description: string(o.Description),
			Email: string(o.Email), Website: string(o.URL), Logo: string(o.Logo), URI: string(o.URI),
		}
	}
	for i, c := range v.Contacts {
		cid := v1ID("contact", c.ID, sid, i)
		contact := directory.Contact{ID: cid, Name: string(c.Name), Title: string(c.Title)}
		for j, p := range c.Phones {
			pid := v1ID("phone", p.ID, cid, j)
			phone := directory.Phone{ID: pid, Number: string(p.Number)}
			if p.Language != "" {
				phone.Languages = []directory.Language{{ID: v1ID("phone_language", "", pid, 0), Name: string(p.Language)}}
			}
			contact.Phones = append(contact.Phones, phone)
		}
		s.Contacts = append(s.Contacts, contact)
	}
	for i, c := range v.CostOptions {
		co := directory.CostOption{
			ID: v1ID("cost_option", c.ID, sid, i), ValidFrom: v1Date(c.ValidFrom), ValidTo: v1Date(c.ValidTo),
			Option: string(c.Option), Amount: c.Amount.v, AmountDescription: string(c.AmountDescription),
		}
		if co.Amount != nil {
			co.Currency = "GBP"
		}
		s.CostOptions = append(s.CostOptions, co)
	}
	for i, e := range v.Eligibilitys {
		if m := e.MinimumAge.v; m != nil && (s.MinimumAge == nil || *m < *s.MinimumAge) {
			s.MinimumAge = m
		}
		if m := e.MaximumAge.v; m != nil && (s.MaximumAge == nil || *m > *s.MaximumAge) {
			s.MaximumAge = m
		}
		text := string(e.Eligibility)
		if text == "" {
			continue
		}
		s.Attributes = append(s.Attributes, directory.Attribute{
			ID: v1ID("eligibility", e.ID, sid, i), LinkType: "service", Value: text,
			TaxonomyTerm: &directory.TaxonomyTerm{
				ID:   directory.NameUUID("oruk-v1:eligibility-term:" + text),
				Name: text, Description: "Eligibility stated in an ORUK v1 feed: " + text, Taxonomy: v1EligibilityTaxonomy,
				TaxonomyDetail: &directory.Taxonomy{
					ID: directory.NameUUID("oruk-v1:taxonomy:" + v1EligibilityTaxonomy), Name: v1EligibilityTaxonomy,
					Description: "Eligibility texts (adult, child, family …) read from ORUK v1 feeds.",
				},
			},
		})
	}
	for i, f := range v.Fundings {
		s.Funding = append(s.Funding, directory.Funding{ID: v1ID("funding", f.ID, sid, i), Source: string(f.Source)})
	}
	for i, l := range v.Languages {
		s.Languages = append(s.Languages, directory.Language{ID: v1ID("language", l.ID, sid, i), Name: string(l.Language)})
	}
	s.Schedules = v1Schedules(sid, v.RegularSchedules, v.HolidaySchedules)
	for i, a := range v.ServiceAreas {
		area := directory.ServiceArea{ID: v1ID("service_area", a.ID, sid, i), Name: string(a.ServiceArea), Extent: string(a.Extent), URI: string(a.URI)}
		if area.Extent != "" {
			area.ExtentType = "text"
			if json.Valid([]byte(area.Extent)) && strings.HasPrefix(area.Extent, "{") {
				area.ExtentType = "geojson"
			}
		}
		s.ServiceAreas = append(s.ServiceAreas, area)
	}
	for i, sl := range v.ServiceAtLocations {
		slid := v1ID("service_at_location", sl.ID, sid, i)
		out := directory.ServiceAtLocation{ID: slid, Schedules: v1Schedules(slid, sl.RegularSchedules, sl.HolidaySchedules)}
		if l := sl.Location; l != nil {
			lid := v1ID("location", l.ID, slid, 0)
			loc := directory.Location{ID: lid, LocationType: "physical", Name: string(l.Name), Description: string(l.Description),
				Latitude: l.Latitude.v, Longitude: l.Longitude.v}
			for j, a := range l.PhysicalAddresses {
				addr := directory.Address{ID: v1ID("physical_address", a.ID, lid, j), Attention: string(a.Attention), Address1: string(a.Address1),
					City: string(a.City), StateProvince: string(a.StateProvince), PostalCode: string(a.PostalCode),
					Country: strings.ToUpper(string(a.Country)), AddressType: "physical"}
				if addr.StateProvince == "" {
					addr.StateProvince = string(a.County)
				}
				if addr.Country == "" {
					addr.Country = "GB"
				}
				loc.Addresses = append(loc.Addresses, addr)
			}
			for j, a := range l.AccessibilityForDisabilities {
				loc.Accessibility = append(loc.Accessibility, directory.Accessibility{ID: v1ID("accessibility_for_disabilities", a.ID, lid, j), Description: string(a.Accessibility)})
			}
			out.Location = &loc
		}
		s.ServiceAtLocations = append(s.ServiceAtLocations, out)
	}
	for i, st := range v.ServiceTaxonomys {
		t := st.Taxonomy
		if t == nil {
			continue
		}
		tid := string(t.ID)
		if tid == "" {
			tid = string(t.Vocabulary) + "/" + string(t.Name)
		}
		term := &directory.TaxonomyTerm{ID: v1ID("taxonomy", flexText(tid), "", 0), Code: string(t.ID), Name: string(t.Name),
			Description: string(t.Name), Taxonomy: string(t.Vocabulary)}
		if t.ParentID != "" {
			term.ParentID = v1ID("taxonomy", t.ParentID, "", 0)
		}
		if voc := string(t.Vocabulary); voc != "" {
			term.TaxonomyDetail = &directory.Taxonomy{ID: directory.NameUUID("oruk-v1:vocabulary:" + voc), Name: voc,
				Description: "The " + voc + " vocabulary, as used by an ORUK v1 feed."}
		}
		s.Attributes = append(s.Attributes, directory.Attribute{ID: v1ID("service_taxonomy", st.ID, sid, i), LinkType: "service", TaxonomyTerm: term})
	}
	return b.service(&s)
}

// v1Schedules maps the regular and holiday schedules of a service (or of a
// service at a location, with parent its id) to HSDS schedules.
func v1Schedules(parent string, regular []v1Regular, holiday []v1Holiday) []directory.Schedule {
	var out []directory.Schedule
	for i, r := range regular {
		sc := directory.Schedule{
			ID: v1ID("regular_schedule", r.ID, parent, i), OpensAt: v1Time(r.OpensAt), ClosesAt: v1Time(r.ClosesAt),
			ValidFrom: v1Date(r.ValidFrom), ValidTo: v1Date(r.ValidTo), DTStart: v1Date(r.DTStart),
			Freq: strings.ToUpper(string(r.Freq)), Interval: r.Interval.v, ByDay: strings.ToUpper(string(r.ByDay)),
			ByMonthDay: string(r.ByMonthDay), Description: string(r.Description),
		}
		if sc.ByDay == "" {
			sc.ByDay = weekdayCode(string(r.Weekday))
		}
		if sc.Freq == "" && sc.ByDay != "" {
			sc.Freq = "WEEKLY"
		}
		out = append(out, sc)
	}
	for i, h := range holiday {
		sc := directory.Schedule{ID: v1ID("holiday_schedule", h.ID, parent, i), ValidFrom: v1Date(h.StartDate), ValidTo: v1Date(h.EndDate), Description: "closed"}
		if strings.EqualFold(string(h.Closed), "false") {
			sc.Description = "open"
			sc.OpensAt, sc.ClosesAt = v1Time(h.OpensAt), v1Time(h.ClosesAt)
		}
		out = append(out, sc)
	}
	return out
}

var weekdays = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// weekdayCode turns a v1 weekday ("Monday", "mon", "MO", or 1–7 counting
// from Monday, 0 being Sunday too) into an iCalendar day code, or returns
// it unchanged (for validation to report) when it is none of those.
func weekdayCode(w string) string {
	w = strings.TrimSpace(w)
	if w == "" {
		return ""
	}
	if n, err := strconv.Atoi(w); err == nil {
		switch {
		case n == 0:
			return "SU"
		case n >= 1 && n <= 7:
			return weekdays[n-1]
		}
		return w
	}
	u := strings.ToUpper(w)
	for i, name := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"} {
		if len(u) >= 2 && strings.HasPrefix(name, u) {
			return weekdays[i]
		}
	}
	return w
}

// v1Date keeps the date of a v1 date or date-time ("2024-04-01T00:00:00"),
// or returns other text unchanged for validation to report.
func v1Date(s flexText) string {
	t := string(s)
	if len(t) >= 10 {
		if _, err := time.Parse(time.DateOnly, t[:10]); err == nil && (len(t) == 10 || t[10] == 'T' || t[10] == ' ') {
			return t[:10]
		}
	}
	return t
}

// v1Time turns a v1 time ("9:00", "09:00:00.000", or a date-time) into
// HH:MM or HH:MM:SS, or returns other text unchanged.
func v1Time(s flexText) string {
	t := string(s)
	if i := strings.IndexAny(t, "T "); i >= 0 && len(t) > i+1 {
		t = t[i+1:]
	}
	if i := strings.IndexByte(t, '.'); i >= 0 {
		t = t[:i]
	}
	if len(t) >= 4 && t[1] == ':' {
		t = "0" + t
	}
	return t
}
