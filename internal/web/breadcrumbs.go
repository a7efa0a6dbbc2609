package web

import "strings"

// Breadcrumbs: the trail above a page's content, rendered by the
// "breadcrumbs" template from Page.Breadcrumbs. A handler whose trail
// depends on the record shown sets it; otherwise render fills it in from
// the page's section with pageTrail.

// Crumb is one link of the breadcrumbs.
type Crumb struct {
	Text, Href string
}

// The trails of the site's sections, each ending with the section's own
// page.
var (
	homeTrail    = []Crumb{{"Home", "/"}}
	adminTrail   = append(homeTrail[:1:1], Crumb{"Administration", "/admin"})
	accountTrail = append(homeTrail[:1:1], Crumb{"Your account", "/account"})
	listingTrail = append(homeTrail[:1:1], Crumb{"Your listings", "/provider"})
)

// trail returns base followed by more, sharing no memory with base.
func trail(base []Crumb, more ...Crumb) []Crumb {
	return append(base[:len(base):len(base)], more...)
}

// pageTrails are the breadcrumbs of the pages that always sit in the same
// place, by page template.
var pageTrails = map[string][]Crumb{
	"admin":               homeTrail,
	"admin-users":         adminTrail,
	"admin-user":          trail(adminTrail, Crumb{"Users", "/admin/users"}),
	"admin-user-new":      trail(adminTrail, Crumb{"Users", "/admin/users"}),
	"admin-organisations": adminTrail,
	"admin-organisation":  trail(adminTrail, Crumb{"Organisations", "/admin/organisations"}),
	"admin-audit":         adminTrail,
	"reviews":             adminTrail,
	"review":              trail(adminTrail, Crumb{reviewQueueTitle, "/admin/reviews"}),
	"account-password":    accountTrail,
	"totp":                accountTrail,
	"totp-enrol":          accountTrail,
	"totp-codes":          accountTrail,
	"tokens":              accountTrail,
	"subscriptions":       accountTrail,
	"listing-edit":        listingTrail,
	"listing-change":      listingTrail,
	"organisation":        homeTrail,
}

// pageTrail returns the breadcrumbs of the page template name shown at
// path, or nil for none.
func pageTrail(name, path string) []Crumb {
	if name == "freshness" {
		// The report is in administration and, for one organisation's
		// listings, among the provider's pages.
		if strings.HasPrefix(path, "/admin/") {
			return adminTrail
		}
		return listingTrail
	}
	return pageTrails[name]
}
