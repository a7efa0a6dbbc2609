package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"throughcare/internal/apperr"
)

// dialect holds every difference between the two engines. SQL elsewhere in
// the package is written once, with $1…$n placeholders numbered in the order
// they first appear, which both engines bind alike.
type dialect interface {
	name() string
	// maxParams is how many bind parameters one statement may carry.
	maxParams() int
	// lock serialises, within tx, the writers of one part of the database,
	// named by key (directoryLock, auditLock).
	lock(ctx context.Context, tx *sql.Tx, key int64) error
	// translate turns engine errors into apperr kinds where one fits.
	translate(err error) error
	// values returns the VALUES list for a multi-row insert.
	values(rows, cols int) string
}

type sqliteDialect struct{}

func (sqliteDialect) name() string   { return "sqlite" }
func (sqliteDialect) maxParams() int { return 32000 }

// SQLite transactions here begin IMMEDIATE, so the only write lock is
// already held.
func (sqliteDialect) lock(context.Context, *sql.Tx, int64) error { return nil }

func (sqliteDialect) translate(err error) error {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", apperr.Conflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: a reference points to a record that does not exist (%v)", apperr.Invalid, err)
		}
	}
	return err
}

type postgresDialect struct{}

func (postgresDialect) name() string   { return "postgres" }
func (postgresDialect) maxParams() int { return 65000 }

// Keys of the advisory locks that serialise writers on PostgreSQL;
// arbitrary constants, one per part of the database.
const (
	directoryLock int64 = 7301154
	auditLock     int64 = 7301155
)

// PostgreSQL takes a transaction-scoped advisory lock.
func (postgresDialect) lock(ctx context.Context, tx *sql.Tx, key int64) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	return nil
}

func (postgresDialect) translate(err error) error {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %s", apperr.Conflict, pe.Message)
		case "23503":
			return fmt.Errorf("%w: a reference points to a record that does not exist (%s)", apperr.Invalid, pe.Detail)
		}
	}
	return err
}

// SQLite resolves each $N parameter by a linear search through the names
// already seen, which makes a statement with thousands of them quadratic to
// prepare; anonymous ? parameters bind by position at no such cost. Only the
// generated multi-row inserts use them.
func (sqliteDialect) values(rows, cols int) string {
	return valuesList(rows, cols, func(*strings.Builder, int) {}, '?')
}

func (postgresDialect) values(rows, cols int) string { return placeholders(rows, cols) }

// placeholders returns "($1,$2,…),($n+1,…)" for rows × cols parameters.
func placeholders(rows, cols int) string {
	return valuesList(rows, cols, func(b *strings.Builder, n int) { b.WriteString(strconv.Itoa(n)) }, '$')
}

// valuesList writes rows × cols parameters, each as mark followed by what
// number writes for its 1-based position.
func valuesList(rows, cols int, number func(b *strings.Builder, n int), mark byte) string {
	var b strings.Builder
	b.Grow(rows * (cols*4 + 3))
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(mark)
			number(&b, n)
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}
