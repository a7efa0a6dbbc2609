package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"throughcare/internal/directory"
)

// LoadDirectory reads the whole directory into memory, every table ordered
// by id. The directory is small and read-mostly, so the read API and search
// serve from this copy (see directory.Index).
func (d *DB) LoadDirectory(ctx context.Context) (*directory.Dataset, error) {
	var ds *directory.Dataset
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		ds, err = loadDirectory(ctx, tx)
		return err
	})
	return ds, err
}

func loadDirectory(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (*directory.Dataset, error) {
	ds := &directory.Dataset{}
	in := interner{}
	for _, t := range directory.Tables {
		if err := loadTable(ctx, q, t, ds, in); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

func loadTable(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, t *directory.Table, ds *directory.Dataset, in interner) error {
	rows, err := q.QueryContext(ctx, `/* loadTable */ SELECT `+strings.Join(t.Columns, ", ")+` FROM `+t.Name+` ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: load %s: %w", t.Name, err)
	}
	defer rows.Close()
	app := t.NewAppender(ds, t.Columns)
	vals := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("store: load %s: %w", t.Name, err)
		}
		for i, v := range vals {
			vals[i] = in.value(v)
		}
		if err := app.AppendValues(vals); err != nil {
			return fmt.Errorf("store: load %s: %w", t.Name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: load %s: %w", t.Name, err)
	}
	return nil
}

// interner shares one copy of each short string value across a load. A
// directory repeats the same ids (a service's, an organisation's, a
// taxonomy term's), codes and words ("active", "physical", "GB") in many
// rows; sharing them keeps the in-memory directory far smaller.
type interner map[string]string

// maxInterned bounds the strings worth sharing: UUIDs and short codes, not
// descriptions.
const maxInterned = 40

func (in interner) value(v any) any {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		if len(v) > maxInterned {
			return string(v)
		}
		if have, ok := in[string(v)]; ok {
			return have
		}
		s = string(v)
	default:
		return v
	}
	if len(s) > maxInterned {
		return s
	}
	if have, ok := in[s]; ok {
		return have
	}
	in[s] = s
	return s
}

// ImportSource says where imported data came from, for provenance.
type ImportSource struct {
	Name      string // file name or feed URL
	Format    string // "hsds-json", "oruk-v1", "csv", …
	UpdatedBy string // who ran it: "import", "demo", a user's email
}

// ImportResult counts what an import changed, per table and in all.
type ImportResult struct {
	Inserted, Updated, Deleted, Unchanged int
	ByTable                               map[string]TableCount
}

// TableCount counts the changes to one table.
type TableCount struct{ Inserted, Updated, Deleted, Unchanged int }

// Changed reports whether the import changed anything.
func (r ImportResult) Changed() bool { return r.Inserted+r.Updated+r.Deleted > 0 }

// ImportDataset writes a dataset into the directory in one transaction:
// records are matched by id and inserted or updated (so importing the same
// data twice leaves one copy and changes nothing the second time); for each
// imported service, its own child records (phones, schedules, areas,
// languages, funding, costs, documents, contacts, service-at-locations and
// attributes) that the import no longer lists are deleted. Every inserted or
// changed service and organisation gets HSDS metadata rows naming the
// source. validate is called with the incoming data and a lookup of the
// records already stored, before anything is written; if it, or any write,
// fails, nothing changes.
func (d *DB) ImportDataset(ctx context.Context, in *directory.Dataset, src ImportSource, validate func(in *directory.Dataset, known func(table, id string) bool) error) (ImportResult, error) {
	var res ImportResult
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		if err := d.dialect.lock(ctx, tx, directoryLock); err != nil {
			return err
		}
		var err error
		res, err = d.importTx(ctx, tx, in, src, validate, importOptions{})
		return err
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// importOptions adapts importTx for writers other than a file import.
type importOptions struct {
	// old, if not nil, is the whole stored directory, already read in this
	// transaction; importTx then reads nothing more.
	old *directory.Dataset
	// deletes lists further ids to delete, by table, besides the service
	// children the import no longer lists.
	deletes map[string][]string
	// meta, if not nil, replaces the provenance rows importTx would write.
	meta []directory.Metadata
}

// importTx is ImportDataset inside the caller's transaction, which must
// hold directoryLock. It records an import run, so DirectoryVersion moves.
func (d *DB) importTx(ctx context.Context, tx *sql.Tx, in *directory.Dataset, src ImportSource, validate func(in *directory.Dataset, known func(table, id string) bool) error, opt importOptions) (ImportResult, error) {
	res := ImportResult{ByTable: map[string]TableCount{}}
	started := d.Now()
	// Read only the stored tables the import can change: those it writes
	// to, and the children of any service it holds, which it may delete.
	// References into other tables are checked by id alone.
	old := opt.old
	loaded := map[string]bool{}
	if old == nil {
		old = &directory.Dataset{}
		in2 := interner{}
		for _, t := range directory.Tables {
			if t.Len(in) > 0 || (len(in.Services) > 0 && (serviceChildren[t.Name] != nil || t.Name == "attribute")) {
				if err := loadTable(ctx, tx, t, old, in2); err != nil {
					return ImportResult{}, err
				}
				loaded[t.Name] = true
			}
		}
	} else {
		for _, t := range directory.Tables {
			loaded[t.Name] = true
		}
	}
	oldRows := directory.Rows(old)
	if validate != nil {
		ids := map[string]map[string]bool{}
		var lookupErr error
		known := func(table, id string) bool {
			if loaded[table] {
				_, ok := oldRows[table][id]
				return ok
			}
			set, ok := ids[table]
			if !ok && directory.TableNamed(table) != nil {
				set, lookupErr = d.tableIDs(ctx, tx, table)
				ids[table] = set
			}
			return set[id]
		}
		if err := validate(in, known); err != nil {
			return ImportResult{}, err
		}
		if lookupErr != nil {
			return ImportResult{}, lookupErr
		}
	}
	plan := planImport(old, oldRows, in, src, formatTime(started), opt)
	for _, t := range directory.Tables {
		c := plan.counts[t.Name]
		res.ByTable[t.Name] = c
		res.Inserted += c.Inserted
		res.Updated += c.Updated
		res.Deleted += c.Deleted
		res.Unchanged += c.Unchanged
	}
	if err := d.applyPlan(ctx, tx, plan); err != nil {
		return ImportResult{}, err
	}
	if err := d.recordRun(ctx, tx, started, src, res); err != nil {
		return ImportResult{}, err
	}
	for name, c := range res.ByTable {
		if c == (TableCount{}) {
			delete(res.ByTable, name)
		}
	}
	return res, nil
}

// recordRun adds a row to import_run, which also moves DirectoryVersion on.
func (d *DB) recordRun(ctx context.Context, tx *sql.Tx, started time.Time, src ImportSource, res ImportResult) error {
	_, err := tx.ExecContext(ctx, `/* recordRun */ INSERT INTO import_run
(started_at, finished_at, source, format, updated_by, inserted, updated, deleted, unchanged)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		formatTime(started), formatTime(d.Now()), src.Name, src.Format, src.UpdatedBy,
		res.Inserted, res.Updated, res.Deleted, res.Unchanged)
	if err != nil {
		return fmt.Errorf("store: record import run: %w", err)
	}
	return nil
}

// tableIDs returns the ids stored in one directory table.
func (d *DB) tableIDs(ctx context.Context, tx *sql.Tx, table string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `/* tableIDs */ SELECT id FROM `+directory.TableNamed(table).Name)
	if err != nil {
		return nil, fmt.Errorf("store: ids of %s: %w", table, err)
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		set[id] = true
	}
	return set, rows.Err()
}

// importPlan is what an import will write, table by table.
type importPlan struct {
	in      *directory.Dataset
	upserts map[string][]int    // positions in `in` of rows to insert or update, by table
	meta    directory.Dataset   // provenance rows the import adds
	deletes map[string][]string // ids to delete, by table
	counts  map[string]TableCount
}

// serviceChildren lists, for each table a service owns rows of, how to find
// the service a row belongs to: the row's most specific parent must be the
// service itself (a phone of a contact belongs to the contact, not to the
// contact's service).
var serviceChildren = map[string]func(vals map[string]any) string{
	"phone":               ownedBy("service_id", "contact_id", "service_at_location_id"),
	"schedule":            ownedBy("service_id", "service_at_location_id"),
	"service_area":        ownedBy("service_id"),
	"language":            ownedBy("service_id", "phone_id"),
	"funding":             ownedBy("service_id"),
	"cost_option":         ownedBy("service_id"),
	"required_document":   ownedBy("service_id"),
	"contact":             ownedBy("service_id", "service_at_location_id"),
	"service_at_location": ownedBy("service_id"),
}

// ownedBy returns a function giving the value of col when none of the more
// specific parent columns is set, and "" otherwise.
func ownedBy(col string, moreSpecific ...string) func(map[string]any) string {
	return func(vals map[string]any) string {
		for _, c := range moreSpecific {
			if vals[c] != nil {
				return ""
			}
		}
		s, _ := vals[col].(string)
		return s
	}
}

func planImport(old *directory.Dataset, oldRows map[string]map[string]int, in *directory.Dataset, src ImportSource, now string, opt importOptions) *importPlan {
	p := &importPlan{in: in, upserts: map[string][]int{}, deletes: map[string][]string{}, counts: map[string]TableCount{}}
	inIDs := map[string]map[string]bool{}
	for _, t := range directory.Tables {
		ids := map[string]bool{}
		c := p.counts[t.Name]
		for i := range t.Len(in) {
			id := t.ID(in, i)
			ids[id] = true
			vals := t.Values(in, i)
			pos, exists := oldRows[t.Name][id]
			var prev []any
			if exists {
				prev = t.Values(old, pos)
			}
			switch {
			case !exists:
				c.Inserted++
			case slices.Equal(prev, vals):
				c.Unchanged++
				continue
			default:
				c.Updated++
			}
			p.upserts[t.Name] = append(p.upserts[t.Name], i)
			if opt.meta == nil && (t.Name == "service" || t.Name == "organization") {
				p.provenance(t, prev, vals, src, now)
			}
		}
		p.counts[t.Name] = c
		inIDs[t.Name] = ids
	}
	// Service-owned rows that the import no longer lists.
	services := inIDs["service"]
	for _, t := range directory.Tables {
		owner := serviceChildren[t.Name]
		if owner == nil {
			continue
		}
		cols := t.Columns
		c := p.counts[t.Name]
		for i := range t.Len(old) {
			id := t.ID(old, i)
			if inIDs[t.Name][id] {
				continue
			}
			vals := t.Values(old, i)
			named := make(map[string]any, len(cols))
			for j, col := range cols {
				named[col] = vals[j]
			}
			if s := owner(named); s != "" && services[s] {
				p.deletes[t.Name] = append(p.deletes[t.Name], id)
				c.Deleted++
			}
		}
		p.counts[t.Name] = c
	}
	// Attributes hang off any record by link_id; those of an imported
	// service that the import no longer lists go too.
	c := p.counts["attribute"]
	for _, a := range old.Attributes {
		if services[a.LinkID] && !inIDs["attribute"][a.ID] {
			p.deletes["attribute"] = append(p.deletes["attribute"], a.ID)
			c.Deleted++
		}
	}
	p.counts["attribute"] = c
	// Further deletions the caller asked for, of stored rows not already
	// going and not being written.
	for _, t := range directory.Tables {
		c := p.counts[t.Name]
		for _, id := range opt.deletes[t.Name] {
			if _, stored := oldRows[t.Name][id]; !stored || inIDs[t.Name][id] || slices.Contains(p.deletes[t.Name], id) {
				continue
			}
			p.deletes[t.Name] = append(p.deletes[t.Name], id)
			c.Deleted++
		}
		p.counts[t.Name] = c
	}
	if opt.meta != nil {
		p.meta.Metadata = opt.meta
		c := p.counts["metadata"]
		c.Inserted += len(opt.meta)
		p.counts["metadata"] = c
	}
	return p
}

// provenance adds HSDS metadata rows for an inserted (prev nil) or updated
// service or organisation: one row for a new record, one per changed field
// for an update.
func (p *importPlan) provenance(t *directory.Table, prev, vals []any, src ImportSource, now string) {
	by := src.UpdatedBy
	if src.Name != "" {
		by += " (" + src.Name + ")"
	}
	add := func(action, field, before, after string) {
		p.meta.Metadata = append(p.meta.Metadata, directory.Metadata{
			ID: directory.NewUUID(), ResourceID: vals[0].(string), ResourceType: t.Name,
			LastActionDate: now, LastActionType: action, FieldName: field,
			PreviousValue: before, ReplacementValue: after, UpdatedBy: by,
		})
		c := p.counts["metadata"]
		c.Inserted++
		p.counts["metadata"] = c
	}
	if prev == nil {
		add("create", "*", "", "")
		return
	}
	for i, col := range t.Columns {
		if valueText(prev[i]) != valueText(vals[i]) {
			add("update", col, valueText(prev[i]), valueText(vals[i]))
		}
	}
}

func valueText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// applyPlan deletes, then upserts in parent-first table order. References
// are checked at commit (the constraints are deferred).
func (d *DB) applyPlan(ctx context.Context, tx *sql.Tx, p *importPlan) error {
	for _, t := range slices.Backward(directory.Tables) {
		ids := p.deletes[t.Name]
		for chunk := range slices.Chunk(ids, 500) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			q := `DELETE FROM ` + t.Name + ` WHERE id IN ` + placeholders(1, len(chunk))
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: delete from %s: %w", t.Name, d.dialect.translate(err))
			}
		}
	}
	for _, t := range directory.Tables {
		pos := p.upserts[t.Name]
		err := d.upsertGeneric(ctx, tx, t.Name, t.Columns, 1, len(pos), func(i int) []any { return t.Values(p.in, pos[i]) })
		if err != nil {
			return err
		}
	}
	mt := directory.TableNamed("metadata")
	return d.upsertGeneric(ctx, tx, mt.Name, mt.Columns, 1, len(p.meta.Metadata), func(i int) []any { return mt.Values(&p.meta, i) })
}

// ImportRun is one recorded import.
type ImportRun struct {
	ID                                    int64
	StartedAt, FinishedAt                 string
	Source, Format, UpdatedBy             string
	Inserted, Updated, Deleted, Unchanged int
}

// ImportRuns returns the most recent imports, newest first.
func (d *DB) ImportRuns(ctx context.Context, limit int) ([]ImportRun, error) {
	rows, err := d.db.QueryContext(ctx, `/* ImportRuns */ SELECT id, started_at, finished_at, source, format, updated_by,
inserted, updated, deleted, unchanged FROM import_run ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: import runs: %w", err)
	}
	defer rows.Close()
	var out []ImportRun
	for rows.Next() {
		var r ImportRun
		if err := rows.Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &r.Source, &r.Format, &r.UpdatedBy,
			&r.Inserted, &r.Updated, &r.Deleted, &r.Unchanged); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DirectoryVersion returns a number that grows whenever a change to the
// directory commits (an import, a published listing change, an assurance:
// each records an import run), so a server can notice changes made by
// another process (such as `throughcare import`) and reload.
func (d *DB) DirectoryVersion(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := d.db.QueryRowContext(ctx, `/* DirectoryVersion */ SELECT max(id) FROM import_run`).Scan(&v)
	return v.Int64, err
}
