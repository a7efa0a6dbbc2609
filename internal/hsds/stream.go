package hsds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"throughcare/internal/apperr"
)

// pos is a place in an input file: a byte offset and the 1-based line and
// byte column it falls on.
type pos struct {
	off       int64
	line, col int
}

// after returns the position reached from p by reading b.
func (p pos) after(b []byte) pos {
	p.off += int64(len(b))
	if n := bytes.Count(b, []byte{'\n'}); n > 0 {
		p.line += n
		p.col = len(b) - bytes.LastIndexByte(b, '\n')
	} else {
		p.col += len(b)
	}
	return p
}

// stream reads JSON from a buffered reader one value at a time, keeping
// track of where it is, so that a file of any size is read with memory
// bounded by its largest record (at most MaxRecordBytes).
//
// encoding/json's Decoder would do the walking too, but the byte offsets in
// its syntax errors count only the bytes it scanned for values, not those it
// skipped between tokens, so they cannot be turned into a line and column.
type stream struct {
	br   *bufio.Reader
	name string // file name for errors
	p    pos    // position of the next unread byte
	buf  []byte // the last value read, reused
}

func newStream(br *bufio.Reader, name string) *stream {
	return &stream{br: br, name: name, p: pos{line: 1, col: 1}}
}

// errAt returns an input error at p.
func (s *stream) errAt(p pos, record, field, format string, args ...any) *apperr.FieldError {
	return &apperr.FieldError{File: s.name, Line: p.line, Column: p.col, Record: record, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ioErr turns a failed read into an input error at the current position.
func (s *stream) ioErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.errAt(s.p, "", "", "unexpected end of file")
	}
	return s.errAt(s.p, "", "", "cannot read: %v", err)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// peek skips white space and returns the next byte without consuming it.
// At the end of the input it returns io.EOF.
func (s *stream) peek() (byte, error) {
	for {
		if _, err := s.br.Peek(1); err != nil {
			return 0, err
		}
		buf, _ := s.br.Peek(s.br.Buffered())
		i := 0
		for i < len(buf) && isSpace(buf[i]) {
			i++
		}
		if i > 0 {
			s.p = s.p.after(buf[:i])
			s.br.Discard(i)
		}
		if i < len(buf) {
			return buf[i], nil
		}
	}
}

// skip consumes one byte (one the caller has peeked).
func (s *stream) skip() {
	c, _ := s.br.ReadByte()
	s.p = s.p.after([]byte{c})
}

// expect consumes c after white space, or fails naming what was wanted.
func (s *stream) expect(c byte, what string) error {
	got, err := s.peek()
	if err != nil {
		return s.ioErr(err)
	}
	if got != c {
		return s.errAt(s.p, "", "", "invalid JSON: expected %s, found %s", what, quoteByte(got))
	}
	s.skip()
	return nil
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// errTooLarge reports a value longer than MaxRecordBytes.
var errTooLarge = errors.New("too large")

// value reads the next JSON value (after white space) and returns its
// bytes, valid until the next call, and where it starts. It finds the end
// of the value by counting brackets outside strings; bytes that cannot
// occur in JSON stop it at once, so that garbage fails on its first bad
// byte rather than after a long read. Whether the value is well formed is
// left to json.Unmarshal, through decode.
func (s *stream) value() ([]byte, pos, error) {
	if _, err := s.peek(); err != nil {
		return nil, s.p, err
	}
	start := s.p
	s.buf = s.buf[:0]
	var sc boundary
	for {
		if s.br.Buffered() == 0 {
			if _, err := s.br.Peek(1); err != nil {
				if err == io.EOF && sc.depth == 0 && !sc.inStr && sc.started {
					return s.buf, start, nil // a number or literal at the end
				}
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return s.buf, start, err
			}
		}
		chunk, _ := s.br.Peek(s.br.Buffered())
		n, done, bad := sc.scan(chunk)
		if len(s.buf)+n > MaxRecordBytes {
			return s.buf, start, errTooLarge
		}
		s.buf = appendGrowing(s.buf, chunk[:n], MaxRecordBytes)
		s.p = s.p.after(chunk[:n])
		s.br.Discard(n)
		switch {
		case bad:
			return s.buf, start, errBadByte
		case done:
			return s.buf, start, nil
		}
	}
}

var errBadByte = errors.New("byte not allowed in JSON")

// appendGrowing appends b to buf, doubling the capacity (up to limit, or
// what b needs) when it must grow: a long value then costs a few copies
// whose sizes add up to about twice its own, where append's gentler growth
// for large slices would allocate five times its size on the way.
func appendGrowing(buf, b []byte, limit int) []byte {
	if need := len(buf) + len(b); need > cap(buf) {
		grown := make([]byte, len(buf), max(need, min(2*cap(buf), limit), 4096))
		copy(grown, buf)
		buf = grown
	}
	return append(buf, b...)
}

// boundary finds where a JSON value ends.
type boundary struct {
	started, inStr, esc bool
	depth               int
}

// scan consumes bytes of b. It returns how many belong to the value, and
// whether the value ended or a byte that JSON never allows was met (that
// byte is counted in n, so a parser sees it).
func (sc *boundary) scan(b []byte) (n int, done, bad bool) {
	for i, c := range b {
		if !sc.started {
			sc.started = true
			switch {
			case c == '{' || c == '[':
				sc.depth = 1
			case c == '"':
				sc.inStr = true
			case !literalByte(c):
				return i + 1, false, true
			}
			continue
		}
		if sc.inStr {
			switch {
			case sc.esc:
				sc.esc = false
			case c == '\\':
				sc.esc = true
			case c == '"':
				sc.inStr = false
				if sc.depth == 0 {
					return i + 1, true, false
				}
			case c < 0x20:
				return i + 1, false, true
			}
			continue
		}
		if sc.depth == 0 { // a number or literal: it ends at the first other byte
			if literalByte(c) {
				continue
			}
			return i, true, false
		}
		switch c {
		case '"':
			sc.inStr = true
		case '{', '[':
			sc.depth++
		case '}', ']':
			sc.depth--
			if sc.depth == 0 {
				return i + 1, true, false
			}
		case ' ', '\t', '\n', '\r', ',', ':':
		default:
			if !literalByte(c) {
				return i + 1, false, true
			}
		}
	}
	return len(b), false, false
}

// literalByte reports whether c can occur in a JSON number, true, false or null.
func literalByte(c byte) bool {
	switch c {
	case '-', '+', '.', 'e', 'E', 't', 'r', 'u', 'f', 'a', 'l', 's', 'n':
		return true
	}
	return '0' <= c && c <= '9'
}

// readErr turns an error from value into an input error.
func (s *stream) readErr(raw []byte, start pos, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return s.errAt(start, "", "", "a single JSON value is larger than %d MiB", MaxRecordBytes>>20)
	case errors.Is(err, errBadByte):
		if fe := syntaxAt(s.name, raw, start, json.Unmarshal(raw, new(json.RawMessage))); fe != nil {
			return fe
		}
		return s.errAt(start.after(raw[:len(raw)-1]), "", "", "invalid JSON: unexpected %s", quoteByte(raw[len(raw)-1]))
	}
	return s.ioErr(err)
}

// syntaxAt turns a json.SyntaxError from parsing raw (which starts at
// start) into an input error at the offending byte, or returns nil for
// other errors.
func syntaxAt(name string, raw []byte, start pos, err error) *apperr.FieldError {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	// Offset counts the bytes read including the bad one.
	i := min(max(int(se.Offset)-1, 0), len(raw))
	p := start.after(raw[:i])
	msg := se.Error()
	if i >= len(raw) && strings.Contains(msg, "end of JSON input") {
		msg = "unexpected end of file"
	}
	return &apperr.FieldError{File: name, Line: p.line, Column: p.col, Msg: "invalid JSON: " + msg}
}

// decode unmarshals raw, read from start, into v. A syntax error or a value
// of the wrong type comes back as an input error at the offending value,
// with the JSON path of the field (Record is left for the caller, who
// knows which record it was).
func decode(name string, raw []byte, start pos, v any) *apperr.FieldError {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	if fe := syntaxAt(name, raw, start, err); fe != nil {
		return fe
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		msg := fmt.Sprintf("expected %s, found %s", typeName(te.Type), valueName(te.Value))
		if te.Offset <= 0 { // from a field's own UnmarshalJSON: no offset, but a path
			return &apperr.FieldError{File: name, Line: start.line, Column: start.col, Field: te.Field, Msg: msg}
		}
		i := valueStart(raw, int(te.Offset), te.Value)
		p := start.after(raw[:i])
		path := pathAt(raw, i)
		return &apperr.FieldError{File: name, Line: p.line, Column: p.col, Field: path, Msg: msg}
	}
	p := start
	return &apperr.FieldError{File: name, Line: p.line, Column: p.col, Msg: err.Error()}
}

// valueStart finds where the value an UnmarshalTypeError is about starts.
// Its Offset is just past the opening bracket of an object or array, and
// just past the end of anything else.
func valueStart(raw []byte, off int, kind string) int {
	off = min(max(off, 0), len(raw))
	switch {
	case kind == "object" || kind == "array":
		return max(off-1, 0)
	case kind == "string":
		// Walk back to the opening quote: the first quote not escaped.
		for i := off - 2; i >= 0; i-- {
			if raw[i] != '"' {
				continue
			}
			bs := 0
			for j := i - 1; j >= 0 && raw[j] == '\\'; j-- {
				bs++
			}
			if bs%2 == 0 {
				return i
			}
		}
		return off
	default: // number, bool, null
		i := off
		for i > 0 && literalByte(raw[i-1]) {
			i--
		}
		return i
	}
}

// pathAt returns the JSON path (phones[1].number) of the value starting at
// byte i of raw, which must be well formed up to i.
func pathAt(raw []byte, i int) string {
	type step struct {
		array bool
		index int
		key   string
	}
	var stack []step
	inStr, esc, keyNext := false, false, false
	keyStart := 0
	for j := 0; j < i && j < len(raw); j++ {
		c := raw[j]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
				if keyNext && len(stack) > 0 {
					var k string
					json.Unmarshal(raw[keyStart:j+1], &k)
					stack[len(stack)-1].key = k
					keyNext = false
				}
			}
			continue
		}
		switch c {
		case '"':
			inStr, keyStart = true, j
		case '{':
			stack = append(stack, step{})
			keyNext = true
		case '[':
			stack = append(stack, step{array: true})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 {
				if top := &stack[len(stack)-1]; top.array {
					top.index++
				} else {
					keyNext = true
				}
			}
		}
	}
	var b strings.Builder
	for _, st := range stack {
		if st.array {
			fmt.Fprintf(&b, "[%d]", st.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(st.key)
	}
	return b.String()
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Int32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

func valueName(v string) string {
	switch {
	case v == "object" || v == "array":
		return "an " + v
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ") + ", which is out of range"
	}
	return "a " + v
}
