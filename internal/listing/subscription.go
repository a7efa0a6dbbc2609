package listing

import (
	"regexp"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// Subscription asks for news of new and changed services in one area, of
// one service type, or both. The news comes as a weekly email digest; the
// Atom feed needs no subscription.
type Subscription struct {
	ID            string
	UserID        string
	AreaCode      string // an official area code (such as E07000138), or "" for anywhere
	ServiceTypeID string // a taxonomy term id of the service types, or "" for any
	CreatedAt     time.Time
}

// areaCode matches the nine-character GSS codes of the ONS (a letter, then
// eight digits), which every area Throughcare imports is keyed by.
var areaCode = regexp.MustCompile(`^[A-Z][0-9]{8}$`)

// Validate reports the first problem with s as an Invalid error naming the
// field: an area code in the ONS form, a service type that is a UUID, and
// at least one of the two (a subscription to everything would be the whole
// directory every week).
func (s *Subscription) Validate() error {
	switch {
	case s.AreaCode == "" && s.ServiceTypeID == "":
		return apperr.Field("area_code", "choose an area, a service type or both")
	case s.AreaCode != "" && !areaCode.MatchString(s.AreaCode):
		return apperr.Field("area_code", "%q is not an area code such as E07000138", s.AreaCode)
	case s.ServiceTypeID != "" && !directory.ValidUUID(s.ServiceTypeID):
		return apperr.Field("service_type_id", "%q is not a taxonomy term id", s.ServiceTypeID)
	}
	return nil
}
