package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
)

// Provider self-service (package listing). A change is stored pending in
// listing_change; publishing it (on approval, or at once for a trusted
// organisation) writes the draft through importTx in the same transaction
// as the status update and the audit event, so the directory, the change
// and the audit log never disagree. Every writer here takes directoryLock
// first, then (through appendAudit) auditLock.

// ListingFilter selects listing changes. Empty fields do not filter.
type ListingFilter struct {
	Status      listing.Status
	OrgID       string // account organisation
	ServiceID   string
	Limit       int  // at most this many; 0 means DefaultListingLimit
	OldestFirst bool // oldest submission first, as a review queue reads; otherwise newest first
}

// DefaultListingLimit is how many changes ListingChanges returns when the
// filter sets no Limit.
const DefaultListingLimit = 100

const listingColumns = `id, org_id, hsds_organization_id, service_id, kind, base, draft, diff, note, status,
submitted_by, submitted_at, COALESCE(reviewed_by, ''), COALESCE(reviewed_at, ''), review_note`

// SubmitListingChange validates ch.Draft against the directory as stored
// (see listing.Validate) for the HSDS organization that ch.OrgID's
// organisation owns, and stores it as a pending change submitted by
// ch.SubmittedBy, with its kind, its diff and the fingerprint of the
// listing it was made from. ch.Note is the submitter's note; other fields
// of ch are set here.
//
// With publishNow (the caller has checked that the submitter may publish
// without review: account.ListingPublish, a trusted organisation), the
// change is also published in the same transaction and stored with status
// published; HSDS metadata rows name the submitter.
//
// ev is the audit event of the submission (its actor, role and address);
// it is appended with action listing.changed, record type "service", the
// service's id and, unless set, OrgID ch.OrgID, and a second copy with
// action listing.published when published.
//
// It returns the stored change, or: an Invalid error naming the field (a
// bad draft, a draft that changes nothing, an unknown organisation or
// submitter); a Forbidden error if the organisation has no HSDS
// organization or the draft reaches into records it does not own; a
// Conflict error if a change to the service is already pending. On any
// error nothing is written.
func (d *DB) SubmitListingChange(ctx context.Context, ch listing.Change, publishNow bool, ev audit.Event) (listing.Change, error) {
	if err := listing.CheckNote("note", ch.Note); err != nil {
		return listing.Change{}, err
	}
	if ch.SubmittedBy == "" {
		return listing.Change{}, apperr.Field("submitted_by", "is required")
	}
	now := d.Now().UTC().Truncate(time.Microsecond)
	ch.ID = directory.NewUUID()
	ch.ServiceID = ch.Draft.ServiceID()
	ch.Status = listing.StatusPending
	ch.SubmittedAt = now
	ch.ReviewedBy, ch.ReviewedAt, ch.ReviewNote = "", time.Time{}, ""
	submitted, err := listingEvent(ev, audit.ListingChanged, &ch, now, map[string]any{"change": ch.ID})
	if err != nil {
		return listing.Change{}, err
	}
	err = d.withTx(ctx, func(tx *sql.Tx) error {
		if err := d.dialect.lock(ctx, tx, directoryLock); err != nil {
			return err
		}
		org, err := organisationTx(ctx, tx, ch.OrgID)
		if err != nil {
			return err
		}
		email, err := userEmailTx(ctx, tx, ch.SubmittedBy, "submitted_by")
		if err != nil {
			return err
		}
		cur, err := loadListing(ctx, tx, ch.Draft)
		if err != nil {
			return err
		}
		if err := listing.Validate(ch.Draft, org.HSDSOrganizationID, cur); err != nil {
			return err
		}
		ch.HSDSOrganizationID = org.HSDSOrganizationID
		ch.Kind = listing.KindOf(ch.Draft, cur)
		ch.Base = listing.Fingerprint(cur, ch.Draft)
		ch.Diff = listing.Diff(cur, ch.Draft.Dataset, ch.ServiceID)
		if len(ch.Diff) == 0 {
			return apperr.Errorf(apperr.Invalid, "the draft changes nothing in the listing")
		}
		if err := d.insertChange(ctx, tx, ch); err != nil {
			return err
		}
		submitted.Detail = detail(map[string]any{"change": ch.ID, "kind": ch.Kind, "fields": len(ch.Diff)})
		if _, err := d.appendAudit(ctx, tx, submitted); err != nil {
			return err
		}
		if !publishNow {
			return nil
		}
		if err := d.publishChange(ctx, tx, &ch, cur, listing.UpdatedBy(email, ""), now); err != nil {
			return err
		}
		ch.Status, ch.ReviewedAt = listing.StatusPublished, now
		if err := d.updateChange(ctx, tx, ch); err != nil {
			return err
		}
		published := submitted
		published.Action = audit.ListingPublished
		_, err = d.appendAudit(ctx, tx, published)
		return err
	})
	if err != nil {
		return listing.Change{}, err
	}
	return ch, nil
}

// ApproveListingChange publishes the pending change id on behalf of the
// reviewer reviewerID, with an optional note, in one transaction: it checks
// that the stored listing is still the one the draft was made from,
// validates the draft again against the directory as it is now, writes it
// (see listing.Plan) with HSDS metadata rows naming the submitter and the
// reviewer, marks the change approved and appends ev with action
// listing.approved (record type "service", the service's id, and OrgID
// the change's organisation unless set).
//
// It returns a NotFound error for an unknown change; a Conflict error if
// the change is no longer pending or its listing has changed since it was
// submitted (the provider must submit again); a Forbidden error if the
// reviewer submitted it, or the draft now reaches beyond the
// organisation's records; an Invalid error naming the field for a draft
// that no longer validates or an unknown reviewer. On any error nothing is
// written.
func (d *DB) ApproveListingChange(ctx context.Context, id, reviewerID, note string, ev audit.Event) error {
	return d.review(ctx, id, reviewerID, note, listing.StatusApproved, ev)
}

// RejectListingChange marks the pending change id rejected by reviewerID,
// with a note saying why (required), leaving the directory as it is, and
// appends ev with action listing.rejected. It returns a NotFound error for
// an unknown change, a Conflict error if it is no longer pending, or an
// Invalid error naming the field (review_note, reviewed_by).
func (d *DB) RejectListingChange(ctx context.Context, id, reviewerID, note string, ev audit.Event) error {
	if strings.TrimSpace(note) == "" {
		return apperr.Field("review_note", "say why the change is rejected")
	}
	return d.review(ctx, id, reviewerID, note, listing.StatusRejected, ev)
}

// WithdrawListingChange marks the pending change id withdrawn (the
// submitter, or another member of the organisation, took it back; the
// caller checks who may) and appends ev with action listing.changed and
// the new status in its detail. It returns a NotFound error for an unknown
// change or a Conflict error if it is no longer pending.
func (d *DB) WithdrawListingChange(ctx context.Context, id string, ev audit.Event) error {
	return d.review(ctx, id, "", "", listing.StatusWithdrawn, ev)
}

// review moves a pending change to status to.
func (d *DB) review(ctx context.Context, id, reviewerID, note string, to listing.Status, ev audit.Event) error {
	if err := listing.CheckNote("review_note", note); err != nil {
		return err
	}
	now := d.Now().UTC().Truncate(time.Microsecond)
	action := map[listing.Status]audit.Action{
		listing.StatusApproved:  audit.ListingApproved,
		listing.StatusRejected:  audit.ListingRejected,
		listing.StatusWithdrawn: audit.ListingChanged,
	}[to]
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := d.dialect.lock(ctx, tx, directoryLock); err != nil {
			return err
		}
		ch, err := listingChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if ch.Status != listing.StatusPending {
			return apperr.Errorf(apperr.Conflict, "this change is already %s", ch.Status)
		}
		e, err := listingEvent(ev, action, &ch, now, map[string]any{"change": ch.ID, "status": to})
		if err != nil {
			return err
		}
		if to != listing.StatusWithdrawn {
			if _, err := userEmailTx(ctx, tx, reviewerID, "reviewed_by"); err != nil {
				return err
			}
			ch.ReviewedBy = reviewerID
		}
		if to == listing.StatusApproved {
			if err := d.approve(ctx, tx, &ch, reviewerID, now); err != nil {
				return err
			}
			e.Detail = detail(map[string]any{"change": ch.ID, "status": to, "fields": len(ch.Diff)})
		}
		ch.Status, ch.ReviewedAt, ch.ReviewNote = to, now, note
		if err := d.updateChange(ctx, tx, ch); err != nil {
			return err
		}
		_, err = d.appendAudit(ctx, tx, e)
		return err
	})
}

// approve checks and publishes a pending change within tx.
func (d *DB) approve(ctx context.Context, tx *sql.Tx, ch *listing.Change, reviewerID string, now time.Time) error {
	if reviewerID == ch.SubmittedBy {
		return apperr.Errorf(apperr.Forbidden, "a change must be approved by someone other than the person who submitted it")
	}
	reviewer, err := userEmailTx(ctx, tx, reviewerID, "reviewed_by")
	if err != nil {
		return err
	}
	submitter, err := userEmailTx(ctx, tx, ch.SubmittedBy, "submitted_by")
	if err != nil {
		return err
	}
	org, err := organisationTx(ctx, tx, ch.OrgID)
	if err != nil {
		return err
	}
	cur, err := loadListing(ctx, tx, ch.Draft)
	if err != nil {
		return err
	}
	if listing.Fingerprint(cur, ch.Draft) != ch.Base {
		return apperr.Errorf(apperr.Conflict, "the listing has changed since this change was submitted; the provider needs to make the change again")
	}
	if err := listing.Validate(ch.Draft, org.HSDSOrganizationID, cur); err != nil {
		return err
	}
	return d.publishChange(ctx, tx, ch, cur, listing.UpdatedBy(submitter, reviewer), now)
}

// publishChange writes ch's draft over cur, what loadListing read of the
// stored directory in tx under directoryLock: the records, deletions and metadata rows of
// listing.Plan, the link from each metadata row to the service and the
// change, and an import run. It sets ch.Diff to what was written.
func (d *DB) publishChange(ctx context.Context, tx *sql.Tx, ch *listing.Change, cur *directory.Dataset, by string, now time.Time) error {
	pub := listing.Plan(ch.Draft, cur, now)
	meta := listing.Metadata(pub.Changes, formatTime(now), by)
	src := ImportSource{Name: "listing change " + ch.ID, Format: "listing", UpdatedBy: by}
	if _, err := d.importTx(ctx, tx, pub.Upserts, src, directory.Validate,
		importOptions{old: cur, deletes: pub.Removed, meta: meta}); err != nil {
		return err
	}
	if err := d.linkMetadata(ctx, tx, meta, ch.ServiceID, ch.ID); err != nil {
		return err
	}
	ch.Diff = pub.Changes
	return nil
}

// loadListing reads, within tx, the part of the stored directory that the
// listing functions need to check and publish draft d, rather than the
// whole directory (which takes seconds at 50,000 services, all the while
// holding the write lock): every taxonomy and term; the draft's
// organization and programme; its service and the records under it; the
// locations the draft or the stored service link to, the records under
// them, their service-at-locations and those services (to tell who owns a
// location); every stored record whose id the draft uses; and the
// attributes of all of these.
func loadListing(ctx context.Context, tx *sql.Tx, d listing.Draft) (*directory.Dataset, error) {
	ds := &directory.Dataset{}
	l := &listingLoader{ctx: ctx, tx: tx, ds: ds, in: interner{}, have: map[string]map[string]bool{}}
	draft := d.Dataset
	if draft == nil {
		draft = &directory.Dataset{}
	}
	mine := map[string][]string{}
	for _, t := range directory.Tables {
		for i := range t.Len(draft) {
			mine[t.Name] = append(mine[t.Name], t.ID(draft, i))
		}
	}
	svc := d.ServiceID()
	var orgs, progs []string
	for _, s := range draft.Services {
		orgs, progs = append(orgs, s.OrganizationID), append(progs, s.ProgramID)
	}
	l.loadAll("taxonomy")
	l.loadAll("taxonomy_term")
	l.load("service", where{}.eq("id", svc).in("id", mine["service"]))
	for _, s := range ds.Services {
		orgs, progs = append(orgs, s.OrganizationID), append(progs, s.ProgramID)
	}
	l.load("organization", where{}.in("id", orgs))
	l.load("program", where{}.in("id", progs))
	l.load("service_at_location", where{}.eq("service_id", svc).in("id", mine["service_at_location"]))
	locs := slices.Clone(mine["location"])
	for _, s := range draft.ServiceAtLocations {
		locs = append(locs, s.LocationID)
	}
	for _, s := range ds.ServiceAtLocations {
		locs = append(locs, s.LocationID)
	}
	l.load("location", where{}.in("id", locs))
	l.load("service_at_location", where{}.in("location_id", locs))
	var svcs, sals []string
	for _, s := range ds.ServiceAtLocations {
		svcs = append(svcs, s.ServiceID)
		if s.ServiceID == svc {
			sals = append(sals, s.ID)
		}
	}
	l.load("service", where{}.in("id", svcs))
	under := func(table string) where {
		w := where{}.in("id", mine[table])
		t := directory.TableNamed(table)
		if slices.Contains(t.Columns, "service_id") {
			w = w.eq("service_id", svc)
		}
		if slices.Contains(t.Columns, "location_id") {
			w = w.in("location_id", locs)
		}
		if slices.Contains(t.Columns, "service_at_location_id") {
			w = w.in("service_at_location_id", sals)
		}
		return w
	}
	for _, table := range []string{"address", "accessibility", "contact", "schedule", "service_area", "cost_option", "funding", "required_document"} {
		l.load(table, under(table))
	}
	l.load("phone", under("phone").in("contact_id", l.ids("contact")))
	l.load("language", under("language").in("phone_id", l.ids("phone")))
	var linked []string
	for _, t := range directory.Tables {
		linked = append(linked, l.ids(t.Name)...)
	}
	l.load("attribute", where{}.in("id", mine["attribute"]).in("link_id", linked))
	if l.err != nil {
		return nil, l.err
	}
	return ds, nil
}

// where is an OR of conditions on one table, with their arguments.
type where struct {
	conds []string
	args  []any
}

// eq adds col = v, unless v is empty.
func (w where) eq(col, v string) where {
	if v == "" {
		return w
	}
	w.args = append(slices.Clip(w.args), v)
	w.conds = append(slices.Clip(w.conds), fmt.Sprintf("%s = $%d", col, len(w.args)))
	return w
}

// in adds col IN (vals), leaving out empty values, unless none are left.
func (w where) in(col string, vals []string) where {
	var ps []string
	for _, v := range vals {
		if v == "" {
			continue
		}
		w.args = append(slices.Clip(w.args), v)
		ps = append(ps, fmt.Sprintf("$%d", len(w.args)))
	}
	if len(ps) > 0 {
		w.conds = append(slices.Clip(w.conds), col+" IN ("+strings.Join(ps, ", ")+")")
	}
	return w
}

// listingLoader reads rows into one dataset, each row once, keeping the
// first error.
type listingLoader struct {
	ctx  context.Context
	tx   *sql.Tx
	ds   *directory.Dataset
	in   interner
	have map[string]map[string]bool
	err  error
}

// load adds the rows of table matching w that the dataset does not hold
// yet. A where with no conditions matches nothing.
func (l *listingLoader) load(table string, w where) {
	if len(w.conds) > 0 {
		l.query(table, ` WHERE `+strings.Join(w.conds, ` OR `), w.args)
	}
}

// loadAll adds every row of table.
func (l *listingLoader) loadAll(table string) { l.query(table, ``, nil) }

func (l *listingLoader) query(table, where string, args []any) {
	if l.err != nil {
		return
	}
	t := directory.TableNamed(table)
	q := `/* loadListing */ SELECT ` + strings.Join(t.Columns, ", ") + ` FROM ` + t.Name + where + ` ORDER BY id`
	rows, err := l.tx.QueryContext(l.ctx, q, args...)
	if err != nil {
		l.err = fmt.Errorf("store: load %s: %w", table, err)
		return
	}
	defer rows.Close()
	have := l.have[table]
	if have == nil {
		have = map[string]bool{}
		l.have[table] = have
	}
	app := t.NewAppender(l.ds, t.Columns)
	vals := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			l.err = fmt.Errorf("store: load %s: %w", table, err)
			return
		}
		for i, v := range vals {
			vals[i] = l.in.value(v)
		}
		id, _ := vals[0].(string)
		if have[id] {
			continue
		}
		have[id] = true
		if err := app.AppendValues(vals); err != nil {
			l.err = fmt.Errorf("store: load %s: %w", table, err)
			return
		}
	}
	if err := rows.Err(); err != nil {
		l.err = fmt.Errorf("store: load %s: %w", table, err)
	}
}

// ids returns the ids loaded of table.
func (l *listingLoader) ids(table string) []string {
	out := make([]string, 0, len(l.have[table]))
	for id := range l.have[table] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// linkMetadata records which service (and change, if any) each metadata
// row belongs to.
func (d *DB) linkMetadata(ctx context.Context, tx *sql.Tx, meta []directory.Metadata, serviceID, changeID string) error {
	return d.upsertGeneric(ctx, tx, "listing_metadata", []string{"metadata_id", "service_id", "change_id"}, 1, len(meta),
		func(i int) []any { return []any{meta[i].ID, serviceID, nullString(changeID)} })
}

func (d *DB) insertChange(ctx context.Context, tx *sql.Tx, ch listing.Change) error {
	draft, err := json.Marshal(ch.Draft)
	if err != nil {
		return fmt.Errorf("store: encode draft: %w", err)
	}
	diff, err := json.Marshal(ch.Diff)
	if err != nil {
		return fmt.Errorf("store: encode diff: %w", err)
	}
	_, err = tx.ExecContext(ctx, `/* insertChange */ INSERT INTO listing_change
(id, org_id, hsds_organization_id, service_id, kind, base, draft, diff, note, status, submitted_by, submitted_at, review_note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '')`,
		ch.ID, ch.OrgID, ch.HSDSOrganizationID, ch.ServiceID, string(ch.Kind), ch.Base, string(draft), string(diff),
		ch.Note, string(ch.Status), ch.SubmittedBy, formatTime(ch.SubmittedAt))
	if err != nil {
		err = d.dialect.translate(err)
		if errors.Is(err, apperr.Conflict) {
			return &conflictError{msg: "a change to this service is already awaiting review; withdraw it before submitting another"}
		}
		return fmt.Errorf("store: submit listing change: %w", err)
	}
	return nil
}

// updateChange writes the review fields and the diff of ch.
func (d *DB) updateChange(ctx context.Context, tx *sql.Tx, ch listing.Change) error {
	diff, err := json.Marshal(ch.Diff)
	if err != nil {
		return fmt.Errorf("store: encode diff: %w", err)
	}
	var reviewedAt any
	if !ch.ReviewedAt.IsZero() {
		reviewedAt = formatTime(ch.ReviewedAt)
	}
	_, err = tx.ExecContext(ctx, `/* updateChange */ UPDATE listing_change
SET status = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4, diff = $5 WHERE id = $6`,
		string(ch.Status), nullString(ch.ReviewedBy), reviewedAt, ch.ReviewNote, string(diff), ch.ID)
	if err != nil {
		return fmt.Errorf("store: update listing change: %w", d.dialect.translate(err))
	}
	return nil
}

// ListingChange returns the change with id, or a NotFound error.
func (d *DB) ListingChange(ctx context.Context, id string) (listing.Change, error) {
	return listingChange(ctx, d.db, id)
}

func listingChange(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (listing.Change, error) {
	row := q.QueryRowContext(ctx, `/* ListingChange */ SELECT `+listingColumns+` FROM listing_change WHERE id = $1`, id)
	ch, err := scanChange(row)
	if err != nil {
		return listing.Change{}, fmt.Errorf("store: listing change %s: %w", id, notFound(err, "listing change"))
	}
	return ch, nil
}

// ListingChanges returns the changes matching f, newest submission first
// unless f.OldestFirst.
func (d *DB) ListingChanges(ctx context.Context, f ListingFilter) ([]listing.Change, error) {
	var w filter
	if f.Status != "" {
		w.add("status = $%d", string(f.Status))
	}
	if f.OrgID != "" {
		w.add("org_id = $%d", f.OrgID)
	}
	if f.ServiceID != "" {
		w.add("service_id = $%d", f.ServiceID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListingLimit
	}
	order := `DESC`
	if f.OldestFirst {
		order = `ASC`
	}
	q := `/* ListingChanges */ SELECT ` + listingColumns + ` FROM listing_change` + w.where() + ` ORDER BY submitted_at ` + order + `, id` + w.limit(limit)
	return queryAll(ctx, d.db, "listing changes", q, scanChange, w.args...)
}

func scanChange(s scanner) (listing.Change, error) {
	var (
		ch                                        listing.Change
		kind, draft, diff, status, at, reviewedAt string
	)
	if err := s.Scan(&ch.ID, &ch.OrgID, &ch.HSDSOrganizationID, &ch.ServiceID, &kind, &ch.Base, &draft, &diff,
		&ch.Note, &status, &ch.SubmittedBy, &at, &ch.ReviewedBy, &reviewedAt, &ch.ReviewNote); err != nil {
		return listing.Change{}, err
	}
	ch.Kind, ch.Status = listing.Kind(kind), listing.Status(status)
	if err := json.Unmarshal([]byte(draft), &ch.Draft); err != nil {
		return listing.Change{}, fmt.Errorf("change %s: %w", ch.ID, err)
	}
	if err := json.Unmarshal([]byte(diff), &ch.Diff); err != nil {
		return listing.Change{}, fmt.Errorf("change %s: diff: %w", ch.ID, err)
	}
	var err error
	if ch.SubmittedAt, err = parseTime(at); err != nil {
		return listing.Change{}, err
	}
	if reviewedAt != "" {
		if ch.ReviewedAt, err = parseTime(reviewedAt); err != nil {
			return listing.Change{}, err
		}
	}
	return ch, nil
}

// ServiceHistory returns the versions of service serviceID's listing,
// newest first (see listing.History): its own HSDS metadata rows (from
// imports, published changes and assurances) and those that published
// changes and assurances wrote for the records under it, including records
// since deleted. A service with no history gives none and no error.
func (d *DB) ServiceHistory(ctx context.Context, serviceID string) ([]listing.HistoryEntry, error) {
	const cols = `m.id, COALESCE(m.resource_id, ''), COALESCE(m.resource_type, ''), COALESCE(m.last_action_date, ''),
COALESCE(m.last_action_type, ''), COALESCE(m.field_name, ''), COALESCE(m.previous_value, ''),
COALESCE(m.replacement_value, ''), COALESCE(m.updated_by, ''), COALESCE(lm.change_id, '')`
	rows, err := d.db.QueryContext(ctx, `/* ServiceHistory */ SELECT `+cols+`
FROM metadata m LEFT JOIN listing_metadata lm ON lm.metadata_id = m.id WHERE m.resource_id = $1
UNION
SELECT `+cols+` FROM listing_metadata lm JOIN metadata m ON m.id = lm.metadata_id WHERE lm.service_id = $1`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("store: service history: %w", err)
	}
	defer rows.Close()
	var (
		meta     []directory.Metadata
		changeOf = map[string]string{}
	)
	for rows.Next() {
		var (
			m      directory.Metadata
			change string
		)
		if err := rows.Scan(&m.ID, &m.ResourceID, &m.ResourceType, &m.LastActionDate, &m.LastActionType, &m.FieldName,
			&m.PreviousValue, &m.ReplacementValue, &m.UpdatedBy, &change); err != nil {
			return nil, fmt.Errorf("store: service history: %w", err)
		}
		if change != "" {
			changeOf[m.ID] = change
		}
		meta = append(meta, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: service history: %w", err)
	}
	// Metadata rows have no order of their own; list each version's rows
	// as a diff lists them: by table, record, then column.
	rank := map[string]int{}
	colRank := map[string]int{}
	for i, t := range directory.Tables {
		rank[t.Name] = i
		for c, col := range t.Columns {
			colRank[t.Name+"."+col] = c
		}
	}
	slices.SortStableFunc(meta, func(a, b directory.Metadata) int {
		if c := rank[a.ResourceType] - rank[b.ResourceType]; c != 0 {
			return c
		}
		if c := strings.Compare(a.ResourceID, b.ResourceID); c != 0 {
			return c
		}
		if c := colRank[a.ResourceType+"."+a.FieldName] - colRank[b.ResourceType+"."+b.FieldName]; c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return listing.History(meta, changeOf), nil
}

// AssureService records that assurerEmail confirmed service serviceID's
// listing is correct on the date of at (in at's location): it sets the
// service's assured_date and assurer_email, adds HSDS metadata rows (action
// "assure") naming the assurer, records an import run so DirectoryVersion
// moves and the in-memory index reloads, and appends ev with action
// listing.assured (record type "service", the service's id), all in one
// transaction. It returns a NotFound error for an unknown service or an
// Invalid error naming assurer_email.
func (d *DB) AssureService(ctx context.Context, serviceID, assurerEmail string, at time.Time, ev audit.Event) error {
	email, err := account.NormalizeEmail(assurerEmail)
	if err != nil {
		return apperr.Field("assurer_email", "%q is not an email address", assurerEmail)
	}
	if at.IsZero() {
		return apperr.Field("assured_date", "is required")
	}
	date := at.Format(time.DateOnly)
	now := d.Now().UTC().Truncate(time.Microsecond)
	ev.Action, ev.RecordType, ev.RecordID = audit.ListingAssured, "service", serviceID
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.Detail = detail(map[string]any{"assured_date": date})
	if err := ev.Validate(); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if err := d.dialect.lock(ctx, tx, directoryLock); err != nil {
			return err
		}
		var before, beforeBy string
		err := tx.QueryRowContext(ctx, `/* AssureService */ SELECT COALESCE(assured_date, ''), COALESCE(assurer_email, '')
FROM service WHERE id = $1`, serviceID).Scan(&before, &beforeBy)
		if err != nil {
			return fmt.Errorf("store: assure service %s: %w", serviceID, notFound(err, "service"))
		}
		if _, err := tx.ExecContext(ctx, `/* AssureService */ UPDATE service SET assured_date = $1, assurer_email = $2 WHERE id = $3`,
			date, email, serviceID); err != nil {
			return fmt.Errorf("store: assure service %s: %w", serviceID, err)
		}
		changes := []listing.FieldChange{{Record: "service", RecordID: serviceID, Action: listing.ActionAssure,
			Field: "assured_date", Before: before, After: date}}
		if beforeBy != email {
			changes = append(changes, listing.FieldChange{Record: "service", RecordID: serviceID, Action: listing.ActionAssure,
				Field: "assurer_email", Before: beforeBy, After: email})
		}
		meta := listing.Metadata(changes, formatTime(now), email)
		mt := directory.TableNamed("metadata")
		md := &directory.Dataset{Metadata: meta}
		if err := d.upsertGeneric(ctx, tx, mt.Name, mt.Columns, 1, len(meta), func(i int) []any { return mt.Values(md, i) }); err != nil {
			return err
		}
		if err := d.linkMetadata(ctx, tx, meta, serviceID, ""); err != nil {
			return err
		}
		res := ImportResult{Updated: 1, Inserted: len(meta)}
		if err := d.recordRun(ctx, tx, now, ImportSource{Name: "assurance of service " + serviceID, Format: "listing", UpdatedBy: email}, res); err != nil {
			return err
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
}

// ChangesSince returns the services created or changed at or after since,
// newest first, as HSDS metadata rows tell it: rows about a service itself
// (from imports and published changes) and rows that published changes
// wrote for records under it. Assurances are not changes. A service
// created in the period has action "create", any other "update".
func (d *DB) ChangesSince(ctx context.Context, since time.Time) ([]listing.ServiceChange, error) {
	// Stored dates are text in more than one form (the store's own, or an
	// imported file's), so the query filters loosely by day and Go filters
	// exactly.
	day := since.UTC().Format(time.DateOnly)
	rows, err := d.db.QueryContext(ctx, `/* ChangesSince */
SELECT m.resource_id, COALESCE(m.last_action_type, ''), m.last_action_date FROM metadata m
WHERE m.resource_type = 'service' AND m.last_action_date >= $1 AND m.resource_id IS NOT NULL
  AND COALESCE(m.last_action_type, '') <> $2
UNION ALL
SELECT lm.service_id, '', m.last_action_date FROM listing_metadata lm JOIN metadata m ON m.id = lm.metadata_id
WHERE m.last_action_date >= $1 AND COALESCE(m.last_action_type, '') <> $2`, day, listing.ActionAssure)
	if err != nil {
		return nil, fmt.Errorf("store: changes since: %w", err)
	}
	defer rows.Close()
	by := map[string]*listing.ServiceChange{}
	for rows.Next() {
		var id, action, date string
		if err := rows.Scan(&id, &action, &date); err != nil {
			return nil, fmt.Errorf("store: changes since: %w", err)
		}
		at, ok := listing.ParseDate(date)
		if !ok || at.Before(since) {
			continue
		}
		c := by[id]
		if c == nil {
			c = &listing.ServiceChange{ServiceID: id, Action: listing.ActionUpdate}
			by[id] = c
		}
		if at.After(c.At) {
			c.At = at
		}
		if action == listing.ActionCreate {
			c.Action = listing.ActionCreate
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: changes since: %w", err)
	}
	out := make([]listing.ServiceChange, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	listing.SortServiceChanges(out)
	return out, nil
}

// Subscribe validates s and stores it as a new subscription of s.UserID,
// appending ev with action subscription.changed (record type
// "subscription") in the same transaction. It returns the stored
// subscription, an Invalid error naming the field (including an unknown
// user), or a Conflict error if the user already has the same one.
func (d *DB) Subscribe(ctx context.Context, s listing.Subscription, ev audit.Event) (listing.Subscription, error) {
	if err := s.Validate(); err != nil {
		return listing.Subscription{}, err
	}
	if s.UserID == "" {
		return listing.Subscription{}, apperr.Field("user_id", "is required")
	}
	s.ID = directory.NewUUID()
	s.CreatedAt = d.Now().UTC().Truncate(time.Microsecond)
	ev.Action, ev.RecordType, ev.RecordID = audit.SubscriptionChanged, "subscription", s.ID
	if ev.At.IsZero() {
		ev.At = s.CreatedAt
	}
	ev.Detail = detail(map[string]any{"subscribed": true, "area_code": s.AreaCode, "service_type_id": s.ServiceTypeID})
	if err := ev.Validate(); err != nil {
		return listing.Subscription{}, err
	}
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := userEmailTx(ctx, tx, s.UserID, "user_id"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `/* Subscribe */ INSERT INTO subscription (id, user_id, area_code, service_type_id, created_at)
VALUES ($1, $2, $3, $4, $5)`, s.ID, s.UserID, s.AreaCode, s.ServiceTypeID, formatTime(s.CreatedAt))
		if err != nil {
			err = d.dialect.translate(err)
			if errors.Is(err, apperr.Conflict) {
				return &conflictError{msg: "you already have this subscription"}
			}
			return fmt.Errorf("store: subscribe: %w", err)
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	if err != nil {
		return listing.Subscription{}, err
	}
	return s, nil
}

// Unsubscribe deletes subscription id of user userID and appends ev with
// action subscription.changed, in one transaction. It returns a NotFound
// error if the user has no such subscription.
func (d *DB) Unsubscribe(ctx context.Context, userID, id string, ev audit.Event) error {
	ev.Action, ev.RecordType, ev.RecordID = audit.SubscriptionChanged, "subscription", id
	if ev.At.IsZero() {
		ev.At = d.Now()
	}
	ev.Detail = detail(map[string]any{"subscribed": false})
	if err := ev.Validate(); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `/* Unsubscribe */ DELETE FROM subscription WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return fmt.Errorf("store: unsubscribe: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: unsubscribe: %w", err)
		} else if n == 0 {
			return apperr.Errorf(apperr.NotFound, "subscription not found")
		}
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
}

// SubscriptionsOf returns the subscriptions of user userID, oldest first.
func (d *DB) SubscriptionsOf(ctx context.Context, userID string) ([]listing.Subscription, error) {
	return d.subscriptions(ctx, `WHERE user_id = $1`, userID)
}

// AllSubscriptions returns every subscription, by user then age, for
// building digests.
func (d *DB) AllSubscriptions(ctx context.Context) ([]listing.Subscription, error) {
	return d.subscriptions(ctx, ``)
}

func (d *DB) subscriptions(ctx context.Context, where string, args ...any) ([]listing.Subscription, error) {
	rows, err := d.db.QueryContext(ctx, `/* subscriptions */ SELECT id, user_id, area_code, service_type_id, created_at
FROM subscription `+where+` ORDER BY user_id, created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []listing.Subscription
	for rows.Next() {
		var (
			s  listing.Subscription
			at string
		)
		if err := rows.Scan(&s.ID, &s.UserID, &s.AreaCode, &s.ServiceTypeID, &at); err != nil {
			return nil, fmt.Errorf("store: subscriptions: %w", err)
		}
		if s.CreatedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	return out, nil
}

// LastDigest returns when user userID was last sent a digest, or the zero
// time if never.
func (d *DB) LastDigest(ctx context.Context, userID string) (time.Time, error) {
	var at string
	err := d.db.QueryRowContext(ctx, `/* LastDigest */ SELECT last_digest_at FROM digest_state WHERE user_id = $1`, userID).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("store: last digest: %w", err)
	}
	return parseTime(at)
}

// listingEvent fills in ev for an action on change ch and validates it.
func listingEvent(ev audit.Event, action audit.Action, ch *listing.Change, now time.Time, det map[string]any) (audit.Event, error) {
	ev.Action, ev.RecordType, ev.RecordID = action, "service", ch.ServiceID
	if ev.OrgID == "" {
		ev.OrgID = ch.OrgID
	}
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.Detail = detail(det)
	if err := ev.Validate(); err != nil {
		return audit.Event{}, err
	}
	return ev, nil
}

// detail encodes an audit detail object. Callers put only ids, codes and
// counts in it, never personal data.
func detail(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // maps of strings, numbers and booleans always encode
	}
	return string(b)
}

// organisationTx returns the account organisation id, or an Invalid error
// naming org_id if there is none.
func organisationTx(ctx context.Context, tx *sql.Tx, id string) (account.Organisation, error) {
	row := tx.QueryRowContext(ctx, `/* organisationTx */ SELECT `+organisationColumns+` FROM organisation WHERE id = $1`, id)
	o, err := scanOrganisation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return account.Organisation{}, apperr.Field("org_id", "organisation %s does not exist", id)
	}
	if err != nil {
		return account.Organisation{}, fmt.Errorf("store: organisation %s: %w", id, err)
	}
	return o, nil
}

// userEmailTx returns the address of user id, or an Invalid error naming
// field if there is no such user.
func userEmailTx(ctx context.Context, tx *sql.Tx, id, field string) (string, error) {
	var email string
	err := tx.QueryRowContext(ctx, `/* userEmailTx */ SELECT email FROM app_user WHERE id = $1`, id).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.Field(field, "user %s does not exist", id)
	}
	if err != nil {
		return "", fmt.Errorf("store: user %s: %w", id, err)
	}
	return email, nil
}
