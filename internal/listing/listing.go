// Package listing holds provider self-service for directory listings: the
// draft a provider submits for one service, what it changes (Diff), whether
// it may be accepted (Validate), what publishing it writes (Plan), the
// version history kept as HSDS metadata rows, the freshness rule that flags
// listings nobody has assured for a while, and subscriptions to news of new
// and changed services.
//
// # The model
//
// A provider never edits the live directory. They submit a Draft: the whole
// proposed listing of one service as HSDS records (the service, its phones,
// contacts, schedules, attributes, service-at-locations, and the locations
// with their addresses that the provider edits alongside it). A Change wraps
// the draft with who submitted it, a fingerprint of the stored listing it was
// made from (Base), and its review status. An administrator approves or
// rejects it; a trusted organisation's changes publish at once. Publishing
// replaces the stored listing with the draft in one transaction and records
// every changed field as an HSDS metadata row naming who made the change and
// who approved it, so the service's history can be rebuilt from the
// directory itself.
//
// The referral procedure a provider publishes (criteria, how to refer,
// expected response time, capacity, waiting time and a named liaison) maps
// onto HSDS fields and onto attributes of this package's own small taxonomy
// (Vocabulary); see Referral and docs/listings.md.
//
// The package is pure: no SQL and no HTTP.
package listing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// Kind says whether a change edits a service that exists or adds a new one.
type Kind string

// The kinds of change.
const (
	KindUpdate Kind = "update"
	KindCreate Kind = "create"
)

// Status is where a change stands in review.
type Status string

// The statuses of a change. Pending is the only one that moves: to
// Approved (reviewed and published), Rejected or Withdrawn. Published is a
// change from a trusted organisation that went live without review.
const (
	StatusPending   Status = "pending"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusPublished Status = "published"
	StatusWithdrawn Status = "withdrawn"
)

// Live reports whether a change in status s was written to the directory.
func (s Status) Live() bool { return s == StatusApproved || s == StatusPublished }

// Change is one submitted draft and its review.
type Change struct {
	ID                 string
	OrgID              string // the account organisation whose staff submitted it
	HSDSOrganizationID string // the HSDS organization that owns the service
	ServiceID          string
	Kind               Kind
	Draft              Draft
	// Diff is what the draft changes: against the directory at submission
	// while pending, and as written once published.
	Diff []FieldChange
	// Base is the Fingerprint of the stored listing the draft was made
	// from. A change whose listing has moved on since cannot be approved.
	Base        string
	Note        string // the submitter's note to the reviewer
	Status      Status
	SubmittedBy string // user id
	SubmittedAt time.Time
	ReviewedBy  string // user id; empty until reviewed (and for trusted publication)
	ReviewedAt  time.Time
	ReviewNote  string
}

// MaxNote is the longest note, in characters, a submitter or reviewer may
// write.
const MaxNote = 2000

// CheckNote returns an Invalid error naming field if note is too long or
// holds control characters other than line breaks and tabs.
func CheckNote(field, note string) error {
	if n := len([]rune(note)); n > MaxNote {
		return apperr.Field(field, "is %d characters long; the most is %d", n, MaxNote)
	}
	if strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
		return apperr.Field(field, "must not hold control characters")
	}
	return nil
}

// Draft is the proposed listing of one service, as flat HSDS records with
// ids: exactly one Service, and the records that hang under it (phones,
// contacts and their phones, schedules, service areas, languages, funding,
// costs, required documents, service-at-locations and attributes) together
// with the locations the provider edits and the records that hang under
// those (addresses, accessibility, location phones, contacts and
// schedules). New records get ids from directory.NewUUID.
//
// A draft is the whole listing, not a patch: a record of the service that
// the draft leaves out is deleted when it is published, and so is a record
// of a location the draft includes. A location the service is linked to but
// that the draft does not include is left as it is.
type Draft struct {
	Dataset *directory.Dataset
}

// NewDraft returns a draft of the stored listing of service serviceID in
// cur, ready to edit: the service, every record that hangs under it, and
// the locations it is delivered at that its organisation owns (see
// OwnsLocation), with theirs. Locations of other organisations stay linked
// through their service-at-location rows but are not part of the draft. It
// returns a NotFound error if cur has no such service.
func NewDraft(cur *directory.Dataset, serviceID string) (Draft, error) {
	svc := findService(cur, serviceID)
	if svc == nil {
		return Draft{}, apperr.Errorf(apperr.NotFound, "service %s not found", serviceID)
	}
	var locs []string
	for _, sal := range cur.ServiceAtLocations {
		if sal.ServiceID == serviceID && sal.LocationID != "" && !slices.Contains(locs, sal.LocationID) &&
			OwnsLocation(cur, sal.LocationID, svc.OrganizationID) {
			locs = append(locs, sal.LocationID)
		}
	}
	return Draft{Dataset: collect(cur, serviceID, locs).dataset(cur)}, nil
}

// NewServiceDraft returns a draft of a new, active service of the HSDS
// organization orgID, with a fresh id and the given name.
func NewServiceDraft(orgID, name string) Draft {
	return Draft{Dataset: &directory.Dataset{Services: []directory.Service{{
		ID: directory.NewUUID(), OrganizationID: orgID, Name: name, Status: "active",
	}}}}
}

// Service returns the draft's service, or nil if it holds none (or several:
// Validate refuses both).
func (d Draft) Service() *directory.Service {
	if d.Dataset == nil || len(d.Dataset.Services) != 1 {
		return nil
	}
	return &d.Dataset.Services[0]
}

// ServiceID returns the id of the draft's service, or "".
func (d Draft) ServiceID() string {
	if s := d.Service(); s != nil {
		return s.ID
	}
	return ""
}

// Clone returns a deep copy of the draft's records.
func (d Draft) Clone() Draft {
	if d.Dataset == nil {
		return Draft{}
	}
	out := &directory.Dataset{}
	for _, t := range directory.Tables {
		app := t.NewAppender(out, t.Columns)
		for i := range t.Len(d.Dataset) {
			app.AppendValues(t.Values(d.Dataset, i)) // values from Values always append
		}
	}
	return Draft{Dataset: out}
}

// draftJSON is how a draft is stored: per HSDS table name, its rows as
// objects of column to value, leaving out empty columns. It depends only on
// the HSDS column names, not on Go field names.
type draftJSON struct {
	Records map[string][]map[string]any `json:"records"`
}

// MarshalJSON encodes the draft as {"records": {"service": [{…}], …}}.
func (d Draft) MarshalJSON() ([]byte, error) {
	out := draftJSON{Records: map[string][]map[string]any{}}
	if d.Dataset != nil {
		for _, t := range directory.Tables {
			for i := range t.Len(d.Dataset) {
				row := map[string]any{}
				for c, v := range t.Values(d.Dataset, i) {
					if v != nil {
						row[t.Columns[c]] = v
					}
				}
				out.Records[t.Name] = append(out.Records[t.Name], row)
			}
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes what MarshalJSON wrote. Unknown tables are an
// error; unknown columns are ignored, as HSDS allows.
func (d *Draft) UnmarshalJSON(b []byte) error {
	var in draftJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("listing: draft: %w", err)
	}
	ds := &directory.Dataset{}
	for _, t := range directory.Tables {
		rows := in.Records[t.Name]
		delete(in.Records, t.Name)
		app := t.NewAppender(ds, t.Columns)
		for _, row := range rows {
			vals := make([]any, len(t.Columns))
			for c, col := range t.Columns {
				vals[c] = row[col]
			}
			if err := app.AppendValues(vals); err != nil {
				return fmt.Errorf("listing: draft: %s: %w", t.Name, err)
			}
		}
	}
	for name := range in.Records {
		return fmt.Errorf("listing: draft: unknown table %q", name)
	}
	d.Dataset = ds
	return nil
}

func findService(ds *directory.Dataset, id string) *directory.Service {
	if ds == nil {
		return nil
	}
	for i := range ds.Services {
		if ds.Services[i].ID == id {
			return &ds.Services[i]
		}
	}
	return nil
}

// OwnsLocation reports whether the HSDS organization orgID owns location
// locID in cur, and so may edit it: the location names orgID as its
// organization, or names none and every service delivered there (at least
// one) belongs to orgID.
func OwnsLocation(cur *directory.Dataset, locID, orgID string) bool {
	if orgID == "" {
		return false
	}
	var loc *directory.Location
	for i := range cur.Locations {
		if cur.Locations[i].ID == locID {
			loc = &cur.Locations[i]
			break
		}
	}
	switch {
	case loc == nil:
		return false
	case loc.OrganizationID != "":
		return loc.OrganizationID == orgID
	}
	orgOf := make(map[string]string, len(cur.Services))
	for _, s := range cur.Services {
		orgOf[s.ID] = s.OrganizationID
	}
	n := 0
	for _, sal := range cur.ServiceAtLocations {
		if sal.LocationID != locID {
			continue
		}
		if orgOf[sal.ServiceID] != orgID {
			return false
		}
		n++
	}
	return n > 0
}
