package web

import (
	"errors"
	"net/http"

	"throughcare/internal/apperr"
)

// handlerFunc is a page handler. It returns an error instead of writing
// one, so a handler cannot forget to stop after a failure; Server.handle
// renders the error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler, rendering any error it returns.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	})
}

// statusOf maps an error's kind to its HTTP status. Anything without a
// known kind is an internal error.
func statusOf(err error) int {
	switch {
	case errors.Is(err, apperr.NotFound):
		return http.StatusNotFound
	case errors.Is(err, apperr.Invalid):
		return http.StatusBadRequest
	case errors.Is(err, apperr.Conflict):
		return http.StatusConflict
	case errors.Is(err, apperr.Forbidden):
		return http.StatusForbidden
	case errors.Is(err, apperr.Unauthenticated):
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

// serveError renders the error page for err. Internal errors are logged
// with their detail, which the user never sees; the user's own mistakes
// (not found, bad input) are not logged.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status == http.StatusUnauthorized && userOf(r) == nil {
		// Signing in might help: send the visitor to do so, and back.
		http.Redirect(w, r, signInURL(r), http.StatusSeeOther)
		return
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		status, err = http.StatusRequestEntityTooLarge, apperr.Errorf(apperr.Invalid, "The form sent was larger than this site accepts (%d bytes).", tooBig.Limit)
	}
	p := &ErrorPage{Status: status}
	switch status {
	case http.StatusNotFound:
		p.Title = "Page not found"
		p.Message = "If you typed the web address, check it is correct. If you pasted the web address, check you copied the entire address."
	case http.StatusBadRequest:
		p.Title = "There is a problem with your request"
		p.Message = apperr.Message(err)
	case http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Title = "Sorry, there is a problem with the service"
		p.Message = apperr.Message(err)
	default:
		p.Title = http.StatusText(status)
		p.Message = apperr.Message(err)
	}
	if rerr := s.render(w, r, status, "error", p); rerr != nil {
		s.log.ErrorContext(r.Context(), "rendering the error page failed", "path", r.URL.Path, "err", rerr)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
	}
}
