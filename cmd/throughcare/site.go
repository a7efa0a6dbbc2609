package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/mail"
	"throughcare/internal/seal"
	"throughcare/internal/web"
)

// siteFlags configure what the signed-in side of the site needs: its public
// address, the keys for signed links and for secrets at rest, sessions and
// e-mail.
type siteFlags struct {
	baseURL, linkKey, secretKey      *string
	sessionIdle, sessionMaxAge       *string
	smtpHost, smtpPort, smtpTLS      *string
	smtpUser, smtpPassword, mailFrom *string
	trustedProxies                   *string
}

func addSiteFlags(fs *flag.FlagSet, e env) *siteFlags {
	return &siteFlags{
		baseURL:        stringFlag(fs, e, "base-url", "", "the site's public address for links in emails, e.g. https://throughcare.example (default: the listening address)"),
		linkKey:        secretFlag(fs, e, "link-key", "secret of at least 32 bytes that signs emailed links; without it a random one is made at start and links die with the process"),
		secretKey:      secretFlag(fs, e, "secret-key", "secret of at least 32 bytes that encrypts second-factor secrets in the database; keep it, or those users must set up their second factor again"),
		sessionIdle:    stringFlag(fs, e, "session-idle", "30m", "end a session unused for this long"),
		sessionMaxAge:  stringFlag(fs, e, "session-max-age", "12h", "end every session this long after sign-in"),
		smtpHost:       stringFlag(fs, e, "smtp-host", "", "mail server to send email through (empty: emails are logged, without their bodies, not sent)"),
		smtpPort:       stringFlag(fs, e, "smtp-port", "587", "mail server port"),
		smtpTLS:        stringFlag(fs, e, "smtp-tls", "starttls", "how to protect the mail connection: starttls, tls or none (none only for a relay on this machine)"),
		smtpUser:       stringFlag(fs, e, "smtp-user", "", "mail server user name (empty: no authentication)"),
		smtpPassword:   secretFlag(fs, e, "smtp-password", "mail server password"),
		mailFrom:       stringFlag(fs, e, "mail-from", "Throughcare <noreply@localhost>", "sender of emails"),
		trustedProxies: stringFlag(fs, e, "trusted-proxies", "", "addresses or CIDR prefixes of the reverse proxies in front of the server, whose X-Forwarded-For and X-Forwarded-Proto headers are believed (e.g. 10.0.0.0/8)"),
	}
}

// secretFlag defines a string flag for a secret. Unlike stringFlag it never
// shows the environment variable's value as the default in --help; the
// value is read from the environment when the flag is not given.
func secretFlag(fs *flag.FlagSet, e env, name, help string) *string {
	v := fs.String(name, "", help+" (env "+envName(name)+"; prefer the variable, so the secret stays out of the process list)")
	if env := e.getenv(envName(name)); env != "" {
		*v = env
	}
	return v
}

// siteConfig is what siteFlags resolve to.
type siteConfig struct {
	baseURL                    string
	secure                     bool
	linkKey                    []byte
	secretKey                  []byte // nil: store second-factor secrets unencrypted
	sessionIdle, sessionMaxAge time.Duration
	mailer                     mail.Mailer
	proxies                    []netip.Prefix
}

// resolve checks the flags and builds the configuration. listenURL is the
// address the server listens on, the base URL when none is given.
func (sf *siteFlags) resolve(listenURL string, log *slog.Logger) (siteConfig, error) {
	var c siteConfig
	c.baseURL = *sf.baseURL
	if c.baseURL == "" {
		c.baseURL = listenURL
	}
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return c, fmt.Errorf("%w", apperr.Field("base-url", "%q is not a site address such as https://throughcare.example", c.baseURL))
	}
	c.baseURL = u.Scheme + "://" + u.Host
	c.secure = u.Scheme == "https"
	if *sf.linkKey != "" {
		c.linkKey = []byte(*sf.linkKey)
		if err := account.CheckLinkKey(c.linkKey); err != nil {
			return c, apperr.Field("link-key", "%v", err)
		}
	} else {
		c.linkKey = make([]byte, 32)
		rand.Read(c.linkKey)
		log.Warn("no --link-key set: emailed links (password resets, listing reminders) stop working when the server restarts")
	}
	if *sf.secretKey != "" {
		c.secretKey = []byte(*sf.secretKey)
		if len(c.secretKey) < seal.KeyMinLength {
			return c, apperr.Field("secret-key", "must be at least %d bytes", seal.KeyMinLength)
		}
	} else {
		log.Warn("no --secret-key set: second-factor secrets are stored in the database unencrypted")
	}
	for _, d := range []struct {
		name string
		s    *string
		to   *time.Duration
	}{{"session-idle", sf.sessionIdle, &c.sessionIdle}, {"session-max-age", sf.sessionMaxAge, &c.sessionMaxAge}} {
		v, err := time.ParseDuration(*d.s)
		if err != nil || v < time.Minute {
			return c, apperr.Field(d.name, "%q is not a duration of at least a minute, such as 30m or 12h", *d.s)
		}
		*d.to = v
	}
	if c.sessionIdle > c.sessionMaxAge {
		return c, apperr.Field("session-idle", "%v is longer than --session-max-age %v", c.sessionIdle, c.sessionMaxAge)
	}
	if c.proxies, err = web.ParseProxies(*sf.trustedProxies); err != nil {
		return c, err
	}
	if *sf.smtpHost == "" {
		c.mailer = &mail.Log{Logger: log}
		return c, nil
	}
	port, err := strconv.Atoi(*sf.smtpPort)
	if err != nil {
		return c, apperr.Field("smtp-port", "%q is not a port number", *sf.smtpPort)
	}
	mode, err := mail.ParseTLSMode("smtp-tls", *sf.smtpTLS)
	if err != nil {
		return c, err
	}
	m := &mail.SMTP{Host: *sf.smtpHost, Port: port, TLS: mode, Username: *sf.smtpUser, Password: *sf.smtpPassword, From: *sf.mailFrom}
	if err := m.Validate(); err != nil {
		return c, fmt.Errorf("smtp: %w", err)
	}
	c.mailer = m
	return c, nil
}
