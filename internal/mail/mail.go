// Package mail sends the system's e-mail: notifications, digests, password
// reset and sign-in links. Mailer is the seam; SMTP sends through a mail
// server, Log only logs (for development), and Memory keeps messages for
// tests.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"throughcare/internal/apperr"
)

// Mailer sends a message. Implementations must be safe for concurrent use.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is one e-mail. All recipients see each other in the To header, so
// send one Message per person when they should not.
type Message struct {
	To      []string // bare addresses, e.g. "jane@example.org"
	Subject string   // one line
	Text    string   // the plain-text body; required
	HTML    string   // an optional HTML alternative to Text
}

// Limits that keep messages sane.
const (
	MaxRecipients    = 50
	MaxSubjectLength = 200 // characters
)

// Validate reports the first problem with m as an Invalid error naming the
// field ("to", "to[i]", "subject", "text", "html"). It refuses carriage
// returns and line feeds in addresses and the subject, which would let text
// from a user add headers of its own (header injection).
func (m *Message) Validate() error {
	if len(m.To) == 0 {
		return apperr.Field("to", "needs at least one address")
	}
	if len(m.To) > MaxRecipients {
		return apperr.Field("to", "has more than %d addresses", MaxRecipients)
	}
	for i, a := range m.To {
		if _, err := parseAddress(fmt.Sprintf("to[%d]", i), a, false); err != nil {
			return err
		}
	}
	switch {
	case strings.ContainsAny(m.Subject, "\r\n"):
		return apperr.Field("subject", "must be a single line")
	case strings.TrimSpace(m.Subject) == "":
		return apperr.Field("subject", "is required")
	case !utf8.ValidString(m.Subject):
		return apperr.Field("subject", "is not valid UTF-8")
	case utf8.RuneCountInString(m.Subject) > MaxSubjectLength:
		return apperr.Field("subject", "is longer than %d characters", MaxSubjectLength)
	case strings.TrimSpace(m.Text) == "":
		return apperr.Field("text", "is required")
	case !utf8.ValidString(m.Text):
		return apperr.Field("text", "is not valid UTF-8")
	case !utf8.ValidString(m.HTML):
		return apperr.Field("html", "is not valid UTF-8")
	}
	return nil
}

// parseAddress checks one address. With named, a display name is allowed
// ("Throughcare <noreply@example.org>"); without, only a bare address.
// Addresses must be ASCII: not every relay accepts internationalised ones.
func parseAddress(field, s string, named bool) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, apperr.Field(field, "must not contain line breaks")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, apperr.Field(field, "%q is not an email address", s)
	}
	if !named && (a.Name != "" || a.Address != strings.TrimSpace(s)) {
		return nil, apperr.Field(field, "%q must be a bare address such as name@example.org", s)
	}
	for _, r := range a.Address {
		if r >= utf8.RuneSelf || r < ' ' {
			return nil, apperr.Field(field, "%q has characters outside ASCII", s)
		}
	}
	return a, nil
}

// compose renders m as an RFC 5322 message with CRLF line endings: From,
// To, Subject (RFC 2047-encoded when not ASCII), Date, Message-ID,
// MIME-Version, Auto-Submitted, and a UTF-8 quoted-printable body, as
// multipart/alternative when there is HTML. m must have passed Validate.
func compose(from *mail.Address, m Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	h := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = strings.TrimSpace(a)
	}
	h("From", from.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", messageID(from.Address))
	h("MIME-Version", "1.0")
	// RFC 3834: tells auto-responders not to reply to notifications.
	h("Auto-Submitted", "auto-generated")

	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeQP writes body quoted-printable with CRLF line ends, ending in one.
func writeQP(w interface{ Write([]byte) (int, error) }, body string) error {
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(body)); err != nil {
		return err
	}
	return qp.Close()
}

func messageID(fromAddr string) string {
	b := make([]byte, 16)
	rand.Read(b)
	domain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}

// Log is a Mailer for development that sends nothing and logs each message
// at Info level: recipients, subject and body sizes. It never logs the
// bodies, because they may carry sign-in, reset or confirmation links
// that would let anyone who reads the log act as the recipient.
type Log struct {
	Logger *slog.Logger // nil: slog.Default()
}

// Send logs m after checking it as SMTP.Send would.
func (l *Log) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	lg.InfoContext(ctx, "mail not sent: development mailer",
		"to", m.To, "subject", m.Subject, "text_bytes", len(m.Text), "html_bytes", len(m.HTML))
	return nil
}

// Memory is a Mailer that keeps every valid message, for tests of the code
// that sends mail. The zero value is ready to use.
type Memory struct {
	mu   sync.Mutex
	sent []Message
}

// Send checks m and keeps a copy.
func (s *Memory) Send(_ context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	m.To = append([]string(nil), m.To...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}

// Sent returns the messages sent so far, oldest first.
func (s *Memory) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}
