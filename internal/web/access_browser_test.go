package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/audit"
	"throughcare/internal/browsertest"
	"throughcare/internal/store/storetest"
)

// TestBrowserEveryPage opens every page the route walk knows, in headless
// Chromium, as someone allowed to see it, and checks each with axe-core
// (no serious or critical WCAG 2.2 AA violation) and for script errors and
// Content-Security-Policy violations. A new page is checked as soon as it
// has its row in the walk's table.
func TestBrowserEveryPage(t *testing.T) {
	requireBuiltAssets(t)
	f := newWalkFixture(t, storetest.SQLite(t))
	b := browsertest.Start(t, f.srv)
	// Each persona's session, made once, so that visiting pages in turn
	// does not sign anyone out.
	sessions := map[string]string{}
	sessionOf := func(persona string) string {
		if tok, ok := sessions[persona]; ok {
			return tok
		}
		tok, err := f.db.CreateSession(context.Background(), f.users[persona].ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		sessions[persona] = tok
		return tok
	}
	checked := 0
	for _, rt := range f.srv.Routes() {
		method, path, found := strings.Cut(rt.Pattern, " ")
		if !found || method != http.MethodGet {
			continue
		}
		// Not pages: static files, map outlines and feeds.
		if strings.HasPrefix(path, "/assets/") || strings.HasSuffix(path, ".geojson") || strings.HasSuffix(path, ".atom") {
			continue
		}
		c := walkCases[rt.Pattern]
		allowed := strings.Fields(c.allow)
		if len(allowed) == 0 {
			continue
		}
		// The least privileged persona who gets in: what most people see.
		persona := allowed[0]
		for _, p := range personas {
			if slices.Contains(allowed, p) {
				persona = p
				break
			}
		}
		target := c.path
		for k, v := range f.ids {
			target = strings.ReplaceAll(target, "{"+k+"}", v)
		}
		t.Run(rt.Pattern+" as "+persona, func(t *testing.T) {
			if persona == signedOut {
				b.SetCookie(t, f.srv.cookieName(), "")
			} else {
				b.SetCookie(t, f.srv.cookieName(), sessionOf(persona))
			}
			b.Open(t, target)
			if got := browsertest.Eval[string](t, b, `location.pathname`); strings.HasPrefix(got, "/sign-in") && !strings.HasPrefix(target, "/sign-in") {
				t.Fatalf("%s as %s was sent to %s", target, persona, got)
			}
			browsertest.Axe(b.Ctx, t)
			// Some walk paths are error pages on purpose (a link with a
			// bad token, single sign-on switched off); their own status is
			// not a problem, anything else they report is.
			var problems []string
			for _, p := range b.Problems() {
				if !strings.Contains(p, "("+b.URL+target+")") {
					problems = append(problems, p)
				}
			}
			if len(problems) > 0 {
				t.Errorf("%s reported problems:\n%s", target, strings.Join(problems, "\n"))
			}
		})
		checked++
	}
	if checked < 30 {
		t.Errorf("checked only %d pages; the walk's table should reach more", checked)
	}
}
