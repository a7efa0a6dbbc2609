package main

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/store"
)

// freshMailSink is an SMTP server on 127.0.0.1 that keeps the recipients and
// text of every message it is given.
type freshMailSink struct {
	port int
	mu   sync.Mutex
	to   []string
	data []string
}

func startFreshMailSink(t *testing.T) *freshMailSink {
	t.Helper()
	ms := &freshMailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &freshSinkSession{ms: ms}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); ln.Close(); <-done })
	return ms
}

func (ms *freshMailSink) messages() (to, data []string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]string(nil), ms.to...), append([]string(nil), ms.data...)
}

type freshSinkSession struct {
	ms *freshMailSink
	to string
}

func (s *freshSinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *freshSinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *freshSinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	s.ms.to = append(s.ms.to, s.to)
	s.ms.data = append(s.ms.data, string(b))
	return nil
}
func (s *freshSinkSession) Reset()        {}
func (s *freshSinkSession) Logout() error { return nil }

func TestRemindersAndDigestCommands(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "fresh.db")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// One listing last confirmed long ago, owned by an organisation with
	// one provider.
	hsdsOrg, svc := directory.NameUUID("cmd:org"), directory.NameUUID("cmd:service")
	_, err = db.ImportDataset(ctx, &directory.Dataset{
		Organizations: []directory.Organization{{ID: hsdsOrg, Name: "Eastgate Minds"}},
		Services:      []directory.Service{{ID: svc, OrganizationID: hsdsOrg, Name: "Eastgate Counselling", Status: "active", AssuredDate: "2020-01-02", LastModified: "2020-01-02T10:00:00Z"}},
	}, store.ImportSource{Name: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	org, err := db.CreateOrganisation(ctx, account.Organisation{Name: "Eastgate Minds", Kind: account.KindVoluntary, HSDSOrganizationID: hsdsOrg}, audit.Event{Action: audit.OrgCreated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, account.User{Email: "pat@example.org", Name: "Pat", Memberships: []account.Membership{{OrgID: org.ID, Role: account.RoleProvider}}}, "", audit.Event{Action: audit.UserCreated}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	sink := startFreshMailSink(t)
	env := map[string]string{
		"THROUGHCARE_DB": dsn, "THROUGHCARE_BASE_URL": "https://throughcare.example",
		"THROUGHCARE_LINK_KEY": "command-test-link-key-of-32-byte", "THROUGHCARE_SMTP_HOST": "127.0.0.1",
		"THROUGHCARE_SMTP_PORT": strconv.Itoa(sink.port), "THROUGHCARE_SMTP_TLS": "none",
	}
	out, _, err := runCmd(t, env, "reminders")
	if err != nil || !strings.HasPrefix(out, "reminded about 1 stale listings in 1 emails") {
		t.Fatalf("reminders: %q, %v", out, err)
	}
	to, data := sink.messages()
	if len(to) != 1 || to[0] != "pat@example.org" || !strings.Contains(data[0], "Eastgate Counselling") || !strings.Contains(data[0], "https://throughcare.example/listings/assure?token=3D") {
		t.Fatalf("sent to %q: %q", to, data)
	}
	// Run again, as cron would: nothing more goes out.
	if out, _, err := runCmd(t, env, "reminders"); err != nil || !strings.HasPrefix(out, "reminded about 0 stale listings in 0 emails") {
		t.Errorf("second run: %q, %v", out, err)
	}
	// A period long enough leaves the listing fresh.
	if out, _, err := runCmd(t, env, "reminders", "--stale-after", "20000d"); err != nil || !strings.HasPrefix(out, "reminded about 0") {
		t.Errorf("long period: %q, %v", out, err)
	}
	if out, _, err := runCmd(t, env, "digest"); err != nil || out != "0 subscribers were due a digest; sent 0\n" {
		t.Errorf("digest: %q, %v", out, err)
	}
	if to, _ := sink.messages(); len(to) != 1 {
		t.Errorf("%d e-mails in all, want 1", len(to))
	}

	// What the commands need.
	without := func(k string) map[string]string {
		m := map[string]string{}
		for kk, v := range env {
			if kk != k {
				m[kk] = v
			}
		}
		return m
	}
	for _, tt := range []struct {
		cmd   string
		env   map[string]string
		args  []string
		field string
	}{
		{"reminders", without("THROUGHCARE_BASE_URL"), nil, "base-url"},
		{"digest", without("THROUGHCARE_SMTP_HOST"), nil, "smtp-host"},
		{"reminders", without("THROUGHCARE_LINK_KEY"), nil, "link-key"},
		{"reminders", env, []string{"--stale-after", "soon"}, "stale-after"},
		{"digest", env, []string{"--stale-after", "2h"}, "stale-after"},
	} {
		_, _, err := runCmd(t, tt.env, append([]string{tt.cmd}, tt.args...)...)
		if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != tt.field || exitCode(err) != 2 {
			t.Errorf("%s %v: %v, want an error naming %s", tt.cmd, tt.args, err, tt.field)
		}
	}
}

func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"183d": 183 * 24 * time.Hour, " 7d ": 7 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if got, err := parseDays(in); err != nil || got != want {
			t.Errorf("parseDays(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "1.5d", "a week"} {
		if _, err := parseDays(bad); err == nil {
			t.Errorf("parseDays(%q) succeeded", bad)
		}
	}
	if got := formatDays(183 * 24 * time.Hour); got != "183d" {
		t.Errorf("formatDays = %q", got)
	}
}
