package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/listing"
	"throughcare/internal/search"
)

// The listing form: one GOV.UK form that edits a service's listing. It is
// built from a listing.Draft of the live listing (or of a new service), and
// what the provider posts is written back onto a fresh draft of the same
// listing, so records and fields the form does not show are kept as they
// are, and only ids the server found in the draft are ever acted on.
//
// Every field's name is also its element id and its key in Field, so the
// error summary links straight to it.

// Names of the form's fields that are not per location or per day.
const (
	fieldName         = "name"
	fieldDescription  = "description"
	fieldHowToRefer   = "application_process"
	fieldCriteria     = "eligibility_description"
	fieldResponseTime = "response_time"
	fieldResponseUnit = "response_time_unit"
	fieldCapacity     = "capacity"
	fieldWaitTime     = "wait_time"
	fieldMinAge       = "minimum_age"
	fieldMaxAge       = "maximum_age"
	fieldLiaisonName  = "liaison_name"
	fieldLiaisonTitle = "liaison_title"
	fieldLiaisonEmail = "liaison_email"
	fieldLiaisonPhone = "liaison_phone"
	fieldType         = "type"
	fieldEligibility  = "eligibility"
	fieldRemove       = "remove"
	fieldNote         = "note"
	// newLocationPrefix starts the fields of the location being added.
	newLocationPrefix = "new_location_"
)

// textFields are the service's own text fields, in form order.
var textFields = []string{fieldName, fieldDescription, fieldHowToRefer, fieldCriteria, fieldResponseTime, fieldResponseUnit,
	fieldCapacity, fieldWaitTime, fieldMinAge, fieldMaxAge, fieldLiaisonName, fieldLiaisonTitle, fieldLiaisonEmail, fieldLiaisonPhone, fieldNote}

// locationFields are the fields of each location, after its prefix; all
// but the name are the columns of its address.
var locationFields = []string{"name", "address_1", "address_2", "city", "state_province", "postal_code"}

// listingLabels names the form's fields in error messages.
var listingLabels = map[string]string{
	fieldName: "Service name", fieldDescription: "Description", fieldHowToRefer: "How to refer",
	fieldCriteria: "Referral criteria", fieldResponseTime: "Expected response time", fieldResponseUnit: "Expected response time",
	fieldCapacity: "Capacity", fieldWaitTime: "Waiting time", fieldMinAge: "Minimum age", fieldMaxAge: "Maximum age",
	fieldLiaisonName: "Liaison's name", fieldLiaisonTitle: "Liaison's job title", fieldLiaisonEmail: "Liaison's email address",
	fieldLiaisonPhone: "Liaison's phone number", fieldType: "Type of service", fieldEligibility: "Who it accepts",
	fieldNote:       "Note for the reviewer",
	"name@location": "Location name", "address_1": "Address line 1", "address_2": "Address line 2",
	"city": "Town or city", "state_province": "County", "postal_code": "Postcode",
}

// maxAge bounds the ages a listing may give.
const maxAge = 120

// ListingForm is the listing form's data, as shown and as posted.
type ListingForm struct {
	// Values holds every text field by name.
	Values map[string]string
	// formErrors holds the problems, for the error summary (in form
	// order) and beside each field (by name).
	formErrors

	// Types are the service types, those the listing has selected.
	Types []TypeGroup
	// Accepts and Excludes are the eligibility terms: whom the service
	// accepts and whom it turns away.
	Accepts, Excludes []TypeOption
	// Locations are the places the service is delivered that its
	// organisation owns, and so may edit; NewLocation adds one.
	Locations   []LocationForm
	NewLocation LocationForm
	// Days are the weekly opening times, Monday first.
	Days []DayForm
	// OtherHours are opening times too detailed for Days, kept as they
	// are unless marked for removal.
	OtherHours []RecordForm
	// Problems are records the form does not edit that stop the listing
	// being accepted (usually from an older import); each may be removed.
	Problems []RecordForm

	// remove holds the "table:id" keys of records marked for removal.
	remove map[string]bool
	// baseDays is the week as the stored listing gave it, to tell
	// whether the provider changed it.
	baseDays []DayForm
}

// LocationForm is one location in the form.
type LocationForm struct {
	ID string // the location's id; "" for the one being added
	// Prefix starts the names of the location's fields.
	Prefix  string
	Heading string
}

// DayForm is one weekday's opening times.
type DayForm struct {
	Code, Name     string // "mo", "Monday"
	Opens, Closes  string // "09:00"
	Closed         bool
	OpensErr       string
	ClosesErr      string
	HasFieldErrors bool
}

// closed reports whether the day is closed: ticked so, or given no times.
func (d DayForm) closed() bool { return d.Closed || (d.Opens == "" && d.Closes == "") }

// Field returns the prefix of the day's fields ("hours_mo_").
func (d DayForm) Field() string { return "hours_" + d.Code + "_" }

// RecordForm is a record the form lists but does not edit.
type RecordForm struct {
	Key    string // recordKey("schedule", id), its removal checkbox's value
	Label  string // what it is, in words
	Detail string // what is wrong with it, or its content
	Error  string // the problem that stops the listing being accepted
	Remove bool
}

// Input describes one text input or text area of the form.
type Input struct {
	Name, Label, Hint, Value, Error string
	// Class adds GOV.UK width classes ("govuk-input--width-3").
	Class string
	// Type is the input's type ("text", "email", "tel"), InputMode its
	// inputmode ("numeric") and Autocomplete its autocomplete token, if any.
	Type, InputMode, Autocomplete string
}

// Input returns the text input for field name.
func (f *ListingForm) Input(name, label, hint, class string) Input {
	in := Input{Name: name, Label: label, Hint: hint, Value: f.Values[name], Error: f.Field[name], Class: class, Type: "text"}
	switch {
	case name == fieldLiaisonEmail:
		in.Type, in.Autocomplete = "email", "off"
	case name == fieldLiaisonPhone:
		in.Type, in.Autocomplete = "tel", "off"
	case name == fieldMinAge || name == fieldMaxAge || name == fieldResponseTime:
		in.InputMode = "numeric"
	case strings.HasSuffix(name, "_postal_code"):
		in.Autocomplete = "off"
	}
	return in
}

// ResponseUnits returns the units of the expected response time.
func (f *ListingForm) ResponseUnits() []Option {
	out := []Option{{Value: "", Text: "Choose a unit"}}
	for _, u := range listing.ResponseUnits() {
		out = append(out, Option{Value: u, Text: u + "s", Selected: f.Values[fieldResponseUnit] == u})
	}
	return out
}

// capacityLabels says what each capacity means to someone referring.
var capacityLabels = map[listing.Capacity]string{
	listing.CapacityAccepting:    "Taking new referrals",
	listing.CapacityWaitingList:  "Taking referrals onto a waiting list",
	listing.CapacityNotAccepting: "Not taking new referrals for now",
}

// Capacities returns the capacity radios, with "not stated" last.
func (f *ListingForm) Capacities() []Option {
	var out []Option
	for _, c := range listing.Capacities() {
		out = append(out, Option{Value: string(c), Text: capacityLabels[c], Selected: f.Values[fieldCapacity] == string(c)})
	}
	return append(out, Option{Value: "", Text: "Not stated", Selected: f.Values[fieldCapacity] == ""})
}

// Address returns the address inputs of the location whose fields start
// with prefix, in the order GOV.UK's address pattern gives them.
func (f *ListingForm) Address(prefix string) []Input {
	return []Input{
		f.Input(prefix+"address_1", "Address line 1", "", ""),
		f.Input(prefix+"address_2", "Address line 2 (optional)", "", ""),
		f.Input(prefix+"city", "Town or city", "", "govuk-!-width-two-thirds"),
		f.Input(prefix+"state_province", "County", "", "govuk-!-width-two-thirds"),
		f.Input(prefix+"postal_code", "Postcode", "", "govuk-input--width-10"),
	}
}

// newListingForm returns the form showing draft d, with the vocabulary
// of ix.
func newListingForm(ix *directory.Index, d listing.Draft) *ListingForm {
	f := &ListingForm{Values: map[string]string{}, remove: map[string]bool{}}
	svc := d.Service()
	ds := d.Dataset
	f.Values[fieldName] = svc.Name
	f.Values[fieldDescription] = svc.Description
	f.Values[fieldMinAge] = ageText(svc.MinimumAge)
	f.Values[fieldMaxAge] = ageText(svc.MaximumAge)
	ref := d.Referral()
	f.Values[fieldHowToRefer] = ref.HowToRefer
	f.Values[fieldCriteria] = ref.Criteria
	f.Values[fieldWaitTime] = ref.WaitTime
	f.Values[fieldCapacity] = string(ref.Capacity)
	if rt, err := listing.ParseResponseTime(fieldResponseTime, ref.ResponseTime); err == nil && rt.N > 0 {
		f.Values[fieldResponseTime], f.Values[fieldResponseUnit] = strconv.Itoa(rt.N), rt.Unit
	}
	if c := contactOf(ds, ref.LiaisonID); c != nil {
		f.Values[fieldLiaisonName], f.Values[fieldLiaisonTitle], f.Values[fieldLiaisonEmail] = c.Name, c.Title, c.Email
		if p := contactPhone(ds, c.ID); p != nil {
			f.Values[fieldLiaisonPhone] = p.Number
		}
	}

	terms := map[string]bool{}
	for _, a := range ds.Attributes {
		if a.LinkID == svc.ID {
			terms[a.TaxonomyTermID] = true
		}
	}
	var types, accepts []string
	for _, o := range termOptions(ix, directory.ServiceTypeTaxonomy) {
		if terms[o.id] {
			types = append(types, o.Code)
		}
	}
	for _, o := range termOptions(ix, directory.EligibilityTaxonomy) {
		if terms[o.id] {
			accepts = append(accepts, o.Code)
		}
	}
	f.setTerms(ix, types, accepts)

	for _, l := range ds.Locations {
		lf := LocationForm{ID: l.ID, Prefix: "loc_" + l.ID + "_", Heading: l.Name}
		f.Values[lf.Prefix+"name"] = l.Name
		if a := addressOf(ds, l.ID); a != nil {
			f.Values[lf.Prefix+"address_1"], f.Values[lf.Prefix+"address_2"] = a.Address1, a.Address2
			f.Values[lf.Prefix+"city"], f.Values[lf.Prefix+"state_province"] = a.City, a.StateProvince
			f.Values[lf.Prefix+"postal_code"] = a.PostalCode
			if lf.Heading == "" {
				lf.Heading = a.Address1
			}
		}
		if lf.Heading == "" {
			lf.Heading = "Location " + strconv.Itoa(len(f.Locations)+1)
		}
		f.Locations = append(f.Locations, lf)
	}
	f.NewLocation = LocationForm{Prefix: newLocationPrefix, Heading: "Add a location"}
	for _, c := range locationFields {
		f.Values[newLocationPrefix+c] = ""
	}

	week, other := splitSchedules(ds, svc.ID)
	f.Days = week
	f.baseDays = slices.Clone(week)
	for _, sc := range other {
		row := hoursOf([]directory.Schedule{sc})
		detail := ""
		if len(row.Rows) > 0 {
			r := row.Rows[0]
			detail = strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{r.Days, r.Times, r.Notes}, func(s string) bool { return s == "" }), ", "))
		}
		f.OtherHours = append(f.OtherHours, RecordForm{Key: recordKey("schedule", sc.ID), Label: "Opening times", Detail: detail})
	}
	for _, n := range textFields {
		if _, ok := f.Values[n]; !ok {
			f.Values[n] = ""
		}
	}
	return f
}

// setTerms marks the chosen service types and eligibility terms.
func (f *ListingForm) setTerms(ix *directory.Index, types, eligibility []string) {
	f.Types = serviceTypes(ix, types)
	f.Accepts, f.Excludes = nil, nil
	for _, o := range termOptions(ix, directory.EligibilityTaxonomy) {
		o.Selected = slices.Contains(eligibility, o.Code)
		if strings.HasPrefix(o.Code, excludesPrefix) {
			f.Excludes = append(f.Excludes, o.TypeOption)
		} else {
			f.Accepts = append(f.Accepts, o.TypeOption)
		}
	}
}

// termOption is a coded term of one of the shipped taxonomies.
type termOption struct {
	TypeOption
	id string
}

// termOptions returns the coded terms of the shipped taxonomy with code
// taxonomy, in its order.
func termOptions(ix *directory.Index, taxonomy string) []termOption {
	var out []termOption
	for _, i := range ix.TaxonomyTerms(directory.TaxonomyID(taxonomy), "", false) {
		t := ix.TaxonomyTermAt(i)
		if t.Code != "" {
			out = append(out, termOption{TypeOption: TypeOption{Code: t.Code, Name: t.Name}, id: t.ID})
		}
	}
	return out
}

// readListingForm returns base with the values of v, as posted.
func readListingForm(ix *directory.Index, base *ListingForm, v url.Values) *ListingForm {
	f := *base
	f.Values = make(map[string]string, len(base.Values))
	for k := range base.Values {
		f.Values[k] = formText(v.Get(k))
	}
	f.remove = map[string]bool{}
	for _, k := range v[fieldRemove] {
		f.remove[k] = true
	}
	f.OtherHours = slices.Clone(base.OtherHours)
	for i := range f.OtherHours {
		f.OtherHours[i].Remove = f.remove[f.OtherHours[i].Key]
	}
	f.Days = slices.Clone(base.Days)
	for i := range f.Days {
		d := &f.Days[i]
		d.Opens = strings.TrimSpace(v.Get(d.Field() + "opens"))
		d.Closes = strings.TrimSpace(v.Get(d.Field() + "closes"))
		d.Closed = v.Get(d.Field()+"closed") != ""
	}
	f.setTerms(ix, v[fieldType], v[fieldEligibility])
	return &f
}

// formText trims a posted value and gives its line breaks as "\n".
func formText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// addError records a problem with field for the summary and beside the
// field. The first problem with a field wins.
func (f *ListingForm) addError(field, msg string) {
	href := ""
	if field != "" {
		href = "#" + field
	}
	// A list of checkboxes is reached through its first box.
	switch {
	case field == fieldType && len(f.Types) > 0:
		if _, dup := f.Field[field]; !dup {
			// The first box must be in view: unfold its group.
			f.Types[0].Open = true
		}
		href = "#" + fieldType + "-" + f.Types[0].Code
	case field == fieldEligibility && len(f.Accepts) > 0:
		href = "#" + fieldEligibility + "-" + f.Accepts[0].Code
	}
	f.addLinked(field, href, msg)
}

// check adds the problems it finds with the posted values that need no
// draft to see, in GOV.UK's words.
func (f *ListingForm) check(ix *directory.Index, v url.Values) {
	val := f.Values
	if val[fieldName] == "" {
		f.addError(fieldName, "Enter the name of the service")
	}
	for _, n := range textFields {
		if l := utf8.RuneCountInString(val[n]); l > listing.MaxText {
			f.addError(n, fmt.Sprintf("%s must be %d characters or fewer", listingLabels[n], listing.MaxText))
		}
	}
	if l := utf8.RuneCountInString(val[fieldNote]); l > listing.MaxNote {
		f.addError(fieldNote, fmt.Sprintf("The note must be %d characters or fewer", listing.MaxNote))
	}
	n, unit := val[fieldResponseTime], val[fieldResponseUnit]
	switch {
	case n == "" && unit == "":
	case n == "":
		f.addError(fieldResponseTime, "Enter how many "+unit+"s the service takes to respond, or choose no unit")
	case unit == "":
		f.addError(fieldResponseUnit, "Choose hours, days, working days or weeks for the expected response time")
	default:
		k, err := strconv.Atoi(n)
		if err != nil || k < 1 || k > listing.MaxResponseTime {
			f.addError(fieldResponseTime, fmt.Sprintf("Expected response time must be a whole number from 1 to %d", listing.MaxResponseTime))
		} else if !slices.Contains(listing.ResponseUnits(), unit) {
			f.addError(fieldResponseUnit, "Choose hours, days, working days or weeks for the expected response time")
		}
	}
	if c := val[fieldCapacity]; c != "" && !slices.Contains(listing.Capacities(), listing.Capacity(c)) {
		f.addError(fieldCapacity, "Choose whether the service is taking new referrals")
	}
	minAge, minOK := f.age(fieldMinAge)
	maxAge, maxOK := f.age(fieldMaxAge)
	if minOK && maxOK && minAge != nil && maxAge != nil && *minAge > *maxAge {
		f.addError(fieldMaxAge, "Maximum age must be the same as or more than the minimum age")
	}

	liaison := []string{val[fieldLiaisonName], val[fieldLiaisonTitle], val[fieldLiaisonEmail], val[fieldLiaisonPhone]}
	if slices.ContainsFunc(liaison, func(s string) bool { return s != "" }) {
		if val[fieldLiaisonName] == "" {
			f.addError(fieldLiaisonName, "Enter the liaison's name, or clear the liaison's details")
		}
		if val[fieldLiaisonEmail] == "" && val[fieldLiaisonPhone] == "" {
			f.addError(fieldLiaisonEmail, "Enter the liaison's email address or phone number")
		}
	}
	if e := val[fieldLiaisonEmail]; e != "" && !looksLikeEmail(e) {
		f.addError(fieldLiaisonEmail, "Enter an email address in the correct format, like name@example.org")
	}
	if p := val[fieldLiaisonPhone]; p != "" && !looksLikePhone(p) {
		f.addError(fieldLiaisonPhone, "Enter a phone number, like 01632 960 001")
	}

	known := map[string]bool{}
	for _, g := range f.Types {
		known[g.Code] = true
		for _, c := range g.Children {
			known[c.Code] = true
		}
	}
	for _, c := range v[fieldType] {
		if !known[c] {
			f.addError(fieldType, fmt.Sprintf("%q is not a service type we know", c))
			break
		}
	}
	clear(known)
	for _, o := range slices.Concat(f.Accepts, f.Excludes) {
		known[o.Code] = true
	}
	for _, c := range v[fieldEligibility] {
		if !known[c] {
			f.addError(fieldEligibility, fmt.Sprintf("%q is not an eligibility term we know", c))
			break
		}
	}

	for _, l := range f.Locations {
		f.checkLocation(l, true)
	}
	f.checkLocation(f.NewLocation, false)

	for i := range f.Days {
		d := &f.Days[i]
		if d.Closed && (d.Opens != "" || d.Closes != "") {
			d.OpensErr = "Untick closed on " + d.Name + ", or clear its opening times"
			f.addError(d.Field()+"opens", d.OpensErr)
			d.HasFieldErrors = true
			continue
		}
		if d.Closed || (d.Opens == "" && d.Closes == "") {
			continue
		}
		opens, okO := parseClock(d.Opens, false)
		closes, okC := parseClock(d.Closes, true)
		switch {
		case d.Opens == "":
			d.OpensErr = "Enter the time the service opens on " + d.Name + ", or tick closed"
		case !okO:
			d.OpensErr = "Enter the time it opens on " + d.Name + " as hours and minutes, like 09:00"
		}
		switch {
		case d.Closes == "":
			d.ClosesErr = "Enter the time the service closes on " + d.Name + ", or tick closed"
		case !okC:
			d.ClosesErr = "Enter the time it closes on " + d.Name + " as hours and minutes, like 17:30"
		case okO && closes <= opens:
			d.ClosesErr = "The closing time on " + d.Name + " must be after the opening time"
		}
		if okO && d.OpensErr == "" {
			d.Opens = opens
		}
		if okC && d.ClosesErr == "" {
			d.Closes = closes
		}
		if d.OpensErr != "" {
			f.addError(d.Field()+"opens", d.OpensErr)
		}
		if d.ClosesErr != "" {
			f.addError(d.Field()+"closes", d.ClosesErr)
		}
		d.HasFieldErrors = d.OpensErr != "" || d.ClosesErr != ""
	}
}

// checkLocation adds the problems with one location's fields. An
// existing location needs its address kept whole if it has one; the new
// one is only added if any of its fields is filled in.
func (f *ListingForm) checkLocation(l LocationForm, existing bool) {
	val := func(c string) string { return f.Values[l.Prefix+c] }
	filled := slices.ContainsFunc(locationFields, func(c string) bool { return val(c) != "" })
	if !filled {
		return
	}
	addressFilled := slices.ContainsFunc(locationFields[1:], func(c string) bool { return val(c) != "" })
	if existing && !addressFilled {
		return // a place with no address, such as an online one
	}
	where := "the new location"
	if existing {
		where = l.Heading
	}
	for _, c := range []struct{ col, msg string }{
		{"address_1", "Enter the first line of the address of " + where},
		{"city", "Enter the town or city of " + where},
		{"state_province", "Enter the county of " + where},
		{"postal_code", "Enter the postcode of " + where},
	} {
		if val(c.col) == "" {
			f.addError(l.Prefix+c.col, c.msg)
		}
	}
	if pc := val("postal_code"); pc != "" {
		if norm, err := geo.NormalisePostcode(pc); err != nil {
			f.addError(l.Prefix+"postal_code", "Enter a real postcode for "+where+", like LN1 1AA")
		} else {
			f.Values[l.Prefix+"postal_code"] = norm
		}
	}
}

// age reads an age field: nil when blank, ok false (with the problem
// added) when it is not a whole number of years within range.
func (f *ListingForm) age(field string) (*float64, bool) {
	s := f.Values[field]
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxAge {
		f.addError(field, fmt.Sprintf("%s must be a whole number of years from 0 to %d", listingLabels[field], maxAge))
		return nil, false
	}
	v := float64(n)
	return &v, true
}

func ageText(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func looksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Contains(s[at:], ".") && !strings.ContainsFunc(s, unicode.IsSpace)
}

func looksLikePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +()-.", r):
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 15
}

// parseClock reads a time of day as "9", "9:30", "09:30" or "9.30" and
// returns it as HH:MM. "24:00" is allowed as a closing time.
func parseClock(s string, closing bool) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ".", ":")
	h, m, found := strings.Cut(s, ":")
	if !found {
		m = "00"
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(h) > 2 || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 {
		return "", false
	}
	if hh > 23 && !(closing && hh == 24 && mm == 0) {
		return "", false
	}
	return fmt.Sprintf("%02d:%02d", hh, mm), true
}

// splitSchedules sorts the service's own schedules into a week of simple
// opening times (weekly, on whole weekdays, with an opening and a closing
// time, no more than one per day, and nothing else that the week could not
// show) and the others.
func splitSchedules(ds *directory.Dataset, serviceID string) ([]DayForm, []directory.Schedule) {
	days := make([]DayForm, len(weekdays))
	for i, w := range weekdays {
		days[i] = DayForm{Code: strings.ToLower(w.code), Name: w.name}
	}
	var simple, other []directory.Schedule
	count := make([]int, len(weekdays))
	for _, sc := range ds.Schedules {
		if sc.ServiceID != serviceID || sc.LocationID != "" || sc.ServiceAtLocationID != "" {
			continue
		}
		if d, ok := simpleDays(sc); ok {
			simple = append(simple, sc)
			for _, i := range d {
				count[i]++
			}
		} else {
			other = append(other, sc)
		}
	}
	for _, sc := range simple {
		d, _ := simpleDays(sc)
		if slices.ContainsFunc(d, func(i int) bool { return count[i] > 1 }) {
			other = append(other, sc)
			continue
		}
		for _, i := range d {
			days[i].Opens, days[i].Closes = shortClock(sc.OpensAt), shortClock(sc.ClosesAt)
		}
	}
	// Where the week is known, the days without times are marked closed;
	// a listing with no weekly times leaves them all blank.
	if slices.ContainsFunc(days, func(d DayForm) bool { return d.Opens != "" }) {
		for i := range days {
			days[i].Closed = days[i].Opens == ""
		}
	}
	return days, other
}

// simpleDays returns the weekdays (indexes into weekdays) of a schedule
// the week form can show, or false.
func simpleDays(sc directory.Schedule) ([]int, bool) {
	if !strings.EqualFold(sc.Freq, "WEEKLY") || (sc.Interval != nil && *sc.Interval != 1) ||
		sc.ValidFrom != "" || sc.ValidTo != "" || sc.DTStart != "" || sc.Until != "" || sc.Count != nil ||
		sc.ByWeekNo != "" || sc.ByMonthDay != "" || sc.ByYearDay != "" || sc.Description != "" || sc.ScheduleLink != "" ||
		sc.AttendingType != "" || sc.Timezone != nil {
		return nil, false
	}
	if _, ok := parseClock(shortClock(sc.OpensAt), false); !ok {
		return nil, false
	}
	if _, ok := parseClock(shortClock(sc.ClosesAt), true); !ok {
		return nil, false
	}
	var out []int
	for tok := range strings.SplitSeq(sc.ByDay, ",") {
		i := dayIndex(strings.ToUpper(strings.TrimSpace(tok)))
		if i < 0 || slices.Contains(out, i) {
			return nil, false
		}
		out = append(out, i)
	}
	return out, len(out) > 0
}

// shortClock shortens "09:00:00" to "09:00".
func shortClock(s string) string {
	if len(s) == 8 && strings.HasSuffix(s, ":00") {
		return s[:5]
	}
	return s
}

// applyListingForm writes the form's values onto d, a fresh draft of the
// listing the form was built from. lookup, when set, finds the position of
// a location's postcode. It returns nothing: problems go into the form.
func (f *ListingForm) apply(ctx context.Context, ix *directory.Index, d *listing.Draft, lookup search.PostcodeLookup) {
	svc := d.Service()
	ds := d.Dataset
	val := f.Values
	setText(&svc.Name, val[fieldName])
	setText(&svc.Description, val[fieldDescription])
	if a, _ := f.age(fieldMinAge); ageText(a) != ageText(svc.MinimumAge) {
		svc.MinimumAge = a
	}
	if a, _ := f.age(fieldMaxAge); ageText(a) != ageText(svc.MaximumAge) {
		svc.MaximumAge = a
	}

	// The named liaison: a contact of the service, with its phone.
	ref := d.Referral()
	liaison := contactOf(ds, ref.LiaisonID)
	if val[fieldLiaisonName] == "" && val[fieldLiaisonTitle] == "" && val[fieldLiaisonEmail] == "" && val[fieldLiaisonPhone] == "" {
		if liaison != nil {
			f.remove[recordKey("contact", liaison.ID)] = true
		}
		ref.LiaisonID = ""
	} else {
		if liaison == nil {
			ds.Contacts = append(ds.Contacts, directory.Contact{ID: directory.NewUUID(), ServiceID: svc.ID})
			liaison = &ds.Contacts[len(ds.Contacts)-1]
		}
		setText(&liaison.Name, val[fieldLiaisonName])
		setText(&liaison.Title, val[fieldLiaisonTitle])
		setText(&liaison.Email, val[fieldLiaisonEmail])
		ref.LiaisonID = liaison.ID
		phone := contactPhone(ds, liaison.ID)
		switch {
		case phone != nil && val[fieldLiaisonPhone] == "":
			f.remove[recordKey("phone", phone.ID)] = true
		case phone != nil:
			setText(&phone.Number, val[fieldLiaisonPhone])
		case val[fieldLiaisonPhone] != "":
			ds.Phones = append(ds.Phones, directory.Phone{ID: directory.NewUUID(), ContactID: liaison.ID, Number: val[fieldLiaisonPhone]})
		}
	}
	ref.Criteria, ref.HowToRefer, ref.WaitTime = keep(ref.Criteria, val[fieldCriteria]), keep(ref.HowToRefer, val[fieldHowToRefer]), keep(ref.WaitTime, val[fieldWaitTime])
	ref.Capacity = listing.Capacity(val[fieldCapacity])
	stored := ref.ResponseTime
	ref.ResponseTime = ""
	if n, err := strconv.Atoi(val[fieldResponseTime]); err == nil && slices.Contains(listing.ResponseUnits(), val[fieldResponseUnit]) {
		rt := listing.ResponseTime{N: n, Unit: val[fieldResponseUnit]}
		ref.ResponseTime = rt.String()
		if old, err := listing.ParseResponseTime(fieldResponseTime, stored); err == nil && old == rt {
			ref.ResponseTime = stored // the same time, written as it was
		}
	}
	if err := d.SetReferral(ref); err != nil {
		f.addError("", apperr.Message(err))
		return
	}

	// Service types and eligibility: the terms the form shows are set as
	// ticked; other attributes are kept.
	want := map[string]bool{}
	shown := map[string]bool{}
	for _, tax := range []struct{ code, field string }{
		{directory.ServiceTypeTaxonomy, fieldType}, {directory.EligibilityTaxonomy, fieldEligibility},
	} {
		chosen := map[string]bool{}
		for _, g := range f.Types {
			if tax.field == fieldType {
				chosen[g.Code] = g.Selected
				for _, c := range g.Children {
					chosen[c.Code] = c.Selected
				}
			}
		}
		if tax.field == fieldEligibility {
			for _, o := range slices.Concat(f.Accepts, f.Excludes) {
				chosen[o.Code] = o.Selected
			}
		}
		for _, o := range termOptions(ix, tax.code) {
			shown[o.id] = true
			want[o.id] = chosen[o.Code]
		}
	}
	attrs := ds.Attributes[:0:0]
	has := map[string]bool{}
	for _, a := range ds.Attributes {
		if a.LinkID == svc.ID && shown[a.TaxonomyTermID] {
			if !want[a.TaxonomyTermID] || has[a.TaxonomyTermID] {
				continue
			}
			has[a.TaxonomyTermID] = true
		}
		attrs = append(attrs, a)
	}
	for _, o := range slices.Concat(termOptions(ix, directory.ServiceTypeTaxonomy), termOptions(ix, directory.EligibilityTaxonomy)) {
		if want[o.id] && !has[o.id] {
			attrs = append(attrs, directory.Attribute{ID: directory.NewUUID(), LinkID: svc.ID, LinkType: "service",
				LinkEntity: "service", TaxonomyTermID: o.id})
			has[o.id] = true
		}
	}
	ds.Attributes = attrs

	// Locations: edit each one's name and address; add the new one.
	for _, lf := range f.Locations {
		l := locationOf(ds, lf.ID)
		if l == nil {
			continue
		}
		setText(&l.Name, val[lf.Prefix+"name"])
		f.applyAddress(ctx, ds, l, lf.Prefix, lookup)
	}
	if slices.ContainsFunc(locationFields, func(c string) bool { return val[newLocationPrefix+c] != "" }) {
		ds.Locations = append(ds.Locations, directory.Location{ID: directory.NewUUID(), OrganizationID: svc.OrganizationID,
			LocationType: "physical", Name: val[newLocationPrefix+"name"]})
		l := &ds.Locations[len(ds.Locations)-1]
		ds.ServiceAtLocations = append(ds.ServiceAtLocations, directory.ServiceAtLocation{ID: directory.NewUUID(), ServiceID: svc.ID, LocationID: l.ID})
		f.applyAddress(ctx, ds, l, newLocationPrefix, lookup)
	}

	// Opening times: rewritten only when the week changed (and reads
	// well; check has said what is wrong otherwise).
	if !sameWeek(f.Days, f.baseDays) && !slices.ContainsFunc(f.Days, func(d DayForm) bool { return d.HasFieldErrors }) {
		f.applyWeek(ds, svc.ID)
	}
	// HSDS schedules repeat weekly or monthly; a daily one is the same as
	// a weekly one on every day.
	for i := range ds.Schedules {
		sc := &ds.Schedules[i]
		if strings.EqualFold(sc.Freq, "DAILY") && sc.ByDay == "" {
			sc.Freq, sc.ByDay = "WEEKLY", "MO,TU,WE,TH,FR,SA,SU"
		}
	}

	removeRecords(ds, f.remove, svc.ID)
}

// applyAddress writes a location's address fields onto its address
// (adding one if it had none and any field is filled in), and moves the
// location to its new postcode's position when the postcode changed and
// can be looked up. A postcode that cannot be placed clears the position,
// so the map never shows the old place for a new address.
func (f *ListingForm) applyAddress(ctx context.Context, ds *directory.Dataset, l *directory.Location, prefix string, lookup search.PostcodeLookup) {
	val := func(c string) string { return f.Values[prefix+c] }
	a := addressOf(ds, l.ID)
	if a == nil {
		if !slices.ContainsFunc(locationFields[1:], func(c string) bool { return val(c) != "" }) {
			return
		}
		ds.Addresses = append(ds.Addresses, directory.Address{ID: directory.NewUUID(), LocationID: l.ID, Country: "GB", AddressType: "physical"})
		a = &ds.Addresses[len(ds.Addresses)-1]
	}
	oldPostcode := a.PostalCode
	setText(&a.Address1, val("address_1"))
	setText(&a.Address2, val("address_2"))
	setText(&a.City, val("city"))
	setText(&a.StateProvince, val("state_province"))
	setText(&a.PostalCode, val("postal_code"))
	if a.PostalCode == oldPostcode && l.Latitude != nil {
		return
	}
	if lookup != nil && a.PostalCode != "" {
		if p, _, err := lookup(ctx, a.PostalCode); err == nil {
			l.Latitude, l.Longitude = new(p.Lat), new(p.Lon)
			return
		}
	}
	if a.PostalCode != oldPostcode {
		l.Latitude, l.Longitude = nil, nil
	}
}

// applyWeek replaces the service's simple weekly schedules with the
// form's week: one schedule per set of days with the same times, reusing
// the ids (and notes) of schedules with the same times first, then of any
// left over, so an edit shows as changed days rather than new records.
func (f *ListingForm) applyWeek(ds *directory.Dataset, serviceID string) {
	type group struct {
		opens, closes string
		days          []string
	}
	var groups []group
	for i, d := range f.Days {
		if d.closed() {
			continue
		}
		j := slices.IndexFunc(groups, func(g group) bool { return g.opens == d.Opens && g.closes == d.Closes })
		if j < 0 {
			groups = append(groups, group{opens: d.Opens, closes: d.Closes})
			j = len(groups) - 1
		}
		groups[j].days = append(groups[j].days, weekdays[i].code)
	}
	_, other := splitSchedules(ds, serviceID)
	isOther := map[string]bool{}
	for _, sc := range other {
		isOther[sc.ID] = true
	}
	var old []int // the simple schedules, by position in ds.Schedules
	for i, sc := range ds.Schedules {
		if sc.ServiceID == serviceID && sc.LocationID == "" && sc.ServiceAtLocationID == "" && !isOther[sc.ID] {
			old = append(old, i)
		}
	}
	used := map[int]bool{}
	target := make([]int, len(groups))
	for gi, g := range groups {
		target[gi] = -1
		for _, i := range old {
			sc := ds.Schedules[i]
			if !used[i] && shortClock(sc.OpensAt) == g.opens && shortClock(sc.ClosesAt) == g.closes {
				target[gi], used[i] = i, true
				break
			}
		}
	}
	for gi := range groups {
		if target[gi] >= 0 {
			continue
		}
		for _, i := range old {
			if !used[i] {
				target[gi], used[i] = i, true
				break
			}
		}
	}
	for gi, g := range groups {
		byday := strings.Join(g.days, ",")
		if i := target[gi]; i >= 0 {
			sc := &ds.Schedules[i]
			if shortClock(sc.OpensAt) != g.opens {
				sc.OpensAt = g.opens
			}
			if shortClock(sc.ClosesAt) != g.closes {
				sc.ClosesAt = g.closes
			}
			if !sameDays(sc.ByDay, g.days) {
				sc.ByDay = byday
			}
			continue
		}
		ds.Schedules = append(ds.Schedules, directory.Schedule{ID: directory.NewUUID(), ServiceID: serviceID,
			Freq: "WEEKLY", ByDay: byday, OpensAt: g.opens, ClosesAt: g.closes})
	}
	for _, i := range old {
		if !used[i] {
			f.remove[recordKey("schedule", ds.Schedules[i].ID)] = true
		}
	}
}

// sameDays reports whether the byday list holds exactly days.
func sameDays(byday string, days []string) bool {
	var have []string
	for tok := range strings.SplitSeq(byday, ",") {
		have = append(have, strings.ToUpper(strings.TrimSpace(tok)))
	}
	slices.Sort(have)
	want := slices.Clone(days)
	slices.Sort(want)
	return slices.Equal(have, want)
}

func sameWeek(a, b []DayForm) bool {
	return slices.EqualFunc(a, b, func(x, y DayForm) bool {
		return x.closed() == y.closed() && (x.closed() || (x.Opens == y.Opens && x.Closes == y.Closes))
	})
}

// setText sets *field to v unless it already says the same, ignoring
// surrounding space and the form of line breaks, so that a field the
// provider left alone is not reported as changed.
func setText(field *string, v string) {
	if formText(*field) != v {
		*field = v
	}
}

// keep returns old if it says the same as v (see setText), else v.
func keep(old, v string) string {
	setText(&old, v)
	return old
}

// removeRecords deletes from ds the records whose "table:id" keys are in
// remove, and with them the records that hang under them (phones of a
// removed contact, attributes of any removed record). The service itself
// is never removed.
func removeRecords(ds *directory.Dataset, remove map[string]bool, serviceID string) {
	if len(remove) == 0 {
		return
	}
	gone := map[string]bool{} // ids
	for k, on := range remove {
		if table, id, ok := strings.Cut(k, keySep); ok && on && table != "service" && id != serviceID {
			gone[recordKey(table, id)] = true
		}
	}
	refTable := map[string]string{"location_id": "location", "contact_id": "contact", "phone_id": "phone",
		"service_at_location_id": "service_at_location"}
	for changed := true; changed; {
		changed = false
		for _, t := range directory.Tables {
			for i := range t.Len(ds) {
				id := t.ID(ds, i)
				if gone[recordKey(t.Name, id)] {
					continue
				}
				vals := t.Strings(ds, i)
				for c, col := range t.Columns {
					target, ok := refTable[col]
					if t.Name == "attribute" && col == "link_id" {
						if slices.ContainsFunc(directory.Tables, func(tt *directory.Table) bool { return gone[recordKey(tt.Name, vals[c])] }) {
							gone[recordKey(t.Name, id)], changed = true, true
						}
						continue
					}
					if ok && vals[c] != "" && gone[recordKey(target, vals[c])] {
						gone[recordKey(t.Name, id)], changed = true, true
						break
					}
				}
			}
		}
	}
	out := &directory.Dataset{}
	for _, t := range directory.Tables {
		app := t.NewAppender(out, t.Columns)
		for i := range t.Len(ds) {
			if !gone[recordKey(t.Name, t.ID(ds, i))] {
				app.AppendValues(t.Values(ds, i)) // values from Values always append
			}
		}
	}
	*ds = *out
}

func contactOf(ds *directory.Dataset, id string) *directory.Contact {
	if id == "" {
		return nil
	}
	for i := range ds.Contacts {
		if ds.Contacts[i].ID == id {
			return &ds.Contacts[i]
		}
	}
	return nil
}

func contactPhone(ds *directory.Dataset, contactID string) *directory.Phone {
	for i := range ds.Phones {
		if ds.Phones[i].ContactID == contactID {
			return &ds.Phones[i]
		}
	}
	return nil
}

func locationOf(ds *directory.Dataset, id string) *directory.Location {
	for i := range ds.Locations {
		if ds.Locations[i].ID == id {
			return &ds.Locations[i]
		}
	}
	return nil
}

// addressOf returns the location's physical address, or its first.
func addressOf(ds *directory.Dataset, locID string) *directory.Address {
	var first *directory.Address
	for i := range ds.Addresses {
		a := &ds.Addresses[i]
		if a.LocationID != locID {
			continue
		}
		if a.AddressType == "physical" {
			return a
		}
		if first == nil {
			first = a
		}
	}
	return first
}

// addSubmitError puts an error from submitting draft d into the form: each
// problem the listing's validation found goes beside the form field it is
// about, or, for a record the form does not edit, into Problems with the
// choice of removing it. It reports false for an error that is not about
// the listing's content (which the caller returns as it is).
func (f *ListingForm) addSubmitError(d listing.Draft, err error) bool {
	var fes []*apperr.FieldError
	if ve, ok := errors.AsType[*directory.ValidationError](err); ok {
		fes = ve.Problems
		if more := ve.Total - len(ve.Problems); more > 0 {
			defer f.addError("", fmt.Sprintf("There are %d more problems; correct these first", more))
		}
	} else if fe, ok := errors.AsType[*apperr.FieldError](err); ok {
		fes = []*apperr.FieldError{fe}
	} else if errors.Is(err, apperr.Invalid) || errors.Is(err, apperr.Conflict) {
		f.addError("", upperFirst(apperr.Message(err)))
		return true
	} else {
		return false
	}
	for _, fe := range fes {
		field, label, key := f.fieldOf(d, fe.Field)
		switch {
		case field != "":
			f.addError(field, sentence(label, fe.Msg))
		case key != "":
			msg := sentence(label, fe.Msg) + ". This form cannot change it: remove it, or ask an administrator to correct it"
			if i := slices.IndexFunc(f.OtherHours, func(r RecordForm) bool { return r.Key == key }); i >= 0 {
				f.OtherHours[i].Error = cmp.Or(f.OtherHours[i].Error, msg)
			} else if i := slices.IndexFunc(f.Problems, func(r RecordForm) bool { return r.Key == key }); i >= 0 {
				f.Problems[i].Error = cmp.Or(f.Problems[i].Error, msg)
			} else {
				table, id, _ := strings.Cut(key, keySep)
				f.Problems = append(f.Problems, RecordForm{Key: key, Label: recordLabel(d.Dataset, nil, table, id),
					Detail: recordDetail(d.Dataset, key), Error: msg})
			}
			f.addError("remove-"+key, msg)
		default:
			f.addError("", sentence(label, fe.Msg))
		}
	}
	return true
}

// fieldOf finds what a listing validation path ("service.name",
// "addresses[0].city", "referral.liaison") is about: the form field that
// edits it, or else the "table:id" key of the record, and a label for
// messages.
func (f *ListingForm) fieldOf(d listing.Draft, path string) (field, label, key string) {
	ds := d.Dataset
	head, col, _ := strings.Cut(path, ".")
	switch head {
	case "service":
		if _, ok := listingLabels[col]; ok && col != fieldType && col != fieldNote {
			return col, listingLabels[col], ""
		}
		return "", "Service " + strings.ReplaceAll(col, "_", " "), ""
	case "referral":
		switch col {
		case "response_time":
			return fieldResponseTime, listingLabels[fieldResponseTime], ""
		case "capacity":
			return fieldCapacity, listingLabels[fieldCapacity], ""
		case "liaison":
			return fieldLiaisonName, "Liaison", ""
		}
		return "", "Referral " + col, ""
	}
	name, idx, ok := strings.Cut(strings.TrimSuffix(head, "]"), "[")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil {
		return "", strings.ReplaceAll(path, "_", " "), ""
	}
	var t *directory.Table
	for _, tt := range directory.Tables {
		if strings.TrimSuffix(tt.CSV, ".csv") == name {
			t = tt
		}
	}
	if t == nil || i < 0 || i >= t.Len(ds) {
		return "", strings.ReplaceAll(path, "_", " "), ""
	}
	id := t.ID(ds, i)
	key = recordKey(t.Name, id)
	label = recordLabel(ds, nil, t.Name, id)
	liaison := d.Referral().LiaisonID
	switch t.Name {
	case "contact":
		if id == liaison && (col == "name" || col == "title" || col == "email") {
			return "liaison_" + col, listingLabels["liaison_"+col], ""
		}
	case "phone":
		if ds.Phones[i].ContactID != "" && ds.Phones[i].ContactID == liaison {
			return fieldLiaisonPhone, listingLabels[fieldLiaisonPhone], ""
		}
	case "location", "address":
		locID := id
		if t.Name == "address" {
			locID = ds.Addresses[i].LocationID
		}
		prefix := ""
		if lf := slices.IndexFunc(f.Locations, func(l LocationForm) bool { return l.ID == locID }); lf >= 0 {
			prefix = f.Locations[lf].Prefix
		} else if locationOf(ds, locID) != nil {
			prefix = newLocationPrefix // the only location the form did not start with
		}
		if prefix != "" {
			c := col
			if !slices.Contains(locationFields, c) {
				c = "address_1"
			}
			lbl := listingLabels[c]
			if c == "name" {
				lbl = listingLabels["name@location"]
			}
			return prefix + c, lbl, ""
		}
	case "schedule":
		sc := ds.Schedules[i]
		if d, ok := simpleDays(sc); ok && !slices.ContainsFunc(f.OtherHours, func(r RecordForm) bool { return r.Key == key }) {
			return "hours_" + strings.ToLower(weekdays[d[0]].code) + "_opens", "Opening times", ""
		}
		label = "Opening times"
	case "attribute":
		termID := ds.Attributes[i].TaxonomyTermID
		for _, term := range directory.JusticeTaxonomy().TaxonomyTerms {
			switch {
			case term.ID != termID:
			case term.TaxonomyID == directory.TaxonomyID(directory.ServiceTypeTaxonomy):
				return fieldType, listingLabels[fieldType], ""
			case term.TaxonomyID == directory.TaxonomyID(directory.EligibilityTaxonomy):
				return fieldEligibility, listingLabels[fieldEligibility], ""
			}
		}
	}
	if col != "" {
		label += ": " + lowerFirst(cmp.Or(columnLabels[col], strings.ReplaceAll(col, "_", " ")))
	}
	return "", label, key
}

// recordNoun names an HSDS table for people.
func recordNoun(table string) string {
	switch table {
	case "service_area":
		return "Area covered"
	case "service_at_location":
		return "Place the service is delivered"
	case "required_document":
		return "Required document"
	case "cost_option":
		return "Cost"
	case "attribute":
		return "Category"
	case "accessibility":
		return "Accessibility"
	}
	return upperFirst(strings.ReplaceAll(table, "_", " "))
}

// sentence joins a label and a validation message: "Service name is
// required", or "Postcode: "X" is not a postcode".
func sentence(label, msg string) string {
	if strings.HasPrefix(msg, "is ") || strings.HasPrefix(msg, "must ") {
		return label + " " + msg
	}
	if strings.Contains(label, ": ") {
		return label + " – " + msg
	}
	return label + ": " + msg
}

// upperFirst upper-cases the first letter of s, to begin a sentence.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// keepRemovals lists again, ticked, the records of d the provider marked
// for removal that the form does not otherwise show, so that a form sent
// back with other problems keeps the choice.
func (f *ListingForm) keepRemovals(d listing.Draft) {
	for _, t := range directory.Tables {
		for i := range t.Len(d.Dataset) {
			key := recordKey(t.Name, t.ID(d.Dataset, i))
			if !f.remove[key] || slices.ContainsFunc(f.OtherHours, func(r RecordForm) bool { return r.Key == key }) {
				continue
			}
			if j := slices.IndexFunc(f.Problems, func(r RecordForm) bool { return r.Key == key }); j >= 0 {
				f.Problems[j].Remove = true
				continue
			}
			f.Problems = append(f.Problems, RecordForm{Key: key, Label: recordNoun(t.Name), Detail: "to be removed", Remove: true})
		}
	}
}

// recordDetail describes the record with the "table:id" key for its
// removal checkbox.
func recordDetail(ds *directory.Dataset, key string) string {
	table, id, _ := strings.Cut(key, keySep)
	t := directory.TableNamed(table)
	if t == nil {
		return ""
	}
	for i := range t.Len(ds) {
		if t.ID(ds, i) != id {
			continue
		}
		var parts []string
		for c, v := range t.Strings(ds, i) {
			if col := t.Columns[c]; v != "" && !hiddenColumn(table, col) && utf8.RuneCountInString(v) <= 80 {
				parts = append(parts, cmp.Or(columnLabels[col], col)+": "+v)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// keySep joins a table's name and a record's id in the keys of records
// marked for removal. It appears in neither, and keeps the key usable as
// an element id and a link target.
const keySep = "__"

// recordKey names a record of the draft in the form: "schedule__<id>".
func recordKey(table, id string) string { return table + keySep + id }
