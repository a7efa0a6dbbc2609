package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/apperr"
)

// TLSMode says how SMTP protects the connection to the mail server.
type TLSMode string

// The TLS modes.
const (
	// TLSNone sends in the clear. Only for a relay on the same machine:
	// credentials are then refused unless the host is local.
	TLSNone TLSMode = "none"
	// TLSStartTLS connects in the clear (usually port 587) and upgrades
	// with STARTTLS before anything else; a server that does not offer it
	// is an error, never a silent downgrade.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit TLSMode = "tls"
)

// ParseTLSMode returns the mode named s, or an Invalid error naming field.
func ParseTLSMode(field, s string) (TLSMode, error) {
	switch m := TLSMode(s); m {
	case TLSNone, TLSStartTLS, TLSImplicit:
		return m, nil
	}
	return "", apperr.Field(field, "%q is not one of none, starttls, tls", s)
}

// SMTP is a Mailer that sends each message over its own connection to a
// mail server (submission relay), with AUTH PLAIN when Username is set.
type SMTP struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	TLS      TLSMode
	// From is the sender, bare or with a name: "Throughcare
	// <noreply@example.org>". Its address is also the envelope sender.
	From string
	// TLSConfig, if set, is used for the TLS connection (for a private CA);
	// ServerName defaults to Host. Nil means the system roots.
	TLSConfig *tls.Config
	// LocalName is the name given in EHLO; default "localhost".
	LocalName string
	// Timeout bounds one whole send; default 30 seconds. A context
	// deadline that comes sooner wins.
	Timeout time.Duration
	// Now is the clock for the Date header; default time.Now.
	Now func() time.Time
}

// Validate reports the first problem with the configuration as an Invalid
// error naming the field.
func (s *SMTP) Validate() error {
	if s.Host == "" || strings.ContainsAny(s.Host, " \r\n/") {
		return apperr.Field("host", "is required and must be a host name or address")
	}
	if s.Port < 1 || s.Port > 65535 {
		return apperr.Field("port", "must be between 1 and 65535")
	}
	if _, err := ParseTLSMode("tls", string(s.TLS)); err != nil {
		return err
	}
	if _, err := parseAddress("from", s.From, true); err != nil {
		return err
	}
	if s.Username == "" && s.Password != "" {
		return apperr.Field("username", "is required when a password is set")
	}
	if strings.ContainsAny(s.Username+s.Password, "\r\n\x00") {
		return apperr.Field("username", "and password must not contain line breaks or NUL")
	}
	if strings.ContainsAny(s.LocalName, " \r\n") {
		return apperr.Field("local_name", "must be a host name")
	}
	return nil
}

// Send delivers m to the server: it validates m (an Invalid error names the
// bad field, and nothing is sent), connects, secures the connection as TLS
// says, authenticates, and hands the message over. Errors from the server
// or the network are wrapped with the server's address; when ctx ends
// first, the error wraps ctx.Err().
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("mail configuration: %w", err)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	from, _ := parseAddress("from", s.From, true)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	body, err := compose(from, m, now())
	if err != nil {
		return fmt.Errorf("compose mail: %w", err)
	}

	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.deliver(ctx, addr, from.Address, m.To, body); err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		return &withoutRecipients{err: fmt.Errorf("send mail via %s: %w", addr, err), to: m.To}
	}
	return nil
}

// withoutRecipients is a sending error whose text leaves out the
// recipients' addresses, which mail servers often quote back ("550
// <name@example.org>: no such user"), so that logging it writes no one's
// address. Unwrap still reaches the original error.
type withoutRecipients struct {
	err error
	to  []string
}

func (e *withoutRecipients) Error() string {
	msg := e.err.Error()
	for _, a := range e.to {
		if a = strings.TrimSpace(a); a != "" {
			msg = strings.ReplaceAll(msg, a, "<recipient>")
		}
	}
	return msg
}

func (e *withoutRecipients) Unwrap() error { return e.err }

// deliver runs one SMTP conversation, bounded by ctx.
func (s *SMTP) deliver(ctx context.Context, addr, from string, to []string, body []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// When ctx ends (cancelled, or Timeout reached) this unblocks whatever
	// read or write is in progress; ctx.Err() is set by then, so Send can
	// say why.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsConf := s.tlsConfig()
	if s.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	local := s.LocalName
	if local == "" {
		local = "localhost"
	}
	if err := c.Hello(local); err != nil {
		return err
	}
	if s.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("server does not offer STARTTLS")
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return err
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("server does not offer AUTH")
		}
		// PlainAuth refuses to send credentials over an unencrypted
		// connection to anything but this machine.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("authenticate as %s: %w", s.Username, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, a := range to {
		if err := c.Rcpt(strings.TrimSpace(a)); err != nil {
			return fmt.Errorf("recipient: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func (s *SMTP) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}
