package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"throughcare/internal/apperr"
)

// received is one message as the test server saw it.
type received struct {
	from string
	to   []string
	data []byte
	user string // who authenticated, if anyone
}

// testServer is an in-process SMTP server on 127.0.0.1.
type testServer struct {
	srv  *smtp.Server
	port int

	mu   sync.Mutex
	msgs []received
}

type serverOpts struct {
	tlsConf  *tls.Config // offered by STARTTLS, or used for every connection with implicit
	implicit bool
	auth     bool // require AUTH PLAIN as alice / s3cret
	insecure bool // allow AUTH without TLS
}

func startServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ts: ts, needAuth: o.auth}, nil
	}))
	ts.srv.Domain = "localhost"
	ts.srv.AllowInsecureAuth = o.insecure
	ts.srv.ErrorLog = log.New(io.Discard, "", 0)
	ts.srv.ReadTimeout = 10 * time.Second
	ts.srv.WriteTimeout = 10 * time.Second
	if !o.implicit {
		ts.srv.TLSConfig = o.tlsConf
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		ln = tls.NewListener(ln, o.tlsConf)
	}
	ts.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ts.srv.Close()
		// Close may run before Serve has registered the listener, so
		// close it here as well.
		ln.Close()
		<-done
	})
	return ts
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

type session struct {
	ts       *testServer
	needAuth bool
	user     string
	cur      received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "alice" || password != "s3cret" {
			return errors.New("invalid credentials")
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.needAuth && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from, user: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "reject") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user <" + to + ">"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, s.cur)
	s.ts.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

var fixedNow = time.Date(2026, 6, 1, 8, 30, 0, 0, time.FixedZone("BST", 3600))

func client(port int) *SMTP {
	return &SMTP{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "Throughcare <noreply@throughcare.example>",
		Timeout: 10 * time.Second, Now: func() time.Time { return fixedNow }}
}

// readBody decodes a single-part quoted-printable body.
func readBody(t *testing.T, msg *mail.Message) string {
	t.Helper()
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSMTPSendsPlainText(t *testing.T) {
	ts := startServer(t, serverOpts{})
	text := "Hello Jane,\n\nA referral to Lincoln Talking Therapies was accepted — see below.\n.hidden line starts with a dot\n" +
		strings.Repeat("long line ", 20) + "\n"
	err := client(ts.port).Send(context.Background(), Message{
		To:      []string{"jane@probation.example", "team@probation.example"},
		Subject: "Referral accepted – café d’été",
		Text:    text,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ts.received()
	if len(got) != 1 {
		t.Fatalf("%d messages arrived", len(got))
	}
	r := got[0]
	if r.from != "noreply@throughcare.example" || strings.Join(r.to, ",") != "jane@probation.example,team@probation.example" {
		t.Errorf("envelope from %q to %v", r.from, r.to)
	}
	if !bytes.Contains(r.data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(r.data, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("lines do not all end in CRLF")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(r.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Referral accepted – café d’été" {
		t.Errorf("subject %q (raw %q), %v", subject, msg.Header.Get("Subject"), err)
	}
	if !strings.HasPrefix(msg.Header.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("non-ASCII subject not encoded: %q", msg.Header.Get("Subject"))
	}
	want := map[string]string{
		"From":           `"Throughcare" <noreply@throughcare.example>`,
		"To":             "jane@probation.example, team@probation.example",
		"Date":           "Mon, 01 Jun 2026 08:30:00 +0100",
		"Mime-Version":   "1.0",
		"Content-Type":   "text/plain; charset=utf-8",
		"Auto-Submitted": "auto-generated",
	}
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if id := msg.Header.Get("Message-Id"); !regexp.MustCompile(`^<[0-9a-f]{32}@throughcare\.example>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	body := readBody(t, msg)
	if want := strings.ReplaceAll(text, "\n", "\r\n"); body != want {
		t.Errorf("body:\n%q\nwant\n%q", body, want)
	}
	// Quoted-printable keeps body lines within 76 characters; header
	// lines stay within the hard limit of 998.
	head, rest, _ := strings.Cut(string(r.data), "\r\n\r\n")
	for line := range strings.Lines(head) {
		if len(line) > 998 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
	for line := range strings.Lines(rest) {
		if len(strings.TrimSuffix(line, "\r\n")) > 76 {
			t.Errorf("body line of %d characters: %q", len(line), line)
		}
	}
}

func TestSMTPSendsHTMLAlternative(t *testing.T) {
	ts := startServer(t, serverOpts{})
	err := client(ts.port).Send(context.Background(), Message{
		To: []string{"jane@probation.example"}, Subject: "Digest",
		Text: "Two new services.", HTML: "<p>Two <b>new</b> services — see them.</p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(ts.received()[0].data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("part encoding %q", p.Header.Get("Content-Transfer-Encoding"))
		}
		b, _ := io.ReadAll(quotedprintable.NewReader(p))
		types = append(types, p.Header.Get("Content-Type"))
		bodies = append(bodies, string(b))
	}
	if strings.Join(types, "|") != "text/plain; charset=utf-8|text/html; charset=utf-8" {
		t.Errorf("parts %v", types)
	}
	if len(bodies) != 2 || bodies[0] != "Two new services.\r\n" || bodies[1] != "<p>Two <b>new</b> services — see them.</p>\r\n" {
		t.Errorf("bodies %q", bodies)
	}
}

func TestSMTPAuthPlain(t *testing.T) {
	ts := startServer(t, serverOpts{auth: true, insecure: true})
	c := client(ts.port)
	m := Message{To: []string{"jane@probation.example"}, Subject: "Hi", Text: "Hello"}

	// Without credentials the server refuses the sender.
	if err := c.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "502 ") || errors.Is(err, context.Canceled) {
		t.Errorf("without AUTH: %v, want the server's 502", err)
	}
	c.Username, c.Password = "alice", "wrong"
	if err := c.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "authenticate as alice") {
		t.Errorf("wrong password: %v", err)
	}
	c.Password = "s3cret"
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatalf("right password: %v", err)
	}
	got := ts.received()
	if len(got) != 1 || got[0].user != "alice" {
		t.Errorf("received %+v", got)
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test mail server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSMTPTLSModes(t *testing.T) {
	cert, pool := selfSigned(t)
	srvConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	m := Message{To: []string{"jane@probation.example"}, Subject: "Secure", Text: "Hello over TLS"}

	for _, mode := range []TLSMode{TLSStartTLS, TLSImplicit} {
		ts := startServer(t, serverOpts{tlsConf: srvConf, implicit: mode == TLSImplicit, auth: true})
		c := client(ts.port)
		c.TLS, c.Username, c.Password = mode, "alice", "s3cret"
		c.TLSConfig = &tls.Config{RootCAs: pool}
		if err := c.Send(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if got := ts.received(); len(got) != 1 || got[0].user != "alice" {
			t.Errorf("%s: received %+v", mode, got)
		}
		// The system roots do not trust the test certificate.
		c.TLSConfig = nil
		if err := c.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s with an untrusted certificate: %v", mode, err)
		}
	}
}

func TestSMTPStartTLSIsRequired(t *testing.T) {
	ts := startServer(t, serverOpts{}) // offers no STARTTLS
	c := client(ts.port)
	c.TLS = TLSStartTLS
	err := c.Send(context.Background(), Message{To: []string{"a@example.org"}, Subject: "x", Text: "y"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("got %v, want a refusal to send without STARTTLS", err)
	}
	if len(ts.received()) != 0 {
		t.Error("a message was sent in the clear")
	}
}

func TestSMTPRejectedRecipient(t *testing.T) {
	ts := startServer(t, serverOpts{})
	err := client(ts.port).Send(context.Background(), Message{
		To: []string{"jane@example.org", "reject@example.org"}, Subject: "x", Text: "y"})
	if err == nil || !strings.Contains(err.Error(), "recipient") || !strings.Contains(err.Error(), "550") {
		t.Errorf("got %v", err)
	}
	// The error can be logged: it names no one's address, even where the
	// server quoted it back.
	if strings.Contains(err.Error(), "@example.org") {
		t.Errorf("the error quotes a recipient's address: %v", err)
	}
	var reply *textproto.Error
	if !errors.As(err, &reply) || reply.Code != 550 || !strings.Contains(reply.Msg, "reject@example.org") {
		t.Errorf("the server's reply is not reachable through the error: %v", err)
	}
	if len(ts.received()) != 0 {
		t.Error("a message was delivered despite a refused recipient")
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	ts := startServer(t, serverOpts{})
	c := client(ts.port)
	cases := []struct {
		m     Message
		field string
	}{
		{Message{To: []string{"a@example.org"}, Subject: "Hi\r\nBcc: victim@example.org", Text: "x"}, "subject"},
		{Message{To: []string{"a@example.org"}, Subject: "Hi\nX-Evil: 1", Text: "x"}, "subject"},
		{Message{To: []string{"a@example.org\r\nBcc: victim@example.org"}, Subject: "Hi", Text: "x"}, "to[0]"},
		{Message{To: []string{"a@example.org", "b@example.org\n"}, Subject: "Hi", Text: "x"}, "to[1]"},
		{Message{To: []string{"Jane <a@example.org>"}, Subject: "Hi", Text: "x"}, "to[0]"},
		{Message{To: []string{"not an address"}, Subject: "Hi", Text: "x"}, "to[0]"},
		{Message{To: []string{"jöhn@example.org"}, Subject: "Hi", Text: "x"}, "to[0]"},
		{Message{Subject: "Hi", Text: "x"}, "to"},
		{Message{To: []string{"a@example.org"}, Subject: " ", Text: "x"}, "subject"},
		{Message{To: []string{"a@example.org"}, Subject: strings.Repeat("s", 201), Text: "x"}, "subject"},
		{Message{To: []string{"a@example.org"}, Subject: "Hi", Text: ""}, "text"},
		{Message{To: []string{"a@example.org"}, Subject: "Hi", Text: "x", HTML: "\xff"}, "html"},
	}
	for i, c2 := range cases {
		err := c.Send(context.Background(), c2.m)
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != c2.field {
			t.Errorf("case %d: got %v, want a field error on %s", i, err, c2.field)
		}
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("%d messages were sent", n)
	}
	// A From with a line break is a configuration error.
	c.From = "noreply@example.org\r\nBcc: victim@example.org"
	err := c.Send(context.Background(), Message{To: []string{"a@example.org"}, Subject: "Hi", Text: "x"})
	if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "from") {
		t.Errorf("bad From: %v", err)
	}
}

func TestSMTPValidate(t *testing.T) {
	ok := func() SMTP {
		return SMTP{Host: "smtp.example.org", Port: 587, TLS: TLSStartTLS, From: "noreply@example.org", Username: "u", Password: "p"}
	}
	s := ok()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		edit  func(*SMTP)
		field string
	}{
		{func(s *SMTP) { s.Host = "" }, "host"},
		{func(s *SMTP) { s.Port = 0 }, "port"},
		{func(s *SMTP) { s.Port = 70000 }, "port"},
		{func(s *SMTP) { s.TLS = "ssl" }, "tls"},
		{func(s *SMTP) { s.TLS = "" }, "tls"},
		{func(s *SMTP) { s.From = "" }, "from"},
		{func(s *SMTP) { s.Username = "" }, "username"},
		{func(s *SMTP) { s.Password = "a\nb" }, "username"},
		{func(s *SMTP) { s.LocalName = "bad name" }, "local_name"},
	}
	for i, c := range cases {
		s := ok()
		c.edit(&s)
		var fe *apperr.FieldError
		if err := s.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("case %d: got %v, want a field error on %s", i, err, c.field)
		}
	}
	if m, err := ParseTLSMode("tls", "starttls"); err != nil || m != TLSStartTLS {
		t.Errorf("ParseTLSMode: %q, %v", m, err)
	}
}

func TestSMTPContextCancelled(t *testing.T) {
	ts := startServer(t, serverOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := client(ts.port).Send(ctx, Message{To: []string{"a@example.org"}, Subject: "x", Text: "y"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestSMTPStalledServerTimesOut(t *testing.T) {
	// A listener that accepts and never speaks: the send must give up at
	// the context deadline rather than hang.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = client(ln.Addr().(*net.TCPAddr).Port).Send(ctx, Message{To: []string{"a@example.org"}, Subject: "x", Text: "y"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a deadline error", err)
	}
}

func TestLogMailerOmitsBodies(t *testing.T) {
	var buf bytes.Buffer
	l := &Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	err := l.Send(context.Background(), Message{To: []string{"jane@example.org"}, Subject: "Reset your password",
		Text: "Open https://example.org/reset?t=SECRET-TOKEN", HTML: "<a href=\"https://example.org/reset?t=SECRET-TOKEN\">reset</a>"})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "SECRET-TOKEN") {
		t.Errorf("the log holds the body: %s", out)
	}
	for _, want := range []string{"jane@example.org", `subject="Reset your password"`, "text_bytes=45"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	if err := l.Send(context.Background(), Message{To: []string{"x@example.org"}, Subject: "a\nb", Text: "t"}); !errors.Is(err, apperr.Invalid) {
		t.Errorf("the log mailer accepted a bad subject: %v", err)
	}
}

func TestMemoryMailer(t *testing.T) {
	var m Memory
	to := []string{"a@example.org"}
	if err := m.Send(context.Background(), Message{To: to, Subject: "One", Text: "1"}); err != nil {
		t.Fatal(err)
	}
	to[0] = "changed@example.org"
	if err := m.Send(context.Background(), Message{To: to, Subject: "bad\n", Text: "2"}); err == nil {
		t.Error("an invalid message was kept")
	}
	got := m.Sent()
	if len(got) != 1 || got[0].To[0] != "a@example.org" || got[0].Subject != "One" {
		t.Errorf("Sent = %+v", got)
	}
}

var _ Mailer = (*SMTP)(nil)
var _ Mailer = (*Log)(nil)
var _ Mailer = (*Memory)(nil)
