package web

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"throughcare/internal/directory"
	"throughcare/internal/listing"
)

// ChangeView is a listing change as its pages show it.
type ChangeView struct {
	ID, Heading string
	// ServiceID and ServiceName name the service; ServiceHref links to its
	// page while it is in the directory.
	ServiceID, ServiceName, ServiceHref string
	Organisation                        string
	Kind                                string // "Change" or "New service"
	Status                              Tag
	Pending                             bool // awaiting review
	Live                                bool // published, with or without review
	SubmittedBy, SubmittedAt            string
	ReviewedBy, ReviewedAt              string
	Note, ReviewNote                    string
	Diff                                []DiffRow
}

// DiffRow is one changed field, as a row of a "field, before, after"
// table.
type DiffRow struct {
	Field, Before, After string
}

// statusTags shows each status of a change as a tag.
var statusTags = map[listing.Status]Tag{
	listing.StatusPending:   {Text: "Awaiting review", Colour: "blue"},
	listing.StatusApproved:  {Text: "Approved", Colour: "green"},
	listing.StatusPublished: {Text: "Published", Colour: "green"},
	listing.StatusRejected:  {Text: "Rejected", Colour: "red"},
	listing.StatusWithdrawn: {Text: "Withdrawn", Colour: "grey"},
}

// changeView describes ch, naming the people involved and the fields it
// changes.
func (s *Server) changeView(ctx context.Context, ix *directory.Index, ch listing.Change) ChangeView {
	people := map[string]string{}
	v := ChangeView{
		ID: ch.ID, ServiceID: ch.ServiceID, Kind: kindText(ch.Kind), Status: statusTags[ch.Status],
		Pending: ch.Status == listing.StatusPending, Live: ch.Status.Live(),
		SubmittedBy: s.personLabel(ctx, people, ch.SubmittedBy), SubmittedAt: formatWhen(ch.SubmittedAt),
		Note: ch.Note, ReviewNote: ch.ReviewNote,
	}
	if svc := ch.Draft.Service(); svc != nil {
		v.ServiceName = svc.Name
	}
	if live, ok := ix.ServiceFlat(ch.ServiceID); ok {
		v.ServiceHref = "/services/" + url.PathEscape(ch.ServiceID)
		if ch.Status == listing.StatusPending || v.ServiceName == "" {
			v.ServiceName = live.Name
		}
	}
	if o, ok := ix.Organization(ch.HSDSOrganizationID); ok {
		v.Organisation = o.Name
	}
	if ch.ReviewedBy != "" {
		v.ReviewedBy = s.personLabel(ctx, people, ch.ReviewedBy)
	}
	if !ch.ReviewedAt.IsZero() {
		v.ReviewedAt = formatWhen(ch.ReviewedAt)
	}
	v.Heading = v.Kind + " to " + v.ServiceName
	if ch.Kind == listing.KindCreate {
		v.Heading = "New service: " + v.ServiceName
	}
	v.Diff = diffRows(ix, ch.Draft.Dataset, ch.Diff)
	return v
}

// changeLinks describes changes as lines of a list.
func (s *Server) changeLinks(ctx context.Context, ix *directory.Index, chs []listing.Change) []ChangeLink {
	people := map[string]string{}
	out := make([]ChangeLink, 0, len(chs))
	for _, ch := range chs {
		l := ChangeLink{ID: ch.ID, Href: "/provider/changes/" + url.PathEscape(ch.ID), Kind: kindText(ch.Kind),
			Status: statusTags[ch.Status], SubmittedAt: formatWhen(ch.SubmittedAt),
			SubmittedBy: s.personLabel(ctx, people, ch.SubmittedBy), ReviewNote: ch.ReviewNote, Note: ch.Note}
		if svc := ch.Draft.Service(); svc != nil {
			l.ServiceName = svc.Name
		}
		out = append(out, l)
	}
	return out
}

func kindText(k listing.Kind) string {
	if k == listing.KindCreate {
		return "New service"
	}
	return "Change"
}

// personLabel names a user as "Name (email)", looking each up once per
// page. A user who cannot be found is shown by id.
func (s *Server) personLabel(ctx context.Context, cache map[string]string, id string) string {
	if id == "" {
		return ""
	}
	if l, ok := cache[id]; ok {
		return l
	}
	l := "user " + id
	if u, err := s.cfg.DB.User(ctx, id); err == nil {
		l = u.Name + " (" + u.Email + ")"
	}
	cache[id] = l
	return l
}

// formatWhen writes a moment as GOV.UK style asks: "3 March 2025 at
// 2:05pm", in UK time (see ukTime).
func formatWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(ukTime)
	return t.Format("2 January 2006") + " at " + strings.ToLower(t.Format("3:04PM"))
}

// columnLabels names HSDS columns for people.
var columnLabels = map[string]string{
	"name": "Name", "description": "Description", "application_process": "How to refer",
	"eligibility_description": "Referral criteria", "wait_time": "Waiting time", "minimum_age": "Minimum age",
	"maximum_age": "Maximum age", "status": "Status", "url": "Website", "email": "Email address",
	"alternate_name": "Other name", "alert": "Alert", "fees_description": "Cost", "last_modified": "Last updated",
	"assured_date": "Last confirmed", "assurer_email": "Confirmed by",
	"title": "Job title", "department": "Department", "number": "Phone number", "extension": "Extension", "type": "Type",
	"address_1": "Address line 1", "address_2": "Address line 2", "city": "Town or city", "state_province": "County",
	"postal_code": "Postcode", "country": "Country", "latitude": "Latitude", "longitude": "Longitude",
	"location_type": "Kind of place", "transportation": "Getting there",
	"opens_at": "Opens", "closes_at": "Closes", "byday": "Days", "freq": "Repeats", "notes": "Notes",
	"extent": "Outline", "extent_type": "Kind of outline", "value": "Value",
}

// hiddenColumns are left out of diffs shown to people: ids and links
// between records, which say nothing a reader can check.
func hiddenColumn(table, col string) bool {
	switch {
	case col == "id" || col == "*" || col == "link_type" || col == "link_entity":
		// "*" is how an import records a whole record as created.
		return true
	case table == "attribute" && col == "taxonomy_term_id":
		return false
	}
	return strings.HasSuffix(col, "_id")
}

// diffRows turns field changes into table rows. Records are named from
// the draft (or, for removed ones, the live directory); ids and links are
// left out; each attribute is one row naming its category. Records whose
// every changed field is hidden still get a row saying they were added or
// removed.
func diffRows(ix *directory.Index, draft *directory.Dataset, changes []listing.FieldChange) []DiffRow {
	var out []DiffRow
	live := ix.Dataset()
	type recKey struct{ record, id, action string }
	shown := map[recKey]bool{}
	for _, c := range changes {
		k := recKey{c.Record, c.RecordID, c.Action}
		if c.Record == "attribute" {
			if shown[k] {
				continue
			}
			shown[k] = true
			out = append(out, attributeRow(ix, draft, live, c, changes))
			continue
		}
		if hiddenColumn(c.Record, c.Field) {
			continue
		}
		shown[k] = true
		out = append(out, DiffRow{Field: fieldLabel(draft, live, c), Before: valueText(c.Field, c.Before), After: valueText(c.Field, c.After)})
	}
	for _, c := range changes {
		k := recKey{c.Record, c.RecordID, c.Action}
		if shown[k] || c.Action == listing.ActionUpdate {
			continue
		}
		shown[k] = true
		row := DiffRow{Field: recordLabel(draft, live, c.Record, c.RecordID)}
		if c.Action == listing.ActionDelete {
			row.Before, row.After = "Listed", "Removed"
		} else {
			row.After = "Added"
		}
		out = append(out, row)
	}
	return out
}

// fieldLabel names a changed field: its column alone for the service, or
// the record and the column ("Location City Centre Clinic: postcode").
func fieldLabel(draft, live *directory.Dataset, c listing.FieldChange) string {
	col := columnLabels[c.Field]
	if col == "" {
		col = upperFirst(strings.ReplaceAll(c.Field, "_", " "))
	}
	if c.Record == "service" {
		return col
	}
	return recordLabel(draft, live, c.Record, c.RecordID) + ": " + lowerFirst(col)
}

// recordLabel names a record: its kind and, where it has one, its name.
func recordLabel(draft, live *directory.Dataset, table, id string) string {
	noun := recordNoun(table)
	for _, ds := range []*directory.Dataset{draft, live} {
		if ds == nil {
			continue
		}
		switch table {
		case "location":
			if l := locationOf(ds, id); l != nil {
				return noun + " " + cmp.Or(l.Name, addressLine(ds, id))
			}
		case "address":
			for _, a := range ds.Addresses {
				if a.ID == id {
					if l := locationOf(ds, a.LocationID); l != nil && l.Name != "" {
						return "Address of " + l.Name
					}
					return strings.TrimSpace("Address " + a.Address1)
				}
			}
		case "phone":
			for _, p := range ds.Phones {
				if p.ID == id {
					if c := contactOf(ds, p.ContactID); c != nil && c.Name != "" {
						return "Phone of " + c.Name
					}
					return "Phone"
				}
			}
		case "service_area":
			for _, a := range ds.ServiceAreas {
				if a.ID == id && a.Name != "" {
					return noun + " " + a.Name
				}
			}
		case "language":
			for _, l := range ds.Languages {
				if l.ID == id && l.Name != "" {
					return noun + " " + l.Name
				}
			}
		case "contact":
			if c := contactOf(ds, id); c != nil && c.Name != "" {
				return "Contact " + c.Name
			}
		case "schedule":
			for _, sc := range ds.Schedules {
				if sc.ID == id {
					if days := scheduleDays(sc); days != "" {
						return "Opening times (" + days + ")"
					}
					return "Opening times"
				}
			}
		case "service_at_location":
			for _, sal := range ds.ServiceAtLocations {
				if sal.ID == id {
					if l := locationOf(ds, sal.LocationID); l != nil {
						return "Delivered at " + cmp.Or(l.Name, addressLine(ds, l.ID))
					}
				}
			}
		}
	}
	return noun
}

func addressLine(ds *directory.Dataset, locID string) string {
	if a := addressOf(ds, locID); a != nil {
		return a.Address1
	}
	return ""
}

// attributeRow describes an attribute added, removed or changed, as its
// category and value. changes holds the attribute's other changed fields.
func attributeRow(ix *directory.Index, draft, live *directory.Dataset, c listing.FieldChange, changes []listing.FieldChange) DiffRow {
	var termID, value, oldTerm, oldValue string
	for _, o := range changes {
		if o.Record != "attribute" || o.RecordID != c.RecordID || o.Action != c.Action {
			continue
		}
		switch o.Field {
		case "taxonomy_term_id":
			termID, oldTerm = o.After, o.Before
		case "value":
			value, oldValue = o.After, o.Before
		}
	}
	// Fill in what did not change from the record itself.
	for _, ds := range []*directory.Dataset{draft, live} {
		if ds == nil {
			continue
		}
		if i := slices.IndexFunc(ds.Attributes, func(a directory.Attribute) bool { return a.ID == c.RecordID }); i >= 0 {
			a := ds.Attributes[i]
			if termID == "" && oldTerm == "" {
				termID, oldTerm = a.TaxonomyTermID, a.TaxonomyTermID
			}
			if c.Action != listing.ActionUpdate && value == "" && oldValue == "" {
				value, oldValue = a.Value, a.Value
			}
			break
		}
	}
	name := termName(ix, cmp.Or(termID, oldTerm))
	// The referral liaison tag names its contact.
	if cmp.Or(termID, oldTerm) == directory.TermID(listing.ReferralTaxonomy, listing.TermLiaison) {
		value, oldValue = liaisonName(draft, live, c.RecordID, changes, true), liaisonName(draft, live, c.RecordID, changes, false)
	}
	switch c.Action {
	case listing.ActionCreate:
		return DiffRow{Field: name, After: cmp.Or(attributeValue(termID, value), "Added")}
	case listing.ActionDelete:
		return DiffRow{Field: name, Before: cmp.Or(attributeValue(oldTerm, oldValue), "Listed"), After: "Removed"}
	}
	if oldTerm != termID && oldTerm != "" {
		return DiffRow{Field: "Category", Before: termName(ix, oldTerm), After: termName(ix, termID)}
	}
	return DiffRow{Field: name, Before: attributeValue(termID, oldValue), After: attributeValue(termID, value)}
}

// attributeValue writes an attribute's value for people: capacities in
// words; a value of "true" (a plain tag) as "Yes".
func attributeValue(termID, value string) string {
	if termID == directory.TermID(listing.ReferralTaxonomy, listing.TermCapacity) {
		if l, ok := capacityLabels[listing.Capacity(value)]; ok {
			return l
		}
	}
	if strings.EqualFold(value, "true") || strings.EqualFold(value, "yes") {
		return "Yes"
	}
	return value
}

// termName names a taxonomy term, from the directory or from the listing
// package's own vocabulary.
func termName(ix *directory.Index, id string) string {
	if t, ok := ix.TaxonomyTerm(id); ok {
		return t.Name
	}
	for _, t := range listing.Vocabulary().TaxonomyTerms {
		if t.ID == id {
			return t.Name
		}
	}
	return "Category"
}

// valueText writes a changed value for people: weekday codes as names.
func valueText(col, v string) string {
	if col == "byday" && v != "" {
		var names []string
		for tok := range strings.SplitSeq(v, ",") {
			if i := dayIndex(strings.ToUpper(strings.TrimSpace(tok))); i >= 0 {
				names = append(names, weekdays[i].name)
			} else {
				names = append(names, tok)
			}
		}
		return strings.Join(names, ", ")
	}
	return v
}

// liaisonName names the contact a liaison attribute points to after the
// change (or before it, when after is false).
func liaisonName(draft, live *directory.Dataset, attrID string, changes []listing.FieldChange, after bool) string {
	link := ""
	for _, o := range changes {
		if o.Record == "attribute" && o.RecordID == attrID && o.Field == "link_id" {
			link = o.Before
			if after {
				link = o.After
			}
		}
	}
	sources := []*directory.Dataset{draft, live}
	if !after {
		sources = []*directory.Dataset{live, draft}
	}
	for _, ds := range sources {
		if ds == nil {
			continue
		}
		if link == "" {
			if i := slices.IndexFunc(ds.Attributes, func(a directory.Attribute) bool { return a.ID == attrID }); i >= 0 {
				link = ds.Attributes[i].LinkID
			}
		}
		if c := contactOf(ds, link); c != nil && c.Name != "" {
			return c.Name
		}
	}
	return ""
}
