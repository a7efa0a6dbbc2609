// Package audit defines audit events and the hash chain that makes the audit
// log tamper-evident.
//
// Every event carries the hash of the event before it, and its own hash
// covers that link and every field, so changing, deleting, inserting or
// reordering stored events breaks the chain at a point Verify reports.
// Storage appends with Seal inside the same transaction as the change it
// records, and must serialise appends (one writer at a time, and a unique
// Seq) so the chain never forks.
//
// A chain cannot show that events were cut off its end. To catch that, keep
// the Head somewhere the database's users cannot rewrite (the service log,
// a backup, a printed report) and compare it later with what Verifier.Head
// returns.
//
// The package is pure: no SQL and no HTTP.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/apperr"
)

// Action names what happened, as "noun.verb_past" in lower case. Other
// packages may define their own (referral.*, release.*) in the same form.
type Action string

// Actions for accounts, organisations, listings, tokens and personal data.
const (
	UserSignedIn          Action = "user.signed_in"
	UserSignedOut         Action = "user.signed_out"
	UserSignInFailed      Action = "user.sign_in_failed"
	UserLocked            Action = "user.locked"
	UserUnlocked          Action = "user.unlocked"
	UserCreated           Action = "user.created"
	UserUpdated           Action = "user.updated"
	UserDisabled          Action = "user.disabled"
	UserPasswordChanged   Action = "user.password_changed"
	UserPasswordResetSent Action = "user.password_reset_sent"
	UserTOTPEnabled       Action = "user.totp_enabled"
	UserTOTPDisabled      Action = "user.totp_disabled"
	UserRecoveryCodeUsed  Action = "user.recovery_code_used"
	PermissionChanged     Action = "permission.changed"
	OrgCreated            Action = "org.created"
	OrgUpdated            Action = "org.updated"
	ListingChanged        Action = "listing.changed"
	ListingApproved       Action = "listing.approved"
	ListingRejected       Action = "listing.rejected"
	ListingPublished      Action = "listing.published"
	ListingAssured        Action = "listing.assured"
	TokenCreated          Action = "token.created"
	TokenRevoked          Action = "token.revoked"
	PersonRead            Action = "person.read"
	PersonCreated         Action = "person.created"
	PersonUpdated         Action = "person.updated"
	PersonExported        Action = "person.exported"
	ImportRun             Action = "import.run"
	AuditVerified         Action = "audit.verified"
	SubscriptionChanged   Action = "subscription.changed"
	ListingReminderSent   Action = "listing.reminder_sent"
)

// Event is one row of the audit log.
type Event struct {
	Seq        int64     // 1 for the first event, then each one more
	At         time.Time // kept as UTC to the microsecond
	ActorID    string    // user id; empty for the system itself
	ActorRole  string    // the role the actor acted in, e.g. "provider"
	Action     Action
	RecordType string // e.g. "user", "organisation", "service", "referral"
	RecordID   string
	OrgID      string // the organisation whose data it was, if any
	IP         string // client address, if the event came from a request
	// Detail is a JSON object with anything else worth keeping (field
	// names changed, a reason code). It must never hold personal data
	// about the people in referrals, passwords, tokens or other secrets:
	// the audit log is kept longer and read more widely than the data.
	Detail   string
	PrevHash []byte // Hash of the event before; empty for the first
	Hash     []byte // Hash(PrevHash, this event)
}

var actionPattern = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)

// Validate reports the first problem with e's content as an Invalid error
// naming the field: an action in the "noun.verb" form, a time, a client
// address that parses, single-line text fields, and a Detail that is empty
// or a JSON object. Seq and the hashes are Seal's business.
func (e *Event) Validate() error {
	if !actionPattern.MatchString(string(e.Action)) {
		return apperr.Field("action", "%q is not of the form noun.verb", e.Action)
	}
	if e.At.IsZero() {
		return apperr.Field("at", "is required")
	}
	for _, f := range []struct{ name, v string }{
		{"actor_id", e.ActorID}, {"actor_role", e.ActorRole}, {"record_type", e.RecordType},
		{"record_id", e.RecordID}, {"org_id", e.OrgID},
	} {
		if strings.ContainsAny(f.v, "\r\n\x00") {
			return apperr.Field(f.name, "must be a single line")
		}
	}
	if e.IP != "" {
		if _, err := netip.ParseAddr(e.IP); err != nil {
			return apperr.Field("ip", "%q is not an IP address", e.IP)
		}
	}
	if e.Detail != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(e.Detail), &obj); err != nil {
			return apperr.Field("detail", "is not a JSON object: %v", err)
		}
	}
	return nil
}

// Head is the end of a chain: the last event's Seq and Hash. The zero Head
// is an empty chain.
type Head struct {
	Seq  int64
	Hash []byte
}

// Head returns the chain head that e, once sealed, makes.
func (e *Event) Head() Head { return Head{Seq: e.Seq, Hash: e.Hash} }

// Seal returns e made ready to append after head: Seq is head.Seq+1,
// PrevHash is head.Hash, At is UTC truncated to the microsecond (the
// precision both databases keep, so what is stored is what was hashed), and
// Hash is Hash(PrevHash, e). Any Seq or hashes already in e are replaced.
func Seal(head Head, e Event) Event {
	e.Seq = head.Seq + 1
	e.At = normalTime(e.At)
	e.PrevHash = append([]byte(nil), head.Hash...)
	e.Hash = Hash(e.PrevHash, e)
	return e
}

// hashDomain starts every hashed encoding, so these hashes cannot be
// confused with hashes of anything else, and so a future format can change
// it.
const hashDomain = "throughcare audit event v1"

// timeLayout is the fixed-precision UTC form of At in the hash.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Hash returns the SHA-256 hash that links e after prev. It covers prev and
// every field of e except e.PrevHash and e.Hash themselves, in a fixed
// order, each as an 8-byte big-endian length followed by its bytes (Seq as
// its decimal text, At in UTC as 2006-01-02T15:04:05.000000Z), after the
// domain string "throughcare audit event v1". Length prefixes make the
// encoding unambiguous: no two different events encode alike.
func Hash(prev []byte, e Event) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	str := func(s string) { field([]byte(s)) }
	str(hashDomain)
	field(prev)
	str(strconv.FormatInt(e.Seq, 10))
	str(normalTime(e.At).Format(timeLayout))
	str(e.ActorID)
	str(e.ActorRole)
	str(string(e.Action))
	str(e.RecordType)
	str(e.RecordID)
	str(e.OrgID)
	str(e.IP)
	str(e.Detail)
	return h.Sum(nil)
}

func normalTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
