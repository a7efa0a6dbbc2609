// Package apperr defines the few kinds of error the application distinguishes,
// so that storage and domain code can say what went wrong and each transport
// (HTML, JSON, CLI) can map the kind to a status in one place.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel kinds. Wrap them with %w and test with errors.Is.
var (
	// NotFound means the requested record does not exist (HTTP 404).
	NotFound = errors.New("not found")
	// Invalid means the caller supplied bad input (HTTP 400).
	Invalid = errors.New("invalid")
	// Conflict means the change clashes with existing state (HTTP 409).
	Conflict = errors.New("conflict")
	// Forbidden means the caller is known but may not do this (HTTP 403).
	Forbidden = errors.New("forbidden")
	// Unauthenticated means the caller must sign in first (HTTP 401).
	Unauthenticated = errors.New("unauthenticated")
)

// FieldError describes one problem with one field of one record. Where the
// input was a file, File, Line and Column say where.
type FieldError struct {
	File   string // file name, if the input came from a file
	Line   int    // 1-based line, 0 if unknown
	Column int    // 1-based column, 0 if unknown
	Record string // record identifier, e.g. "service 3fa8…", if known
	Field  string // field name or JSON path, e.g. "phones[0].number"
	Msg    string // what is wrong, in plain words
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
		b.WriteString(": ")
	}
	if e.Record != "" {
		b.WriteString(e.Record)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes every FieldError match Invalid.
func (e *FieldError) Is(target error) bool { return target == Invalid }

// Field returns an Invalid error about one field.
func Field(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Errorf returns an error of the given kind with a message for the user.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// Message returns the text to show a user for err: the error itself for the
// known kinds, and a generic phrase for anything else, whose detail belongs
// in the log rather than in front of the user.
func Message(err error) string {
	for _, k := range []error{NotFound, Invalid, Conflict, Forbidden, Unauthenticated} {
		if errors.Is(err, k) {
			return err.Error()
		}
	}
	return "Internal error."
}
