package web

import (
	"net/http"
	"net/url"
	"strings"

	"throughcare/internal/apperr"
)

// contentSecurityPolicy returns the policy every response carries. Scripts
// and styles come only from our own origin, so no page may hold inline
// script, inline style or event-handler attributes. Images may also be data:
// URLs (GOV.UK Frontend uses a few) and, when a tile server is configured,
// map tiles from tilesSrc.
func contentSecurityPolicy(tilesSrc string) string {
	img := "img-src 'self' data:"
	if tilesSrc != "" {
		img += " " + tilesSrc
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		img,
		"object-src 'none'",
		"base-uri 'self'",
		"frame-ancestors 'none'",
		"form-action 'self'",
	}, "; ")
}

// tilesSource turns a Leaflet tile URL template into the CSP source that
// allows its images: its scheme and host, with Leaflet's {s} subdomain
// placeholder as a wildcard. It returns "" for an empty template.
func tilesSource(template string) (string, error) {
	if template == "" {
		return "", nil
	}
	const sub = "leaflet-subdomain"
	u, err := url.Parse(strings.ReplaceAll(template, "{s}", sub))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", apperr.Field("TilesURL", "must be an http or https URL template such as https://{s}.tiles.example.org/{z}/{x}/{y}.png, not %q", template)
	}
	host := strings.ReplaceAll(u.Host, sub, "*")
	if strings.ContainsAny(host, "{}") {
		return "", apperr.Field("TilesURL", "only {s} may stand in the host name of %q", template)
	}
	return u.Scheme + "://" + host, nil
}

// securityHeaders sets the headers every response carries. HSTS is sent only
// on requests that arrived over HTTPS (to this server or to a trusted proxy
// in front of it): sent over plain HTTP it would be ignored, and a
// development server on localhost must not pin itself to HTTPS.
func securityHeaders(next http.Handler, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if IsHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// DefaultMaxFormBytes is the largest request body a page accepts when
// Config.MaxFormBytes is zero. The forms are short text; imports go through
// the command line.
const DefaultMaxFormBytes = 1 << 20

// protect refuses cross-origin requests with unsafe methods (a form on
// another site posting to ours), using the browser's Sec-Fetch-Site and
// Origin headers as http.CrossOriginProtection does, and caps the size of
// every request body.
func (s *Server) protect(next http.Handler) http.Handler {
	limit := s.cfg.MaxFormBytes
	if limit <= 0 {
		limit = DefaultMaxFormBytes
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveError(w, r, apperr.Errorf(apperr.Forbidden, "This form was sent from another website, so it was refused. Go back to the page on this site and try again."))
	}))
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	}))
}
