package hsds

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// generatedInput yields size bytes, made on the fly: prefix, then fill
// (random bytes when fill is nil), so that no test file is written.
type generatedInput struct {
	prefix0 []byte // the whole prefix
	prefix  []byte // what is left of it
	fill    []byte
	rng     *rand.ChaCha8
	left    int64
	read    int64 // bytes handed out so far
}

func newGeneratedInput(size int64, prefix string, fill []byte) *generatedInput {
	var seed [32]byte
	copy(seed[:], "throughcare garbage seed")
	return &generatedInput{prefix0: []byte(prefix), prefix: []byte(prefix), fill: fill, rng: rand.NewChaCha8(seed), left: size}
}

func (g *generatedInput) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.left)]
	n := copy(p, g.prefix)
	g.prefix = g.prefix[n:]
	rest := p[n:]
	if g.fill == nil {
		g.rng.Read(rest)
	} else {
		at := int(g.read) + n - len(g.prefix0)
		for i := range rest {
			rest[i] = g.fill[(at+i)%len(g.fill)]
		}
	}
	g.left -= int64(len(p))
	g.read += int64(len(p))
	return len(p), nil
}

// TestHugeBadInputFailsFast feeds readers 200 MB of bad input generated on
// the fly and checks that each fails with a precise error after reading
// little of it, allocating little on the way.
func TestHugeBadInputFailsFast(t *testing.T) {
	const size = 200 << 20
	tests := []struct {
		name, prefix, format string
		fill                 []byte
		want                 apperr.FieldError // Msg: a part; Line 0: any place
		maxRead              int64
	}{
		{"random bytes", "", "", nil, apperr.FieldError{Line: 1, Column: 1, Msg: "invalid JSON: invalid character"}, 1 << 20},
		{"random bytes in an array", "[\n  ", "", nil, apperr.FieldError{Line: 2, Column: 3, Msg: "invalid JSON: invalid character"}, 1 << 20},
		{"random bytes in a record", `{"id": "`, "hsds-json", nil, apperr.FieldError{Msg: "invalid JSON"}, 1 << 20},
		{"random bytes as ndjson", "", "ndjson", nil, apperr.FieldError{Line: 1, Column: 1, Msg: "invalid JSON"}, 1 << 20},
		{"random bytes as ORUK v1", `{"content": [`, "oruk-v1", nil, apperr.FieldError{Line: 1, Column: 14, Msg: "invalid JSON"}, 1 << 20},
		{"one endless string", `[{"name": "`, "", []byte("abcdefgh"), apperr.FieldError{Line: 1, Column: 2, Msg: "a single JSON value is larger than 16 MiB"}, 20 << 20},
		{"endless nesting", ``, "", []byte("[[[["), apperr.FieldError{Line: 1, Column: 2, Msg: "larger than 16 MiB"}, 20 << 20},
		{"endless blank lines in an array", `[`, "", []byte("\n"), apperr.FieldError{Line: size, Column: 1, Msg: "unexpected end of file"}, size},
		{"one endless ndjson line", `{"name": "`, "ndjson", []byte("abcdefgh"), apperr.FieldError{Line: 1, Msg: "line is longer than 16 MiB"}, 20 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newGeneratedInput(size, tt.prefix, tt.fill)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Read(in, "garbage.bin", tt.format)
			runtime.ReadMemStats(&after)
			tt.want.File = "garbage.bin"
			if tt.want.Line == 0 {
				var fe *apperr.FieldError
				if errors.As(err, &fe) && fe.Line > 0 && fe.Column > 0 {
					tt.want.Line, tt.want.Column = fe.Line, fe.Column
				}
			}
			checkFieldError(t, err, tt.want)
			if in.read > tt.maxRead {
				t.Errorf("read %d bytes before failing, want at most %d", in.read, tt.maxRead)
			}
			// Everything allocated while reading bounds the heap it used.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("allocated %d MB while reading", grew>>20)
			}
			if after.HeapAlloc > before.HeapAlloc && after.HeapAlloc-before.HeapAlloc > 64<<20 {
				t.Errorf("heap grew by %d MB", (after.HeapAlloc-before.HeapAlloc)>>20)
			}
		})
	}
}

func TestNDJSONLineLimit(t *testing.T) {
	svc := `{"id":"` + id("5e", 91) + `","name":"Yew Clinic","status":"active","description":"`
	long := svc + strings.Repeat("x", MaxRecordBytes-len(svc)-2) + `"}`
	d, err := Read(strings.NewReader(long+"\n"), "big.ndjson", FormatNDJSON)
	if err != nil {
		t.Fatalf("a line of exactly %d bytes: %v", len(long), err)
	}
	if len(d.Services) != 1 || len(d.Services[0].Description) != MaxRecordBytes-len(svc)-2 {
		t.Errorf("read %d services", len(d.Services))
	}
	tooLong := svc + strings.Repeat("x", MaxRecordBytes) + `"}`
	_, err = Read(strings.NewReader(svc+`"}`+"\n"+tooLong+"\n"), "big.ndjson", FormatNDJSON)
	checkFieldError(t, err, apperr.FieldError{File: "big.ndjson", Line: 2, Msg: "line is longer than 16 MiB"})
}

func TestReadFailingReader(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`[{"id":"`+id("5e", 92)+`","name":"x"`), errReader{})
	_, err := Read(r, "net.json", "")
	if err == nil || !strings.Contains(err.Error(), "net.json") || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("error = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// BenchmarkReadJSON reads a generated HSDS export of 2,000 fully nested
// services (organisations shared by ten services each).
func BenchmarkReadJSON(b *testing.B) {
	d := generated(2000)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, directory.NewIndex(d)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := Read(bytes.NewReader(data), "bench.json", FormatHSDSJSON)
		if err != nil {
			b.Fatal(err)
		}
		if len(got.Services) != len(d.Services) {
			b.Fatalf("read %d services", len(got.Services))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(d.Services)), "ns/service")
}
