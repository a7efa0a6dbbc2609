package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func init() {
	expectAccess(map[string]walkCase{
		"GET /account/tokens":              {"/account/tokens", anySignedIn},
		"POST /account/tokens":             {"/account/tokens", anySignedIn},
		"POST /account/tokens/{id}/revoke": {"/account/tokens/{token}/revoke", anySignedIn},
	})
	walkSetups = append(walkSetups, func(t *testing.T, f *walkFixture) {
		_, hash := account.NewToken()
		tok, err := f.db.CreateAPIToken(context.Background(), account.APIToken{
			UserID: f.users[provider].ID, Name: "walk", Scopes: []account.Action{account.ListingAssure},
		}, hash, audit.Event{Action: audit.TokenCreated})
		if err != nil {
			t.Fatal(err)
		}
		f.ids["token"] = tok.ID
	})
}

func TestTokenPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		ctx := context.Background()
		pat := f.users[provider]

		// The form offers what the user holds and nothing that manages
		// accounts or tokens.
		res := f.send(t, provider, http.MethodGet, "/account/tokens", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /account/tokens: %d", res.StatusCode)
		}
		doc := parseHTML(t, body(t, res))
		checkLayout(t, doc, false)
		var offered []string
		for _, n := range doc.Find("#token-form input[name=scopes]") {
			offered = append(offered, n.attrs["value"])
		}
		for _, want := range []string{"listing.assure", "listing.edit"} {
			if !slices.Contains(offered, want) {
				t.Errorf("provider is not offered %s: %v", want, offered)
			}
		}
		for _, never := range []string{"import.run", "user.manage", "token.manage", "account.manage", "directory.read"} {
			if slices.Contains(offered, never) {
				t.Errorf("provider is offered %s: %v", never, offered)
			}
		}
		if got := doc.Find("#token-form input[name=expiry][checked]"); len(got) != 1 || got[0].attrs["value"] != defaultTokenExpiry {
			t.Errorf("default expiry not chosen: %v", got)
		}
		// The walk's token is listed, with a button to revoke it.
		if got := doc.Find("#token-" + f.ids["token"] + " form[action=/account/tokens/" + f.ids["token"] + "/revoke]"); len(got) != 1 {
			t.Errorf("the walk token has no revoke button")
		}

		// An empty form names every missing field.
		res = f.send(t, provider, http.MethodPost, "/account/tokens", url.Values{})
		doc = parseHTML(t, body(t, res))
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("empty form: status %d, want 400", res.StatusCode)
		}
		var hrefs []string
		for _, a := range doc.Find(".govuk-error-summary a") {
			hrefs = append(hrefs, a.attrs["href"])
		}
		if !slices.Equal(hrefs, []string{"#name", "#" + scopeID(account.FreshnessReport), "#expiry-30"}) {
			t.Errorf("error summary links %v", hrefs)
		}
		for _, id := range []string{"name-error", "scopes-error", "expiry-error"} {
			if len(doc.Find("#"+id)) != 1 {
				t.Errorf("no message beside the field: #%s", id)
			}
		}
		for _, target := range hrefs {
			if len(doc.Find(target)) != 1 {
				t.Errorf("error summary links to %s, which is not on the page", target)
			}
		}

		// A scope the user does not hold is refused, and the rest of the
		// form is kept.
		res = f.send(t, provider, http.MethodPost, "/account/tokens", url.Values{
			"name": {"sync"}, "scopes": {"listing.assure", "import.run"}, "expiry": {"30"},
		})
		doc = parseHTML(t, body(t, res))
		if res.StatusCode != http.StatusBadRequest || len(doc.Find("#scopes-error")) != 1 {
			t.Errorf("scope not held: status %d, scopes error %d", res.StatusCode, len(doc.Find("#scopes-error")))
		}
		if got := doc.Find("#name"); len(got) != 1 || got[0].attrs["value"] != "sync" {
			t.Errorf("name not kept")
		}
		if got := doc.Find("#" + scopeID(account.ListingAssure)); len(got) != 1 || !hasAttr(got[0], "checked") {
			t.Errorf("chosen scope not kept")
		}

		// A good form makes the token and shows its secret once.
		res = f.send(t, provider, http.MethodPost, "/account/tokens", url.Values{
			"name": {"Case system"}, "scopes": {"listing.assure"}, "expiry": {"30"},
		})
		page := body(t, res)
		doc = parseHTML(t, page)
		if res.StatusCode != http.StatusCreated || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create: status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
		}
		checkLayout(t, doc, false)
		secret := ""
		if got := doc.Find("#created #new-token"); len(got) == 1 {
			secret = got[0].attrs["value"]
		}
		if len(secret) < 40 {
			t.Fatalf("secret not shown: %q", secret)
		}
		tok, owner, err := db.APITokenByHash(ctx, account.HashToken(secret))
		if err != nil || owner.ID != pat.ID || tok.Name != "Case system" || !slices.Equal(tok.Scopes, []account.Action{account.ListingAssure}) ||
			tok.ExpiresAt.Sub(tok.CreatedAt).Round(time.Hour) != 30*24*time.Hour {
			t.Fatalf("stored token = %+v owned by %s, %v", tok, owner.ID, err)
		}
		if len(doc.Find("#token-"+tok.ID)) != 1 {
			t.Error("the new token is not in the list")
		}
		// Never again.
		if page := body(t, f.send(t, provider, http.MethodGet, "/account/tokens", nil)); strings.Contains(page, secret) {
			t.Error("the secret is shown again on the list")
		}
		// Nor in the audit log.
		evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.TokenCreated, ActorID: pat.ID})
		if err != nil || len(evs) != 1 || evs[0].RecordID != tok.ID || evs[0].IP == "" || strings.Contains(evs[0].Detail, secret) {
			t.Errorf("token.created events = %+v, %v", evs, err)
		}

		// Someone else cannot revoke it.
		res = f.send(t, providerOther, http.MethodPost, "/account/tokens/"+tok.ID+"/revoke", url.Values{})
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("another user revoking: status %d, want 404", res.StatusCode)
		}
		if got, _, _ := db.APITokenByHash(ctx, tok.Hash); !got.RevokedAt.IsZero() {
			t.Fatal("another user revoked the token")
		}
		// The owner can.
		res = f.send(t, provider, http.MethodPost, "/account/tokens/"+tok.ID+"/revoke", url.Values{})
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/account/tokens?revoked="+tok.ID {
			t.Fatalf("revoke: %d to %q", res.StatusCode, loc)
		}
		if got, _, _ := db.APITokenByHash(ctx, tok.Hash); got.RevokedAt.IsZero() {
			t.Fatal("the token still works after revocation")
		}
		doc = parseHTML(t, body(t, f.send(t, provider, http.MethodGet, "/account/tokens?revoked="+tok.ID, nil)))
		if got := doc.Find("#revoked"); len(got) != 1 || !strings.Contains(got[0].Text(), "Case system") {
			t.Errorf("no banner saying the token was revoked")
		}
		row := doc.Find("#token-" + tok.ID)
		if len(row) != 1 || !strings.Contains(row[0].Text(), "Revoked") || len(row[0].Find("form")) != 0 {
			t.Errorf("revoked token row: %v", row)
		}

		// Another user does not see the provider's tokens.
		if page := body(t, f.send(t, providerOther, http.MethodGet, "/account/tokens", nil)); strings.Contains(page, "Case system") || !strings.Contains(page, `id="no-tokens"`) {
			t.Error("another user sees the provider's tokens")
		}
	})
}

func hasAttr(n *node, name string) bool {
	_, ok := n.attrs[name]
	return ok
}
