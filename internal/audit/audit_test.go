package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
)

var t0 = time.Date(2026, 2, 3, 4, 5, 6, 123456789, time.UTC)

// chain returns n sealed events.
func chain(n int) []Event {
	var es []Event
	var head Head
	for i := range n {
		e := Seal(head, Event{
			At:         t0.Add(time.Duration(i) * time.Minute),
			ActorID:    fmt.Sprintf("user-%d", i%3),
			ActorRole:  "provider",
			Action:     ListingChanged,
			RecordType: "service",
			RecordID:   fmt.Sprintf("svc-%d", i),
			OrgID:      "org-1",
			IP:         "192.0.2.10",
			Detail:     fmt.Sprintf(`{"fields":["name"],"n":%d}`, i),
		})
		es = append(es, e)
		head = e.Head()
	}
	return es
}

func verifySlice(es []Event) (int64, error) { return Verify(Events(es)) }

func TestIntactChainVerifies(t *testing.T) {
	es := chain(10)
	if at, err := verifySlice(es); at != 0 || err != nil {
		t.Fatalf("intact chain: broken at %d, %v", at, err)
	}
	if at, err := verifySlice(nil); at != 0 || err != nil {
		t.Fatalf("empty log: broken at %d, %v", at, err)
	}
	v := NewVerifier(Head{})
	for _, e := range es {
		if err := v.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if h := v.Head(); h.Seq != 10 || !bytes.Equal(h.Hash, es[9].Hash) {
		t.Errorf("head %+v, want seq 10 and the last hash", h)
	}
}

func TestSeal(t *testing.T) {
	es := chain(2)
	if es[0].Seq != 1 || len(es[0].PrevHash) != 0 || es[1].Seq != 2 || !bytes.Equal(es[1].PrevHash, es[0].Hash) {
		t.Fatalf("seq/prev not chained: %+v", es)
	}
	if want := t0.Truncate(time.Microsecond); !es[0].At.Equal(want) || es[0].At.Location() != time.UTC {
		t.Errorf("At = %v, want %v in UTC", es[0].At, want)
	}
	// Seal copies the head's hash rather than sharing it.
	head := es[1].Head()
	e := Seal(head, Event{At: t0, Action: UserSignedIn})
	head.Hash[0] ^= 0xff
	if e.PrevHash[0] == head.Hash[0] {
		t.Error("the sealed event shares memory with the head")
	}
	// Seq and hashes already set are replaced.
	e2 := Seal(Head{}, Event{Seq: 99, At: t0, Action: UserSignedIn, PrevHash: []byte("x"), Hash: []byte("y")})
	if e2.Seq != 1 || len(e2.PrevHash) != 0 || !bytes.Equal(e2.Hash, Hash(nil, e2)) {
		t.Errorf("Seal kept stale values: %+v", e2)
	}
}

func TestTamperedFieldIsFound(t *testing.T) {
	edits := map[string]func(*Event){
		"at":          func(e *Event) { e.At = e.At.Add(time.Microsecond) },
		"actor_id":    func(e *Event) { e.ActorID = "user-9" },
		"actor_role":  func(e *Event) { e.ActorRole = "admin" },
		"action":      func(e *Event) { e.Action = ListingApproved },
		"record_type": func(e *Event) { e.RecordType = "organisation" },
		"record_id":   func(e *Event) { e.RecordID += "x" },
		"org_id":      func(e *Event) { e.OrgID = "" },
		"ip":          func(e *Event) { e.IP = "192.0.2.11" },
		"detail":      func(e *Event) { e.Detail = `{"fields":["name"],"n":4 }` },
		"hash":        func(e *Event) { e.Hash[31] ^= 1 },
		"prev_hash":   func(e *Event) { e.PrevHash[0] ^= 1 },
	}
	for name, edit := range edits {
		es := chain(8)
		edit(&es[3])
		at, err := verifySlice(es)
		var be *BreakError
		if at != 4 || !errors.As(err, &be) || be.Seq != 4 || !errors.Is(err, ErrBroken) {
			t.Errorf("%s changed in event 4: broken at %d, %v", name, at, err)
		}
	}
}

func TestRehashedEventBreaksTheNextLink(t *testing.T) {
	// Someone who changes event 4 and recomputes its hash is caught at 5.
	es := chain(8)
	es[3].RecordID = "svc-other"
	es[3].Hash = Hash(es[3].PrevHash, es[3])
	at, err := verifySlice(es)
	if at != 5 || err == nil || !strings.Contains(err.Error(), "does not link") {
		t.Errorf("broken at %d, %v; want 5, link", at, err)
	}
}

func TestDeletedReorderedAndRepeatedRowsAreFound(t *testing.T) {
	cases := []struct {
		name   string
		edit   func([]Event) []Event
		at     int64
		reason string
	}{
		{"first row deleted", func(es []Event) []Event { return es[1:] }, 1, "missing"},
		{"row 4 deleted", func(es []Event) []Event { return slices.Delete(es, 3, 4) }, 4, "missing"},
		{"rows 4 and 5 swapped", func(es []Event) []Event { es[3], es[4] = es[4], es[3]; return es }, 4, "missing"},
		{"rows 2 and 6 swapped", func(es []Event) []Event { es[1], es[5] = es[5], es[1]; return es }, 2, "missing"},
		{"contents of 4 and 5 swapped, seq kept", func(es []Event) []Event {
			es[3], es[4] = es[4], es[3]
			es[3].Seq, es[4].Seq = 4, 5
			return es
		}, 4, "does not link"},
		{"row 4 repeated", func(es []Event) []Event { return slices.Insert(es, 4, es[3]) }, 5, "out of order"},
		{"rows renumbered after a deletion", func(es []Event) []Event {
			es = slices.Delete(es, 3, 4)
			for i := 3; i < len(es); i++ {
				es[i].Seq--
			}
			return es
		}, 4, "does not link"},
	}
	for _, c := range cases {
		es := c.edit(chain(8))
		at, err := verifySlice(es)
		if at != c.at || err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: broken at %d, %v; want %d, %q", c.name, at, err, c.at, c.reason)
		}
	}
}

func TestVerifyReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	es := chain(3)
	seq := func(yield func(Event, error) bool) {
		if !yield(es[0], nil) {
			return
		}
		yield(Event{}, boom)
	}
	at, err := Verify(iter.Seq2[Event, error](seq))
	if at != 0 || !errors.Is(err, boom) || errors.Is(err, ErrBroken) {
		t.Errorf("broken at %d, %v; want the read error", at, err)
	}
}

func TestVerifierFromHead(t *testing.T) {
	es := chain(10)
	v := NewVerifier(es[4].Head())
	for _, e := range es[5:] {
		if err := v.Add(e); err != nil {
			t.Fatalf("from a trusted head: %v", err)
		}
	}
	bad := NewVerifier(Head{Seq: 5, Hash: bytes.Repeat([]byte{1}, 32)})
	err := bad.Add(es[5])
	var be *BreakError
	if !errors.As(err, &be) || be.Seq != 6 {
		t.Fatalf("from a wrong head: %v", err)
	}
	// A broken verifier stays broken.
	if err2 := bad.Add(es[6]); err2 != err || bad.Head().Seq != 5 {
		t.Errorf("after a break: %v, head %d", err2, bad.Head().Seq)
	}
}

func TestStoredTimeRoundTrips(t *testing.T) {
	// What the database hands back (microseconds, perhaps in local time)
	// verifies against what was sealed.
	es := chain(3)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		london = time.FixedZone("BST", 3600)
	}
	for i := range es {
		es[i].At = es[i].At.In(london)
	}
	if at, err := verifySlice(es); err != nil {
		t.Errorf("broken at %d: %v", at, err)
	}
}

// TestHashEncoding pins the hash format with an encoding written out by
// hand, so that the log can be checked by other tools and a change to the
// format cannot slip in unnoticed.
func TestHashEncoding(t *testing.T) {
	e := Event{Seq: 7, At: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ActorID: "u", ActorRole: "admin",
		Action: UserLocked, RecordType: "user", RecordID: "u2", OrgID: "", IP: "::1", Detail: `{}`}
	prev := []byte{0xaa, 0xbb}
	var b []byte
	for _, f := range []string{"throughcare audit event v1", string(prev), "7", "2026-01-02T03:04:05.000006Z",
		"u", "admin", "user.locked", "user", "u2", "", "::1", "{}"} {
		b = binary.BigEndian.AppendUint64(b, uint64(len(f)))
		b = append(b, f...)
	}
	want := sha256.Sum256(b)
	if got := Hash(prev, e); !bytes.Equal(got, want[:]) {
		t.Errorf("Hash = %s, want %s", hex.EncodeToString(got), hex.EncodeToString(want[:]))
	}
	// Moving a character from one field to the next changes the hash.
	e2 := e
	e2.RecordType, e2.RecordID = "use", "ru2"
	if bytes.Equal(Hash(prev, e), Hash(prev, e2)) {
		t.Error("the encoding is ambiguous between record_type and record_id")
	}
	// PrevHash and Hash in e are ignored; the prev argument counts.
	e3 := e
	e3.PrevHash, e3.Hash = []byte("x"), []byte("y")
	if !bytes.Equal(Hash(prev, e), Hash(prev, e3)) || bytes.Equal(Hash(prev, e), Hash(nil, e)) {
		t.Error("Hash used the wrong previous hash")
	}
}

func TestEventValidate(t *testing.T) {
	ok := func() Event {
		return Event{At: t0, ActorID: "u1", ActorRole: "provider", Action: ListingChanged, RecordType: "service",
			RecordID: "s1", OrgID: "o1", IP: "2001:db8::1", Detail: `{"fields":["name"]}`}
	}
	e := ok()
	if err := e.Validate(); err != nil {
		t.Fatalf("valid event: %v", err)
	}
	cases := []struct {
		edit  func(*Event)
		field string
	}{
		{func(e *Event) { e.Action = "" }, "action"},
		{func(e *Event) { e.Action = "Listing.Changed" }, "action"},
		{func(e *Event) { e.Action = "listing" }, "action"},
		{func(e *Event) { e.At = time.Time{} }, "at"},
		{func(e *Event) { e.RecordID = "s1\nforged line" }, "record_id"},
		{func(e *Event) { e.IP = "not-an-ip" }, "ip"},
		{func(e *Event) { e.Detail = `["an","array"]` }, "detail"},
		{func(e *Event) { e.Detail = `{"unterminated":` }, "detail"},
		{func(e *Event) { e.Detail = ""; e.IP = "" }, ""},
	}
	for i, c := range cases {
		e := ok()
		c.edit(&e)
		err := e.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("case %d: got %v, want a field error on %s", i, err, c.field)
		}
	}
}
