package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"throughcare/internal/audit"
)

// The audit log is the audit_event table. Rows are only appended (triggers
// on both engines refuse UPDATE and DELETE), each sealed with audit.Seal
// after the row before it, and the two hashes are stored as lower-case
// hexadecimal text so both engines hold them alike.

// AppendAudit validates ev, seals it after the last stored event and
// appends it in a transaction of its own. It returns the event as stored
// (with Seq and hashes), or an Invalid error naming the field. Changes that
// are audited append inside their own transaction instead.
func (d *DB) AppendAudit(ctx context.Context, ev audit.Event) (audit.Event, error) {
	if ev.At.IsZero() {
		ev.At = d.Now()
	}
	if err := ev.Validate(); err != nil {
		return audit.Event{}, err
	}
	var sealed audit.Event
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		sealed, err = d.appendAudit(ctx, tx, ev)
		return err
	})
	return sealed, err
}

// appendAudit reads the chain head within tx (after taking the audit lock),
// seals ev after it and inserts it. The caller validates ev.
func (d *DB) appendAudit(ctx context.Context, tx *sql.Tx, ev audit.Event) (audit.Event, error) {
	if err := d.dialect.lock(ctx, tx, auditLock); err != nil {
		return audit.Event{}, err
	}
	var (
		head    audit.Head
		hashHex string
	)
	err := tx.QueryRowContext(ctx, `/* appendAudit */ SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1`).Scan(&head.Seq, &hashHex)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return audit.Event{}, fmt.Errorf("store: read audit head: %w", err)
	default:
		if head.Hash, err = hex.DecodeString(hashHex); err != nil {
			return audit.Event{}, fmt.Errorf("store: audit event %d: stored hash: %w", head.Seq, err)
		}
	}
	e := audit.Seal(head, ev)
	_, err = tx.ExecContext(ctx, `/* appendAudit */
INSERT INTO audit_event (seq, at, actor_id, actor_role, action, record_type, record_id, org_id, ip, detail, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.Seq, formatTime(e.At), e.ActorID, e.ActorRole, string(e.Action), e.RecordType, e.RecordID, e.OrgID, e.IP, e.Detail,
		hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash))
	if err != nil {
		return audit.Event{}, fmt.Errorf("store: append audit event: %w", d.dialect.translate(err))
	}
	return e, nil
}

// AuditFilter selects audit events. Empty fields do not filter.
type AuditFilter struct {
	Action   audit.Action // exact action
	ActorID  string       // exact actor id
	RecordID string       // exact record id
	Since    time.Time    // events at or after this time
	Limit    int          // at most this many; 0 means 100
	// BeforeSeq keeps only events with a smaller Seq, for paging back
	// through the log: pass the Seq of the oldest event already shown.
	// Zero does not filter.
	BeforeSeq int64
}

// DefaultAuditLimit is how many events AuditEvents returns when the filter
// sets no Limit.
const DefaultAuditLimit = 100

const auditColumns = `seq, at, actor_id, actor_role, action, record_type, record_id, org_id, ip, detail, prev_hash, hash`

// AuditEvents returns the events matching f, newest first.
func (d *DB) AuditEvents(ctx context.Context, f AuditFilter) ([]audit.Event, error) {
	var w filter
	if f.Action != "" {
		w.add("action = $%d", string(f.Action))
	}
	if f.ActorID != "" {
		w.add("actor_id = $%d", f.ActorID)
	}
	if f.RecordID != "" {
		w.add("record_id = $%d", f.RecordID)
	}
	if !f.Since.IsZero() {
		w.add("at >= $%d", formatTime(f.Since))
	}
	if f.BeforeSeq > 0 {
		w.add("seq < $%d", f.BeforeSeq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	q := `/* AuditEvents */ SELECT ` + auditColumns + ` FROM audit_event` + w.where() + ` ORDER BY seq DESC` + w.limit(limit)
	return queryAll(ctx, d.db, "audit events", q, scanAuditEvent, w.args...)
}

func scanAuditEvent(rows scanner) (audit.Event, error) {
	var (
		e                  audit.Event
		at, action         string
		prevHex, hashHex   string
		prevErr, hashError error
	)
	if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.ActorRole, &action, &e.RecordType, &e.RecordID, &e.OrgID, &e.IP, &e.Detail, &prevHex, &hashHex); err != nil {
		return audit.Event{}, fmt.Errorf("store: audit events: %w", err)
	}
	e.Action = audit.Action(action)
	t, err := parseTime(at)
	if err != nil {
		return audit.Event{}, fmt.Errorf("store: audit event %d: %w", e.Seq, err)
	}
	e.At = t
	// A hash that is not hexadecimal is tampering too; keep what decodes so
	// the verifier reports the event rather than the read failing.
	e.PrevHash, prevErr = hex.DecodeString(prevHex)
	e.Hash, hashError = hex.DecodeString(hashHex)
	if prevErr != nil {
		e.PrevHash = []byte(prevHex)
	}
	if hashError != nil {
		e.Hash = []byte(hashHex)
	}
	return e, nil
}

// VerifyAudit reads the whole audit log in Seq order through an
// audit.Verifier. It returns 0 and a nil error for an intact log (an empty
// log is intact); for a broken one, the Seq where the chain breaks and the
// *audit.BreakError (which matches audit.ErrBroken). If reading fails it
// returns 0 and the error.
func (d *DB) VerifyAudit(ctx context.Context) (brokenAt int64, err error) {
	_, brokenAt, err = d.VerifyAuditHead(ctx)
	return brokenAt, err
}

// VerifyAuditHead is VerifyAudit that also returns the head of the chain
// checked: for an intact log its last event's Seq (the number of events)
// and Hash, which an operator may keep elsewhere to detect later truncation.
func (d *DB) VerifyAuditHead(ctx context.Context) (head audit.Head, brokenAt int64, err error) {
	rows, err := d.db.QueryContext(ctx, `/* VerifyAudit */ SELECT `+auditColumns+` FROM audit_event ORDER BY seq`)
	if err != nil {
		return audit.Head{}, 0, fmt.Errorf("store: verify audit log: %w", err)
	}
	defer rows.Close()
	v := audit.NewVerifier(audit.Head{})
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return audit.Head{}, 0, err
		}
		if err := v.Add(e); err != nil {
			if be, ok := errors.AsType[*audit.BreakError](err); ok {
				return v.Head(), be.Seq, err
			}
			return audit.Head{}, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return audit.Head{}, 0, fmt.Errorf("store: verify audit log: %w", err)
	}
	return v.Head(), 0, nil
}
