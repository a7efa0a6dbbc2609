package listing

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// Limits on the size of a draft.
const (
	MaxRecords = 1000  // records in one draft, all tables together
	MaxText    = 10000 // characters in one text field
)

// forbiddenTables are the HSDS tables a draft may not hold: they belong to
// the organisation as a whole, to the shared vocabulary, or to provenance.
var forbiddenTables = []string{"organization", "organization_identifier", "program", "taxonomy", "taxonomy_term", "metadata"}

// refColumns are the columns naming a record that must be part of the
// draft itself, with the table each names.
var refColumns = map[string]string{
	"service_id":             "service",
	"service_at_location_id": "service_at_location",
	"location_id":            "location",
	"contact_id":             "contact",
	"phone_id":               "phone",
}

// Path returns how errors name record i of an HSDS table in a draft:
// "service" for the service, otherwise the table's plural (its CSV file
// name) and the index, such as "schedules[0]" or "addresses[2]".
func Path(table string, i int) string {
	if table == "service" {
		return "service"
	}
	name := table
	if t := directory.TableNamed(table); t != nil {
		name = strings.TrimSuffix(t.CSV, ".csv")
	}
	return name + "[" + strconv.Itoa(i) + "]"
}

// problems collects field errors the way directory.Validate does.
type problems struct{ err directory.ValidationError }

func (p *problems) add(field, format string, args ...any) {
	p.err.Total++
	if len(p.err.Problems) < directory.MaxProblems {
		p.err.Problems = append(p.err.Problems, &apperr.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

func (p *problems) result() error {
	if p.err.Total == 0 {
		return nil
	}
	return &p.err
}

// Validate checks that a provider of the HSDS organization ownerOrgID may
// submit draft d, against the stored directory cur (nil when empty).
//
// It returns a Forbidden error, naming the field, when the draft reaches
// beyond the provider's own listings: ownerOrgID is empty; the service
// exists and belongs to another organization; a location the draft
// includes exists and is not the owner's (see OwnsLocation); any other
// record reuses the id of a stored record that is not part of this
// service's listing or of one of those locations (so ids cannot be
// smuggled in to overwrite someone else's records); or a record names
// another organization or another organization's programme.
//
// Otherwise it returns nil or a *directory.ValidationError (which matches
// apperr.Invalid) listing problems with fields named by path, such as
// "service.name", "schedules[0].opens_at" or "referral.response_time": the
// draft holds exactly one service and none of the organisation-wide or
// vocabulary tables; every record hangs under the service or under one of
// the draft's locations, and every location is linked to the service;
// references name records of the draft (a service-at-location may also
// name any stored location, to link to a place without editing it);
// everything directory.Validate checks, with references to stored records
// and to Vocabulary allowed; text fields of at most MaxText characters and
// at most MaxRecords records; and the referral procedure (see Referral).
// The service columns Managed names are not checked: publishing sets them.
func Validate(d Draft, ownerOrgID string, cur *directory.Dataset) error {
	if ownerOrgID == "" {
		return apperr.Errorf(apperr.Forbidden, "your organisation has no directory listing to edit")
	}
	if d.Dataset == nil || len(d.Dataset.Services) == 0 {
		return apperr.Field("service", "is required")
	}
	if n := len(d.Dataset.Services); n > 1 {
		return apperr.Field("service", "a draft holds one service, not %d", n)
	}
	ds := d.Dataset
	for _, name := range forbiddenTables {
		t := directory.TableNamed(name)
		if t.Len(ds) > 0 {
			return apperr.Field(strings.TrimSuffix(t.CSV, ".csv"), "a listing change cannot include %s records", strings.ReplaceAll(name, "_", " "))
		}
	}
	if n := ds.Count(); n > MaxRecords {
		return apperr.Field("service", "the draft holds %d records; the most is %d", n, MaxRecords)
	}
	if cur == nil {
		cur = &directory.Dataset{}
	}
	if err := checkOwnership(d, ownerOrgID, cur); err != nil {
		return err
	}

	p := &problems{}
	svc := d.Service()
	if svc.OrganizationID == "" {
		p.add("service.organization_id", "is required")
	}
	var locs []string
	for _, l := range ds.Locations {
		locs = append(locs, l.ID)
	}
	g := collect(ds, svc.ID, locs)
	mine := directory.Rows(ds)
	curIDs := directory.Rows(cur)
	linked := map[string]bool{}
	for _, sal := range ds.ServiceAtLocations {
		linked[sal.LocationID] = true
	}
	for _, t := range directory.Tables {
		for i := range t.Len(ds) {
			id := t.ID(ds, i)
			vals := t.Strings(ds, i)
			switch {
			case t.Name == "location" && !linked[id]:
				p.add(Path(t.Name, i), "no service-at-location links this location to the service")
			case t.Name != "service" && !g.has(t.Name, id):
				p.add(Path(t.Name, i), "is not part of this service's listing: link it to the service or to one of its contacts, phones, service-at-locations or locations")
			}
			for c, col := range t.Columns {
				v := vals[c]
				if v == "" {
					continue
				}
				if target, ok := refColumns[col]; ok && c > 0 {
					switch {
					case col == "service_id" && v != svc.ID:
						p.add(Path(t.Name, i)+"."+col, "must be the id of this draft's service")
					case col != "service_id" && !mine.Has(target, v) && !(t.Name == "service_at_location" && curIDs.Has(target, v)):
						p.add(Path(t.Name, i)+"."+col, "must name a %s of this listing", strings.ReplaceAll(target, "_", " "))
					}
				}
				if n := utf8.RuneCountInString(v); n > MaxText {
					p.add(Path(t.Name, i)+"."+col, "is %d characters long; the most is %d", n, MaxText)
				}
			}
		}
	}

	voc := directory.Rows(Vocabulary())
	known := func(table, id string) bool { return curIDs.Has(table, id) || voc.Has(table, id) }
	if err := directory.Validate(ds, known); err != nil {
		if ve, ok := err.(*directory.ValidationError); ok {
			for _, fe := range ve.Problems {
				// The managed columns are the store's to set, whatever
				// the draft holds.
				if strings.HasPrefix(fe.Record, "service ") && Managed("service", fe.Field) {
					continue
				}
				p.add(fieldPath(ds, fe), "%s", fe.Msg)
			}
			// Count the problems Validate found but did not list.
			p.err.Total += ve.Total - len(ve.Problems)
		} else {
			return err
		}
	}
	checkReferral(d, p)
	return p.result()
}

// fieldPath turns the record ("phone <id>" or "phone #3") and column of a
// directory.Validate problem into a draft path such as "phones[0].number".
func fieldPath(ds *directory.Dataset, fe *apperr.FieldError) string {
	table, rest, _ := strings.Cut(fe.Record, " ")
	t := directory.TableNamed(table)
	if t == nil {
		return fe.Field
	}
	i := -1
	if n, ok := strings.CutPrefix(rest, "#"); ok {
		if k, err := strconv.Atoi(n); err == nil {
			i = k - 1
		}
	} else {
		for j := range t.Len(ds) {
			if t.ID(ds, j) == rest {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return table + "." + fe.Field
	}
	return Path(table, i) + "." + fe.Field
}

// checkOwnership returns the Forbidden error Validate describes, or nil.
func checkOwnership(d Draft, owner string, cur *directory.Dataset) error {
	ds := d.Dataset
	svc := d.Service()
	forbid := func(field, format string, args ...any) error {
		return apperr.Errorf(apperr.Forbidden, "%s: %s", field, fmt.Sprintf(format, args...))
	}
	if stored := findService(cur, svc.ID); stored != nil && stored.OrganizationID != owner {
		return forbid("service.id", "service %s belongs to another organisation", svc.ID)
	}
	var owned []string
	for i, l := range ds.Locations {
		if !locationExists(cur, l.ID) {
			continue
		}
		if !OwnsLocation(cur, l.ID, owner) {
			return forbid(Path("location", i)+".id", "location %s belongs to another organisation", l.ID)
		}
		owned = append(owned, l.ID)
	}
	allowed := collect(cur, svc.ID, owned)
	stored := directory.Rows(cur)
	programs := map[string]string{}
	for _, pr := range cur.Programs {
		programs[pr.ID] = pr.OrganizationID
	}
	for _, t := range directory.Tables {
		orgCol, progCol := -1, -1
		for c, col := range t.Columns {
			switch col {
			case "organization_id":
				orgCol = c
			case "program_id":
				progCol = c
			}
		}
		for i := range t.Len(ds) {
			id := t.ID(ds, i)
			if t.Name != "service" && t.Name != "location" && stored.Has(t.Name, id) && !allowed.has(t.Name, id) {
				return forbid(Path(t.Name, i)+".id", "%s %s belongs to another listing", strings.ReplaceAll(t.Name, "_", " "), id)
			}
			if orgCol < 0 && progCol < 0 {
				continue
			}
			vals := t.Strings(ds, i)
			if orgCol >= 0 && vals[orgCol] != "" && vals[orgCol] != owner {
				return forbid(Path(t.Name, i)+".organization_id", "must be your organisation's id")
			}
			if progCol >= 0 && vals[progCol] != "" {
				switch org, ok := programs[vals[progCol]]; {
				case !ok:
					return apperr.Field(Path(t.Name, i)+".program_id", "unknown programme %q", vals[progCol])
				case org != owner:
					return forbid(Path(t.Name, i)+".program_id", "programme %s belongs to another organisation", vals[progCol])
				}
			}
		}
	}
	return nil
}

func locationExists(ds *directory.Dataset, id string) bool {
	for i := range ds.Locations {
		if ds.Locations[i].ID == id {
			return true
		}
	}
	return false
}

// KindOf returns KindUpdate if the draft's service is stored in cur and
// KindCreate if not.
func KindOf(d Draft, cur *directory.Dataset) Kind {
	if findService(cur, d.ServiceID()) != nil {
		return KindUpdate
	}
	return KindCreate
}
