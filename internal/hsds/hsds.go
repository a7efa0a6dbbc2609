// Package hsds reads and writes directory files in the Open Referral
// formats: HSDS 3.0 JSON (one service, a list, a Page envelope, a service
// or organisation package), newline-delimited JSON, the older ORUK v1 JSON
// still published by many UK feeds, and the HSDS CSV datapackage.
//
// Readers turn a file into a flat directory.Dataset, ready for
// directory.Validate and the store's one-transaction import; they check the
// file's syntax and types and report each problem as an *apperr.FieldError
// naming the file, line and column, and where known the record and field.
// Readers stream: memory grows with the records kept, never with the size of
// a single read, and a file of garbage fails on its first bad byte.
//
// Writers turn the directory back into the same formats; reading what they
// write gives back the same Dataset (see WriteJSON for how).
package hsds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// Input and output formats, as named on the command line.
const (
	FormatAuto     = "auto"      // detect from the file
	FormatHSDSJSON = "hsds-json" // HSDS 3.0 JSON
	FormatNDJSON   = "ndjson"    // one HSDS 3.0 record per line
	FormatORUKv1   = "oruk-v1"   // Open Referral UK version 1 JSON
	FormatCSV      = "csv"       // HSDS tabular datapackage (a folder)
)

// MaxRecordBytes is the largest single JSON value (one record, or one
// ndjson line) the readers accept. It bounds the memory a hostile file can
// make a reader use.
const MaxRecordBytes = 16 << 20

// ReadFile reads a directory file into a flat Dataset. format is one of the
// Format constants; "" or "auto" detects it: a folder, or a file named
// datapackage.json, is a CSV datapackage; a .ndjson or .jsonl file, or one
// whose first line is a whole JSON object with more lines after it, is
// ndjson; other JSON is HSDS 3.0 unless it has the shape of ORUK v1.
//
// Every error from a bad file is an *apperr.FieldError (so it matches
// apperr.Invalid) naming the file and, where known, line, column, record
// and field.
func ReadFile(path, format string) (*directory.Dataset, error) {
	format = normalFormat(format)
	info, err := os.Stat(path)
	if err != nil {
		return nil, &apperr.FieldError{File: path, Msg: "cannot open: " + osMessage(err)}
	}
	if info.IsDir() || filepath.Base(path) == "datapackage.json" && (format == FormatAuto || format == FormatCSV) {
		dir := path
		if !info.IsDir() {
			dir = filepath.Dir(path)
		}
		if format != FormatAuto && format != FormatCSV {
			return nil, &apperr.FieldError{File: path, Msg: "is a folder; only the csv format reads folders"}
		}
		return readCSVPackage(dir)
	}
	if format == FormatCSV {
		return nil, &apperr.FieldError{File: path, Msg: "a CSV datapackage is read from its folder (or its datapackage.json), not from one file"}
	}
	if format == FormatAuto {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".ndjson", ".jsonl":
			format = FormatNDJSON
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &apperr.FieldError{File: path, Msg: "cannot open: " + osMessage(err)}
	}
	defer f.Close()
	return Read(f, path, format)
}

// fieldErr is the error type of every bad input.
type fieldErr = apperr.FieldError

func osMessage(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func normalFormat(f string) string {
	f = strings.ToLower(strings.TrimSpace(f))
	if f == "" {
		return FormatAuto
	}
	return f
}

// Read reads a directory from a stream of JSON (any format but csv, which
// is a folder). name is the file name used in errors.
func Read(r io.Reader, name, format string) (*directory.Dataset, error) {
	format = normalFormat(format)
	switch format {
	case FormatAuto, FormatHSDSJSON, FormatNDJSON, FormatORUKv1:
	case FormatCSV:
		return nil, &apperr.FieldError{File: name, Msg: "a CSV datapackage is a folder; read it with ReadFile"}
	default:
		return nil, &apperr.FieldError{File: name, Msg: "unknown format " + quote(format) + "; want auto, hsds-json, ndjson, oruk-v1 or csv"}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	// Look at the first non-blank bytes to tell an empty file, ndjson and
	// JSON apart.
	head, start, blank, err := firstBytes(br)
	if err != nil {
		return nil, &apperr.FieldError{File: name, Msg: "cannot read: " + err.Error()}
	}
	if blank {
		return nil, &apperr.FieldError{File: name, Msg: "file is empty"}
	}
	if format == FormatAuto && looksLikeNDJSON(head) {
		format = FormatNDJSON
	}
	if format == FormatNDJSON {
		return readNDJSON(br, name, start)
	}
	return readJSON(br, name, format, start)
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// firstBytes returns up to 64 KiB of what br holds from its first
// non-blank byte on, without consuming it, or reports a blank input. A
// whole buffer of white space is consumed; p is the position reached.
func firstBytes(br *bufio.Reader) (head []byte, p pos, blank bool, err error) {
	p = pos{line: 1, col: 1}
	for {
		buf, err := br.Peek(br.Size())
		for i, c := range buf {
			if !isSpace(c) {
				return buf[i:], p, false, nil
			}
		}
		if err == io.EOF {
			return nil, p, true, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return nil, p, false, err
		}
		p = p.after(buf)
		br.Discard(len(buf))
	}
}

// looksLikeNDJSON reports whether head starts with a line holding one whole
// JSON object, followed by more non-blank input.
func looksLikeNDJSON(head []byte) bool {
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 || head[0] != '{' {
		return false
	}
	return json.Valid(head[:nl]) && len(bytes.TrimSpace(head[nl:])) > 0
}
