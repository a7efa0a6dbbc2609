package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"

	"throughcare/internal/apperr"
	"throughcare/internal/mail"
)

func TestSiteFlags(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	parse := func(env map[string]string, args ...string) (siteConfig, error) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		sf := addSiteFlags(fs, env2(env))
		if err := fs.Parse(args); err != nil {
			return siteConfig{}, err
		}
		return sf.resolve("http://localhost:8080", quiet)
	}
	c, err := parse(nil)
	if err != nil || c.baseURL != "http://localhost:8080" || c.secure || len(c.linkKey) != 32 || c.secretKey != nil {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	if _, ok := c.mailer.(*mail.Log); !ok {
		t.Errorf("without --smtp-host the mailer is %T, want the log", c.mailer)
	}
	key := strings.Repeat("k", 40)
	c, err = parse(map[string]string{"THROUGHCARE_SECRET_KEY": key, "THROUGHCARE_LINK_KEY": key}, "--base-url", "https://throughcare.example/")
	if err != nil || string(c.secretKey) != key || string(c.linkKey) != key || !c.secure || c.baseURL != "https://throughcare.example" {
		t.Errorf("keys from the environment: %+v, %v", c, err)
	}
	for _, bad := range []struct {
		args  []string
		field string
	}{
		{[]string{"--secret-key", "short"}, "secret-key"},
		{[]string{"--link-key", "short"}, "link-key"},
		{[]string{"--base-url", "ftp://x"}, "base-url"},
		{[]string{"--base-url", "https://x.example/sub"}, "base-url"},
		{[]string{"--session-idle", "5s"}, "session-idle"},
		{[]string{"--session-idle", "13h"}, "session-idle"},
		{[]string{"--smtp-host", "mail.example", "--smtp-port", "x"}, "smtp-port"},
		{[]string{"--smtp-host", "mail.example", "--smtp-tls", "maybe"}, "smtp-tls"},
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.internal"}, "trusted-proxies"},
	} {
		_, err := parse(nil, bad.args...)
		if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != bad.field {
			t.Errorf("%v: %v, want an error naming %s", bad.args, err, bad.field)
		}
	}
}

// env2 is an env whose variables come from m.
func env2(m map[string]string) env {
	return env{getenv: func(k string) string { return m[k] }, stdout: io.Discard, stderr: io.Discard}
}
