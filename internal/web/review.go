package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/listing"
	"throughcare/internal/store"
)

// The review queue: administrators read each pending listing change as a
// table of what it changes, then approve it (publishing it at once) or
// reject it with a note the provider sees.

// ReviewQueuePage is the data of the review queue.
type ReviewQueuePage struct {
	Page
	Changes []ReviewItem
}

// ReviewItem is one pending change in the queue.
type ReviewItem struct {
	ChangeLink
	Organisation string
}

// ReviewPage is the data of one change's review.
type ReviewPage struct {
	Page
	Change ChangeView
	// Note is the reviewer's note as typed, kept when the page is shown
	// again with a problem.
	Note string
	// Errors holds the problems with the decision sent; the one with the
	// note is shown beside it.
	Errors formErrors
}

// reviewQueueTitle is the name of the queue of listing changes waiting
// for review, wherever it is named.
const reviewQueueTitle = "Listing changes to review"

func (s *Server) showReviewQueue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	chs, err := s.cfg.DB.ListingChanges(ctx, store.ListingFilter{Status: listing.StatusPending, OldestFirst: true})
	if err != nil {
		return err
	}
	orgs, err := s.cfg.DB.Organisations(ctx)
	if err != nil {
		return err
	}
	orgName := map[string]string{}
	for _, o := range orgs {
		orgName[o.ID] = o.Name
	}
	p := &ReviewQueuePage{Page: Page{Title: reviewQueueTitle}}
	for i, l := range s.changeLinks(ctx, s.index(), chs) {
		l.Href = "/admin/reviews/" + url.PathEscape(l.ID)
		p.Changes = append(p.Changes, ReviewItem{ChangeLink: l, Organisation: orgName[chs[i].OrgID]})
	}
	return s.render(w, r, http.StatusOK, "reviews", p)
}

// reviewPage loads the change in the path and its review page.
func (s *Server) reviewPage(r *http.Request) (*ReviewPage, error) {
	ch, err := s.cfg.DB.ListingChange(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	v := s.changeView(r.Context(), s.index(), ch)
	return &ReviewPage{Page: Page{Title: "Review: " + v.Heading}, Change: v}, nil
}

func (s *Server) showReview(w http.ResponseWriter, r *http.Request) error {
	p, err := s.reviewPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "review", p)
}

func (s *Server) approveReview(w http.ResponseWriter, r *http.Request) error {
	return s.decideReview(w, r, true)
}

func (s *Server) rejectReview(w http.ResponseWriter, r *http.Request) error {
	return s.decideReview(w, r, false)
}

// decideReview approves or rejects the change in the path. Approval
// publishes it, so the directory is reloaded at once. A problem (no note
// for a rejection, a change no longer pending or whose listing has moved
// on, a reviewer approving their own change) shows the review again with
// the reason.
func (s *Server) decideReview(w http.ResponseWriter, r *http.Request, approve bool) error {
	p, err := s.reviewPage(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "The form could not be read.")
	}
	note := formText(r.PostForm.Get("review_note"))
	p.Note = note
	u := userOf(r)
	ctx := r.Context()
	if approve {
		err = s.cfg.DB.ApproveListingChange(ctx, p.Change.ID, u.ID, note, s.auditEvent(r, audit.ListingApproved, ""))
	} else {
		err = s.cfg.DB.RejectListingChange(ctx, p.Change.ID, u.ID, note, s.auditEvent(r, audit.ListingRejected, ""))
	}
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			return err
		}
		msg := upperFirst(apperr.Message(err))
		if fe, ok := errors.AsType[*apperr.FieldError](err); ok && fe.Field == "review_note" {
			msg = "Enter a note saying why the change is rejected"
			if !strings.Contains(fe.Msg, "say why") {
				msg = "Note: " + fe.Msg
			}
			p.Errors.add("review_note", msg)
		} else {
			p.Errors.add("", msg)
		}
		p.Title = errorTitle(p.Title)
		return s.render(w, r, status, "review", p)
	}
	if approve {
		s.directoryChanged(ctx)
	}
	http.Redirect(w, r, "/admin/reviews/"+url.PathEscape(p.Change.ID), http.StatusSeeOther)
	return nil
}
