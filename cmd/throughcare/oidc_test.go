package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/web"
)

func TestOIDCFlags(t *testing.T) {
	parse := func(t *testing.T, env map[string]string, args ...string) (*web.OIDCConfig, string) {
		t.Helper()
		var help bytes.Buffer
		e := oidcTestEnv(env, &help)
		fs := newFlagSet(e, "serve", "", "")
		f := addOIDCFlags(fs, e)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		fs.Usage()
		return f.config(), help.String()
	}
	if c, _ := parse(t, nil); c != nil {
		t.Errorf("no flags: %+v, want single sign-on off", c)
	}
	c, help := parse(t, map[string]string{"THROUGHCARE_OIDC_CLIENT_SECRET": "s3cret-value", "THROUGHCARE_OIDC_CREATE_ACCOUNTS": "true"},
		"--oidc-issuer", "https://login.example.org", "--oidc-client-id", "tc", "--oidc-role-claim", "throughcare_roles",
		"--oidc-org-claim", "org", "--oidc-button-label", "Sign in with Example ID")
	want := web.OIDCConfig{Issuer: "https://login.example.org", ClientID: "tc", ClientSecret: "s3cret-value",
		RoleClaim: "throughcare_roles", OrgClaim: "org", ButtonLabel: "Sign in with Example ID", CreateAccounts: true}
	if c == nil || *c != want {
		t.Errorf("config = %+v, want %+v", c, want)
	}
	if strings.Contains(help, "s3cret-value") || !strings.Contains(help, "THROUGHCARE_OIDC_CLIENT_SECRET") {
		t.Errorf("help shows the secret or hides its variable:\n%s", help)
	}
	// A partial set is passed on, for web.New to name what is missing.
	if c, _ := parse(t, nil, "--oidc-client-id", "tc"); c == nil || c.Issuer != "" {
		t.Errorf("client id alone: %+v, want a configuration without an issuer", c)
	}
}

func oidcTestEnv(vars map[string]string, out io.Writer) env {
	return env{getenv: func(k string) string { return vars[k] }, stdout: out, stderr: out}
}

func TestServeRefusesHalfConfiguredOIDC(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "oidc.db")
	err := run(context.Background(), []string{"throughcare", "serve", "--db", db, "--addr", "127.0.0.1:0", "--oidc-client-id", "tc"},
		func(string) string { return "" }, io.Discard, io.Discard)
	if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "OIDC.Issuer") {
		t.Errorf("serve with --oidc-client-id alone: %v, want an error naming the issuer", err)
	}
}
