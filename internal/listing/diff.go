package listing

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"throughcare/internal/directory"
)

// The actions a FieldChange (and so an HSDS metadata row) records.
const (
	ActionCreate = "create" // the record is new; one change per field it sets
	ActionUpdate = "update" // one field changed
	ActionDelete = "delete" // the record was removed; one change per field it had
	ActionAssure = "assure" // the listing was confirmed as correct (AssureService)
)

// FieldChange is one changed field of one record: what reviewers see and
// what the history keeps, one HSDS metadata row each.
type FieldChange struct {
	Record   string `json:"record"`    // HSDS table name: "service", "phone", …
	RecordID string `json:"record_id"` // the record's id
	Action   string `json:"action"`    // ActionCreate, ActionUpdate, ActionDelete or ActionAssure
	Field    string `json:"field"`     // HSDS column name
	Before   string `json:"before"`    // "" for a new record
	After    string `json:"after"`     // "" for a removed record
}

// Diff returns what publishing next over old changes in the listing of
// service serviceID, where old is the stored directory (or nil, for a new
// service) and next is the proposed listing, such as a draft's records.
// Records of next missing from old are created, one change per field they
// set; records of both that differ give one change per differing field;
// records that Removed lists give one change per field they had. A record
// with no field set besides its id gives one change of its id. The columns
// Managed names are left out. Changes come in table order (directory.Tables),
// then next's record order with removals after, then column order.
func Diff(old, next *directory.Dataset, serviceID string) []FieldChange {
	var out []FieldChange
	removed := Removed(old, next, serviceID)
	oldPos := directory.Rows(old)
	for _, t := range directory.Tables {
		if next != nil {
			for i := range t.Len(next) {
				id := t.ID(next, i)
				after := t.Strings(next, i)
				pos, ok := oldPos[t.Name][id]
				if !ok {
					out = append(out, fields(t, id, ActionCreate, nil, after)...)
					continue
				}
				before := t.Strings(old, pos)
				for c, col := range t.Columns {
					if c > 0 && before[c] != after[c] && !Managed(t.Name, col) {
						out = append(out, FieldChange{Record: t.Name, RecordID: id, Action: ActionUpdate,
							Field: col, Before: before[c], After: after[c]})
					}
				}
			}
		}
		for _, id := range removed[t.Name] {
			out = append(out, fields(t, id, ActionDelete, t.Strings(old, oldPos[t.Name][id]), nil)...)
		}
	}
	return out
}

// fields lists the set fields of a created (before nil) or removed (after
// nil) record.
func fields(t *directory.Table, id, action string, before, after []string) []FieldChange {
	vals := after
	if vals == nil {
		vals = before
	}
	var out []FieldChange
	for c, col := range t.Columns {
		if c == 0 || vals[c] == "" || Managed(t.Name, col) {
			continue
		}
		fc := FieldChange{Record: t.Name, RecordID: id, Action: action, Field: col}
		if before == nil {
			fc.After = vals[c]
		} else {
			fc.Before = vals[c]
		}
		out = append(out, fc)
	}
	if len(out) == 0 {
		fc := FieldChange{Record: t.Name, RecordID: id, Action: action, Field: "id"}
		if before == nil {
			fc.After = id
		} else {
			fc.Before = id
		}
		out = append(out, fc)
	}
	return out
}

// Publication is what publishing a draft writes.
type Publication struct {
	// Upserts holds the records to insert or update: the draft's records,
	// with the service's managed columns set (see Plan), and the rows of
	// Vocabulary so the attributes it uses can refer to them.
	Upserts *directory.Dataset
	// Removed lists the ids to delete, by HSDS table name (see Removed).
	Removed map[string][]string
	// Changes is what the publication changes (see Diff).
	Changes []FieldChange
}

// Plan returns what publishing draft d over the stored directory cur at
// time now writes. The service keeps its stored assured_date and
// assurer_email (a new one has none), and its last_modified becomes now,
// in UTC to the second. Plan does not validate: call Validate first.
func Plan(d Draft, cur *directory.Dataset, now time.Time) Publication {
	up := d.Clone()
	if svc := up.Service(); svc != nil {
		svc.AssuredDate, svc.AssurerEmail = "", ""
		if stored := findService(cur, svc.ID); stored != nil {
			svc.AssuredDate, svc.AssurerEmail = stored.AssuredDate, stored.AssurerEmail
		}
		svc.LastModified = now.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	p := Publication{
		Removed: Removed(cur, up.Dataset, d.ServiceID()),
		Changes: Diff(cur, up.Dataset, d.ServiceID()),
	}
	voc := Vocabulary()
	up.Dataset.Taxonomies = append(up.Dataset.Taxonomies, voc.Taxonomies...)
	up.Dataset.TaxonomyTerms = append(up.Dataset.TaxonomyTerms, voc.TaxonomyTerms...)
	p.Upserts = up.Dataset
	return p
}

// Metadata returns changes as HSDS metadata rows, each with a new id, the
// given action date (the store's fixed-width UTC text) and updatedBy.
func Metadata(changes []FieldChange, at, updatedBy string) []directory.Metadata {
	out := make([]directory.Metadata, len(changes))
	for i, c := range changes {
		out[i] = directory.Metadata{
			ID: directory.NewUUID(), ResourceID: c.RecordID, ResourceType: c.Record,
			LastActionDate: at, LastActionType: c.Action, FieldName: c.Field,
			PreviousValue: c.Before, ReplacementValue: c.After, UpdatedBy: updatedBy,
		}
	}
	return out
}

// UpdatedBy is how a published change names its people in HSDS metadata
// rows: the submitter's address, then who approved it, or that a trusted
// organisation published it without review (reviewer "").
func UpdatedBy(submitter, reviewer string) string {
	if reviewer == "" {
		return submitter + " (published without review)"
	}
	return submitter + " (approved by " + reviewer + ")"
}

// HistoryEntry is one version of a listing: the changes made at one time
// by one person (one import, one published change, one assurance).
type HistoryEntry struct {
	At        time.Time // when; zero if the stored date does not parse
	Date      string    // the stored last_action_date, as written
	UpdatedBy string
	ChangeID  string // the listing change that made it, if any
	Changes   []FieldChange
}

// History groups HSDS metadata rows into versions: rows with the same
// last_action_date and updated_by are one version. changeOf gives the
// listing change a row came from (by metadata id), if any. Versions come
// newest first; changes within one keep the rows' order.
func History(rows []directory.Metadata, changeOf map[string]string) []HistoryEntry {
	var out []HistoryEntry
	at := map[[2]string]int{}
	for _, m := range rows {
		key := [2]string{m.LastActionDate, m.UpdatedBy}
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			when, _ := ParseDate(m.LastActionDate)
			out = append(out, HistoryEntry{At: when, Date: m.LastActionDate, UpdatedBy: m.UpdatedBy})
		}
		e := &out[i]
		if e.ChangeID == "" {
			e.ChangeID = changeOf[m.ID]
		}
		e.Changes = append(e.Changes, FieldChange{Record: m.ResourceType, RecordID: m.ResourceID,
			Action: m.LastActionType, Field: m.FieldName, Before: m.PreviousValue, After: m.ReplacementValue})
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.Date, a.Date)
	})
	return out
}

// ParseDate reads a date as HSDS data holds it: RFC 3339 with or without
// fractional seconds (as the store writes), or a bare YYYY-MM-DD (taken as
// midnight UTC).
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// ServiceChange says that a service was created or changed, for feeds.
type ServiceChange struct {
	ServiceID string
	Action    string    // ActionCreate if the service was created in the period, else ActionUpdate
	At        time.Time // the latest change in the period
}

// SortServiceChanges orders changes newest first, then by service id.
func SortServiceChanges(cs []ServiceChange) {
	slices.SortFunc(cs, func(a, b ServiceChange) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(a.ServiceID, b.ServiceID)
	})
}
