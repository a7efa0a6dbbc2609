package web

import (
	"context"
	"testing"

	"throughcare/internal/audit"
	"throughcare/internal/listing"
)

// Who may use the listing pages: providers edit their own organisation's
// listings (and administrators any), administrators review, and anyone
// signed in reads a service's history or their own provider home page.
func init() {
	expectAccess(map[string]walkCase{
		"GET /provider":                         {"/provider", anySignedIn},
		"GET /services/{id}/edit":               {"/services/{service}/edit", ownProvider},
		"POST /services/{id}/edit":              {"/services/{service}/edit", ownProvider},
		"GET /organisations/{id}/services/new":  {"/organisations/{hsdsOrg}/services/new", ownProvider},
		"POST /organisations/{id}/services/new": {"/organisations/{hsdsOrg}/services/new", ownProvider},
		"GET /provider/changes/{id}":            {"/provider/changes/{change}", ownProvider},
		"POST /provider/changes/{id}/withdraw":  {"/provider/changes/{change}/withdraw", ownProvider},
		"GET /services/{id}/history":            {"/services/{service}/history", anySignedIn},
		"GET /admin/reviews":                    {"/admin/reviews", adminOnly},
		"GET /admin/reviews/{id}":               {"/admin/reviews/{change}", adminOnly},
		"POST /admin/reviews/{id}/approve":      {"/admin/reviews/{change}/approve", adminOnly},
		"POST /admin/reviews/{id}/reject":       {"/admin/reviews/{change}/reject", adminOnly},
	})
	// {change} is a pending change to the Recovery Hub's listing, sent by
	// the provider of the organisation that owns it.
	walkSetups = append(walkSetups, func(t *testing.T, f *walkFixture) {
		ctx := context.Background()
		ds, err := f.db.LoadDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d, err := listing.NewDraft(ds, recoveryID)
		if err != nil {
			t.Fatal(err)
		}
		d.Service().Description = "Drug and alcohol recovery support, reopening in the spring."
		ch, err := f.db.SubmitListingChange(ctx, listing.Change{OrgID: f.orgs["own"].ID, Draft: d, SubmittedBy: f.users[provider].ID},
			false, audit.Event{ActorID: f.users[provider].ID, ActorRole: "provider"})
		if err != nil {
			t.Fatal(err)
		}
		f.ids["change"] = ch.ID
	})
}
