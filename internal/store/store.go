// Package store holds all of Throughcare's SQL. It runs one code path on two
// engines, SQLite (embedded, the default) and PostgreSQL, through
// database/sql; the few real differences between them are kept in dialect.go.
// Public methods open and close their own transactions.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"throughcare/internal/apperr"
	"throughcare/internal/seal"
)

// DB is a Throughcare database, SQLite or PostgreSQL.
type DB struct {
	db      *sql.DB
	dialect dialect
	dsn     string

	// Now returns the current time; tests replace it to fix the clock.
	Now func() time.Time

	// sealer, when set by SetSecretKey, seals TOTP secrets at rest.
	sealer *seal.Sealer
}

// DefaultDSN is where the embedded database lives unless told otherwise.
const DefaultDSN = "sqlite:./data/throughcare.db"

// Open connects to the database named by dsn: "sqlite:PATH" (the folder is
// created), "sqlite::memory:" for a private in-memory database, or a
// "postgres://" or "postgresql://" URL. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := &DB{dsn: dsn, Now: time.Now}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, apperr.Errorf(apperr.Invalid, "--db: sqlite: needs a file path, e.g. sqlite:./data/throughcare.db")
		}
		memory := path == ":memory:"
		if !memory {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return nil, fmt.Errorf("store: create database folder: %w", err)
			}
		}
		db, err := sql.Open("sqlite", sqliteDSN(path, memory))
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		if memory {
			// Each connection to :memory: is a separate database, so keep one.
			db.SetMaxOpenConns(1)
		} else {
			db.SetMaxOpenConns(4)
		}
		d.db, d.dialect = db, sqliteDialect{}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(8)
		d.db, d.dialect = db, postgresDialect{}
	default:
		return nil, apperr.Errorf(apperr.Invalid, "--db: %q is not a database address; use sqlite:PATH or postgres://…", redact(dsn))
	}
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", redact(dsn), err)
	}
	return d, nil
}

// sqliteDSN builds the modernc.org/sqlite connection string. Every pragma is
// set per connection:
//   - journal_mode(WAL) lets readers carry on while one writer commits;
//   - synchronous(NORMAL) is durable across a process crash in WAL mode;
//   - busy_timeout waits for a lock instead of failing at once;
//   - foreign_keys(1) enforces references, which SQLite leaves off by default;
//   - _txlock=immediate takes the write lock at BEGIN, so a transaction never
//     fails half-way when it upgrades from reading to writing.
func sqliteDSN(path string, memory bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if !memory {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// redact hides a password in a database URL so it can be logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Engine returns "sqlite" or "postgres".
func (d *DB) Engine() string { return d.dialect.name() }

// SQL returns the underlying handle, for tests and benchmarks.
func (d *DB) SQL() *sql.DB { return d.db }

// withTx runs fn in a transaction, committing if fn returns nil and rolling
// back otherwise.
func (d *DB) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", d.dialect.translate(err))
	}
	return nil
}

// timeFormat is how times are stored: UTC, fixed width, so that text order
// is time order on both engines.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// notFound turns sql.ErrNoRows into apperr.NotFound with a message.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Errorf(apperr.NotFound, "%s not found", what)
	}
	return err
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs query and reads every row with scan, naming what in its
// errors ("store: organisations: …").
func queryAll[T any](ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, what, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// filter builds the WHERE clause of a query from optional conditions, each
// with one argument, numbering the placeholders in the order added.
type filter struct {
	conds []string
	args  []any
}

// add adds cond, whose one placeholder is written $%d, with its argument.
func (f *filter) add(cond string, arg any) {
	f.args = append(f.args, arg)
	f.conds = append(f.conds, fmt.Sprintf(cond, len(f.args)))
}

// where returns " WHERE …" for the conditions added, or "" for none.
func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(f.conds, ` AND `)
}

// limit adds n as the next argument and returns " LIMIT $k" for it.
func (f *filter) limit(n int) string {
	f.args = append(f.args, n)
	return fmt.Sprintf(` LIMIT $%d`, len(f.args))
}
