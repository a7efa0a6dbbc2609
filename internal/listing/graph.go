package listing

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"throughcare/internal/directory"
)

// graph is the set of records that make up one listing: every record of a
// dataset that hangs, directly or through others, under the service or
// under one of a given set of locations. Each member remembers its root:
// the service's id, or the id of the location it hangs under.
//
// A record hangs under its most specific parent, in the order the index
// nests records for output: a phone of a contact belongs to the contact
// even when it also names the service, and a contact of a service that
// also names a location belongs to the service. An attribute hangs under
// the record its link_id names.
type graph struct {
	root map[string]map[string]string // table → id → root id
	byID map[string]string            // id → root id, any table (ids are UUIDs)
}

func (g *graph) add(table, id, root string) {
	m := g.root[table]
	if m == nil {
		m = map[string]string{}
		g.root[table] = m
	}
	m[id] = root
	g.byID[id] = root
}

func (g *graph) has(table, id string) bool {
	_, ok := g.root[table][id]
	return ok
}

// under returns the root of the first non-empty parent among pairs of
// (table, id), if that parent is a member.
func (g *graph) under(pairs ...string) (string, bool) {
	for i := 0; i < len(pairs); i += 2 {
		if id := pairs[i+1]; id != "" {
			r, ok := g.root[pairs[i]][id]
			return r, ok
		}
	}
	return "", false
}

// collect returns the listing of serviceID in ds, taking in the locations
// named in locs (those that exist in ds) and what hangs under them.
// Locations are never reached through service-at-locations alone: which
// locations belong to a listing is the caller's decision.
func collect(ds *directory.Dataset, serviceID string, locs []string) *graph {
	g := &graph{root: map[string]map[string]string{}, byID: map[string]string{}}
	if ds == nil {
		return g
	}
	if findService(ds, serviceID) != nil {
		g.add("service", serviceID, serviceID)
	}
	for _, l := range ds.Locations {
		if slices.Contains(locs, l.ID) {
			g.add("location", l.ID, l.ID)
		}
	}
	for _, r := range ds.ServiceAtLocations {
		if root, ok := g.under("service", r.ServiceID); ok {
			g.add("service_at_location", r.ID, root)
		}
	}
	for _, r := range ds.Addresses {
		if root, ok := g.under("location", r.LocationID); ok {
			g.add("address", r.ID, root)
		}
	}
	for _, r := range ds.Contacts {
		if root, ok := g.under("service_at_location", r.ServiceAtLocationID, "service", r.ServiceID,
			"location", r.LocationID, "organization", r.OrganizationID); ok {
			g.add("contact", r.ID, root)
		}
	}
	for _, r := range ds.Phones {
		if root, ok := g.under("contact", r.ContactID, "service_at_location", r.ServiceAtLocationID,
			"service", r.ServiceID, "location", r.LocationID, "organization", r.OrganizationID); ok {
			g.add("phone", r.ID, root)
		}
	}
	for _, r := range ds.Schedules {
		if root, ok := g.under("service_at_location", r.ServiceAtLocationID, "service", r.ServiceID, "location", r.LocationID); ok {
			g.add("schedule", r.ID, root)
		}
	}
	for _, r := range ds.ServiceAreas {
		if root, ok := g.under("service", r.ServiceID); ok {
			g.add("service_area", r.ID, root)
		}
	}
	for _, r := range ds.Languages {
		if root, ok := g.under("phone", r.PhoneID, "service", r.ServiceID, "location", r.LocationID); ok {
			g.add("language", r.ID, root)
		}
	}
	for _, r := range ds.Accessibility {
		if root, ok := g.under("location", r.LocationID); ok {
			g.add("accessibility", r.ID, root)
		}
	}
	for _, r := range ds.CostOptions {
		if root, ok := g.under("service", r.ServiceID); ok {
			g.add("cost_option", r.ID, root)
		}
	}
	for _, r := range ds.Funding {
		if root, ok := g.under("service", r.ServiceID, "organization", r.OrganizationID); ok {
			g.add("funding", r.ID, root)
		}
	}
	for _, r := range ds.RequiredDocuments {
		if root, ok := g.under("service", r.ServiceID); ok {
			g.add("required_document", r.ID, root)
		}
	}
	for _, r := range ds.Attributes {
		if root, ok := g.byID[r.LinkID]; ok && r.LinkID != "" {
			g.add("attribute", r.ID, root)
		}
	}
	return g
}

// dataset copies the members of g out of ds, in ds's order.
func (g *graph) dataset(ds *directory.Dataset) *directory.Dataset {
	out := &directory.Dataset{}
	for _, t := range directory.Tables {
		ids := g.root[t.Name]
		if len(ids) == 0 {
			continue
		}
		app := t.NewAppender(out, t.Columns)
		for i := range t.Len(ds) {
			if _, ok := ids[t.ID(ds, i)]; ok {
				app.AppendValues(t.Values(ds, i))
			}
		}
	}
	return out
}

// Removed returns, by HSDS table name, the ids of the stored records in
// old that publishing draft next over service serviceID deletes: every
// record hanging under the service, and every record hanging under a
// location that next includes, that next leaves out. Locations themselves
// are never deleted (another service may use them; dropping the link is
// enough), and neither is anything under a location next does not include.
func Removed(old, next *directory.Dataset, serviceID string) map[string][]string {
	var locs []string
	if next != nil {
		for _, l := range next.Locations {
			locs = append(locs, l.ID)
		}
	}
	g := collect(old, serviceID, locs)
	keep := directory.Rows(next)
	out := map[string][]string{}
	for _, t := range directory.Tables {
		if t.Name == "location" {
			continue
		}
		members := g.root[t.Name]
		for i := range t.Len(old) {
			id := t.ID(old, i)
			if _, ok := members[id]; ok && !keep.Has(t.Name, id) {
				out[t.Name] = append(out[t.Name], id)
			}
		}
	}
	return out
}

// managedColumns are the service columns that a draft cannot set: the
// store keeps assured_date and assurer_email (set by AssureService) and
// sets last_modified when it publishes. Diff and Fingerprint ignore them.
var managedColumns = []string{"assured_date", "assurer_email", "last_modified"}

// Managed reports whether column of HSDS table is one a draft cannot set.
func Managed(table, column string) bool {
	return table == "service" && slices.Contains(managedColumns, column)
}

// Fingerprint returns a digest of what the stored directory cur holds of
// draft d's listing: the stored records of the service and of the
// locations the draft includes, and any stored record whose id the draft
// uses. It changes whenever any of them changes (other than the columns
// Managed names), so a change can tell that its listing has moved on since
// it was submitted. A new service with nothing stored yet gives "".
func Fingerprint(cur *directory.Dataset, d Draft) string {
	var locs []string
	if d.Dataset != nil {
		for _, l := range d.Dataset.Locations {
			locs = append(locs, l.ID)
		}
	}
	g := collect(cur, d.ServiceID(), locs)
	used := directory.Rows(d.Dataset)
	var rows []string
	if cur != nil {
		for _, t := range directory.Tables {
			for i := range t.Len(cur) {
				id := t.ID(cur, i)
				if !g.has(t.Name, id) && !used.Has(t.Name, id) {
					continue
				}
				vals := t.Strings(cur, i)
				for c, col := range t.Columns {
					if Managed(t.Name, col) {
						vals[c] = ""
					}
				}
				rows = append(rows, t.Name+"\x1f"+strings.Join(vals, "\x1f"))
			}
		}
	}
	if len(rows) == 0 {
		return ""
	}
	slices.Sort(rows)
	h := sha256.New()
	for _, r := range rows {
		h.Write([]byte(r))
		h.Write([]byte{'\x1e'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
