package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// TestBreadcrumbs checks the trail above pages of each section: the
// administration pages lead back through Administration, the account
// pages through Your account, a service's pages to its organisation.
func TestBreadcrumbs(t *testing.T) {
	tests := []struct {
		persona, path string
		want          []string // "Text href"
	}{
		{admin, "/admin", []string{"Home /"}},
		{admin, "/admin/users", []string{"Home /", "Administration /admin"}},
		{admin, "/admin/users/new", []string{"Home /", "Administration /admin", "Users /admin/users"}},
		{admin, "/admin/users/{user:provider}", []string{"Home /", "Administration /admin", "Users /admin/users"}},
		{admin, "/admin/organisations/{accountOrg}", []string{"Home /", "Administration /admin", "Organisations /admin/organisations"}},
		{admin, "/admin/audit", []string{"Home /", "Administration /admin"}},
		{admin, "/admin/reviews", []string{"Home /", "Administration /admin"}},
		{admin, "/admin/reviews/{change}", []string{"Home /", "Administration /admin", "Listing changes to review /admin/reviews"}},
		{admin, "/admin/freshness", []string{"Home /", "Administration /admin"}},
		{provider, "/provider/freshness", []string{"Home /", "Your listings /provider"}},
		{provider, "/provider/changes/{change}", []string{"Home /", "Your listings /provider"}},
		{provider, "/services/{service}/edit", []string{"Home /", "Your listings /provider"}},
		{practitioner, "/account/password", []string{"Home /", "Your account /account"}},
		{practitioner, "/account/totp", []string{"Home /", "Your account /account"}},
		{practitioner, "/account/tokens", []string{"Home /", "Your account /account"}},
		{practitioner, "/account/subscriptions", []string{"Home /", "Your account /account"}},
		{signedOut, "/services/{service}", []string{"Home /", "Lincoln Minds /organisations/{hsdsOrg}"}},
		{provider, "/services/{service}/history", []string{"Home /", "Lincoln Talking Therapies /services/{service}"}},
		{signedOut, "/organisations/{hsdsOrg}", []string{"Home /"}},
		{signedOut, "/search", nil},
		{signedOut, "/", nil},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		fill := func(s string) string {
			for k, v := range f.ids {
				s = strings.ReplaceAll(s, "{"+k+"}", v)
			}
			return s
		}
		for _, tt := range tests {
			path := fill(tt.path)
			res := f.send(t, tt.persona, http.MethodGet, path, nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s as %s: status %d", path, tt.persona, res.StatusCode)
				continue
			}
			doc := parseHTML(t, body(t, res))
			var got, want []string
			for _, a := range doc.Find("nav.govuk-breadcrumbs ol.govuk-breadcrumbs__list li.govuk-breadcrumbs__list-item a.govuk-breadcrumbs__link") {
				got = append(got, a.Text()+" "+a.attrs["href"])
			}
			for _, w := range tt.want {
				want = append(want, fill(w))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s as %s: breadcrumbs %q, want %q", path, tt.persona, got, want)
			}
		}
	})
}
