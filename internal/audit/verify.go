package audit

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
)

// ErrBroken is matched (with errors.Is) by every *BreakError.
var ErrBroken = errors.New("audit chain broken")

// BreakError says where and how a chain is broken.
type BreakError struct {
	// Seq is the first sequence number at which the stored log differs
	// from an intact chain: the changed event, or the missing one, or the
	// place where events are out of order.
	Seq    int64
	Reason string
}

func (e *BreakError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// Is makes every BreakError match ErrBroken.
func (e *BreakError) Is(target error) bool { return target == ErrBroken }

// Verifier checks a stream of events, in Seq order, against the chain. Use
// it directly to check a long log in pieces or from a trusted Head; Verify
// wraps it for the whole log. A Verifier stops at the first break: after
// Add returns an error, it returns the same error again.
type Verifier struct {
	head Head
	err  error
}

// NewVerifier returns a Verifier that expects the event after from. Pass
// the zero Head to check from the first event.
func NewVerifier(from Head) *Verifier {
	return &Verifier{head: Head{Seq: from.Seq, Hash: bytes.Clone(from.Hash)}}
}

// Add checks the next event. It returns a *BreakError if e is not the event
// that should come next (its Seq is not one more than the last, so events
// are missing, inserted or out of order), if it does not point at the last
// event's hash, or if its own hash does not match its content.
func (v *Verifier) Add(e Event) error {
	if v.err != nil {
		return v.err
	}
	want := v.head.Seq + 1
	switch {
	case e.Seq < want:
		v.err = &BreakError{Seq: want, Reason: fmt.Sprintf("event %d appears where event %d should; events are repeated or out of order", e.Seq, want)}
	case e.Seq > want:
		v.err = &BreakError{Seq: want, Reason: fmt.Sprintf("missing or out of place; the next stored event is %d", e.Seq)}
	case !bytes.Equal(e.PrevHash, v.head.Hash):
		v.err = &BreakError{Seq: e.Seq, Reason: "it does not link to the event before it"}
	case !bytes.Equal(e.Hash, Hash(e.PrevHash, e)):
		v.err = &BreakError{Seq: e.Seq, Reason: "its content does not match its hash"}
	default:
		v.head = Head{Seq: e.Seq, Hash: bytes.Clone(e.Hash)}
	}
	return v.err
}

// Head returns the head of the chain checked so far: the last event that
// passed.
func (v *Verifier) Head() Head { return v.head }

// Verify checks a whole audit log, read in Seq order from the first event.
// It returns brokenAt = 0 and a nil error for an intact chain (an empty log
// is intact). For a broken chain it returns the Seq where it breaks (see
// BreakError.Seq) and a *BreakError. If reading fails, it returns 0 and the
// reading error.
func Verify(events iter.Seq2[Event, error]) (brokenAt int64, err error) {
	v := NewVerifier(Head{})
	for e, err := range events {
		if err != nil {
			return 0, fmt.Errorf("reading the audit log: %w", err)
		}
		if err := v.Add(e); err != nil {
			var be *BreakError
			errors.As(err, &be)
			return be.Seq, err
		}
	}
	return 0, nil
}

// Events turns a slice into the sequence Verify reads.
func Events(es []Event) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}
