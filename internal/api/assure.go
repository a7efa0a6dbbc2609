package api

import (
	"errors"
	"net/http"
	"net/netip"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/geo"
)

// POST /api/v1/services/{id}/assure lets a provider's own system confirm
// that a listing is still correct ("last assured"), as the provider would
// on the web site. It needs a token with the listing.assure scope whose
// owner may assure the service: a provider of the organisation that owns
// it, or an administrator.

// londonTime is the zone the assurance date is taken in, as the web site
// shows dates.
var londonTime = geo.UKTime

// serviceOwner finds who owns the service named in the path: the account
// organisation that claims its HSDS organization. A service no
// organisation has claimed is owned by no one, so only administrators may
// act on it.
func (s *server) serviceOwner(r *http.Request) (account.Resource, error) {
	svc, ok := s.index().Service(r.PathValue("id"))
	if !ok {
		return account.Resource{}, apperr.Errorf(apperr.NotFound, "there is no service with this id")
	}
	org, err := s.cfg.DB.OrganisationByHSDS(r.Context(), svc.OrganizationID)
	if errors.Is(err, apperr.NotFound) {
		return account.Resource{}, nil
	}
	if err != nil {
		return account.Resource{}, err
	}
	return org.Resource(), nil
}

// assurance is the body of a successful assurance.
type assurance struct {
	ServiceID    string `json:"service_id"`
	AssuredDate  string `json:"assured_date"`
	AssurerEmail string `json:"assurer_email"`
}

// assureService records that the caller confirmed the service's listing
// today, audited, and asks for the directory to be reloaded.
func (s *server) assureService(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	at := s.cfg.Now().In(londonTime)
	ev := audit.Event{ActorID: c.user.ID, ActorRole: string(c.user.RoleIn(c.resource.OrgID)), OrgID: c.resource.OrgID, IP: remoteIP(r)}
	if err := s.cfg.DB.AssureService(r.Context(), id, c.user.Email, at, ev); err != nil {
		return err
	}
	if s.cfg.DirectoryChanged != nil {
		if err := s.cfg.DirectoryChanged(r.Context()); err != nil {
			// The assurance is stored; the index catches up at its next
			// reload.
			s.log.ErrorContext(r.Context(), "reload the directory after an assurance", "err", err)
		}
	}
	return writeJSON(w, assurance{ServiceID: id, AssuredDate: at.Format(time.DateOnly), AssurerEmail: c.user.Email})
}

// remoteIP is the address the request came from, for the audit log.
func remoteIP(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return ap.Addr().Unmap().String()
}
