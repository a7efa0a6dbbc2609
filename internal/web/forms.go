package web

import "strings"

// Forms: every page with a form collects the problems with what was sent
// in a formErrors, shows them in the "error-summary" template at the top
// of the page (GOV.UK's error summary, each line linking to its field) and
// beside each field, and marks its title with errorTitle.

// ErrorItem is one line of the error summary, linking to its field (Href
// is "" for a problem the form has no field for).
type ErrorItem struct {
	Text string
	Href string
}

// formErrors holds the problems with a submitted form: the list for the
// error summary, and the message to show beside each field, keyed by the
// field's id.
type formErrors struct {
	Errors []ErrorItem
	Field  map[string]string
}

// add records a problem with the field whose input has id field; the
// summary links to it. A field keeps its first problem only. A field of ""
// is a problem with the form as a whole: it is listed unlinked, every
// time.
func (f *formErrors) add(field, msg string) {
	href := ""
	if field != "" {
		href = "#" + field
	}
	f.addLinked(field, href, msg)
}

// addLinked is add with the summary linking to href, for fields whose
// first input has an id of its own (a date's day, a radio's first option).
func (f *formErrors) addLinked(field, href, msg string) {
	if field != "" {
		if _, dup := f.Field[field]; dup {
			return
		}
		if f.Field == nil {
			f.Field = map[string]string{}
		}
		f.Field[field] = msg
	}
	f.Errors = append(f.Errors, ErrorItem{Text: msg, Href: href})
}

// field records msg against the sign-in or account form field fl, for the
// summary and beside the field; only its first problem is shown.
func (f *formErrors) field(fl *Field, msg string) {
	if fl.Error != "" {
		return
	}
	fl.Error = msg
	f.add(fl.Name, msg)
}

// FieldProblem is a field's id and the problem with it ("" for none).
type FieldProblem struct{ ID, Text string }

// Err returns the problem with the field whose input has id field, for the
// "field-error" template.
func (f formErrors) Err(field string) FieldProblem {
	return FieldProblem{ID: field, Text: f.Field[field]}
}

// failed reports whether any problem was recorded.
func (f *formErrors) failed() bool { return len(f.Errors) > 0 }

// title returns the page title t, marked as an error page when there are
// problems.
func (f *formErrors) title(t string) string {
	if f.failed() {
		return errorTitle(t)
	}
	return t
}

// errorTitle marks the page title t as showing a form with problems, so
// that screen readers announce them first. Marking it twice changes
// nothing.
func errorTitle(t string) string {
	if strings.HasPrefix(t, "Error: ") {
		return t
	}
	return "Error: " + t
}
