package main

import (
	"flag"
	"strconv"

	"throughcare/internal/web"
)

// oidcFlags configure single sign-on with an OpenID Connect provider
// (docs/accounts.md). With none of them set the site signs in with
// passwords only.
type oidcFlags struct {
	issuer, clientID, clientSecret *string
	redirectURL, roleClaim         *string
	orgClaim, buttonLabel          *string
	createAccounts                 *bool
}

func addOIDCFlags(fs *flag.FlagSet, e env) *oidcFlags {
	return &oidcFlags{
		issuer:         stringFlag(fs, e, "oidc-issuer", "", "OpenID Connect provider's issuer URL, for single sign-on (empty: passwords only)"),
		clientID:       stringFlag(fs, e, "oidc-client-id", "", "this site's client id at the OpenID Connect provider"),
		clientSecret:   secretFlag(fs, e, "oidc-client-secret", "this site's client secret at the OpenID Connect provider"),
		redirectURL:    stringFlag(fs, e, "oidc-redirect-url", "", "address the provider sends people back to (default: --base-url followed by /sign-in/oidc/callback)"),
		roleClaim:      stringFlag(fs, e, "oidc-role-claim", "", "ID-token claim listing the user's roles, e.g. throughcare_roles (only used to create accounts)"),
		orgClaim:       stringFlag(fs, e, "oidc-org-claim", "", "ID-token claim naming the user's organisation by id or exact name (only used to create accounts)"),
		buttonLabel:    stringFlag(fs, e, "oidc-button-label", "", "text of the single-sign-on button (default: Sign in with your organisation's account)"),
		createAccounts: boolFlag(fs, e, "oidc-create-accounts", "create an account at first sign-in when the role claim gives one organisation role and the organisation claim an existing organisation (needs --oidc-role-claim and --oidc-org-claim)"),
	}
}

// boolFlag defines a boolean flag whose default comes from its environment
// variable when that holds a boolean (1, true, 0, false…).
func boolFlag(fs *flag.FlagSet, e env, name, help string) *bool {
	def, _ := strconv.ParseBool(e.getenv(envName(name)))
	return fs.Bool(name, def, help+" (env "+envName(name)+")")
}

// config returns the web server's single-sign-on configuration, or nil
// when no single-sign-on flag is set. A partial set is passed on as it is,
// so that web.New names what is missing rather than single sign-on quietly
// staying off.
func (f *oidcFlags) config() *web.OIDCConfig {
	c := &web.OIDCConfig{
		Issuer: *f.issuer, ClientID: *f.clientID, ClientSecret: *f.clientSecret, RedirectURL: *f.redirectURL,
		RoleClaim: *f.roleClaim, OrgClaim: *f.orgClaim, ButtonLabel: *f.buttonLabel, CreateAccounts: *f.createAccounts,
	}
	if *c == (web.OIDCConfig{}) {
		return nil
	}
	return c
}
