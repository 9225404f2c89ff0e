// Package mailu holds the recipe tests of Co-op Cloud's mailu recipe (the
// Mailu mail server: its front, admin, IMAP, SMTP and antispam services):
// what recipe-test's custom stage runs against the deployed app. With plain
// `go test` only the parsing tests of the documented answers and the IMAP
// exchange run; the others skip, since no app is deployed.
//
// Unverified here: no Mailu image can be built or pulled on the machines
// these tests were written on. The requests and the answers they read
// follow Mailu's REST API v1 reference (the admin's /api/v1, its OpenAPI
// description), SMTP submission (RFC 6409, with AUTH PLAIN, RFC 4616) and
// IMAP4rev1 (RFC 3501).
package mailu

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The front's container ports the recipe routes (Traefik TCP routers).
const (
	submissionPort = 587
	imapPort       = 143
)

// api sends a REST API v1 request with the token ("" for none) and a JSON
// body (nil for none). Mailu takes the token itself as the Authorization
// header (its OpenAPI document's apiKey scheme; a "Bearer " prefix is also
// accepted).
func api(t *testing.T, c *harness.Client, method, path, token string, in any) *harness.Response {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.URL("/api/v1"+path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return c.Do(t, req)
}

// mailbox makes the run's mail domain (the run's domain; Mailu answers 409
// when it exists already) and a mailbox in it through the API, and reads the
// mailbox back.
func mailbox(t *testing.T, env *harness.Env, name string) (address, password string) {
	t.Helper()
	token := env.Secret(t, "api_token")
	c := env.HTTP()
	if r := api(t, c, http.MethodPost, "/domain", token, newDomain{Name: env.Domain}); r.Status != http.StatusOK && r.Status != http.StatusConflict {
		t.Fatalf("creating the domain %s: %s", env.Domain, r)
	}
	var d domain
	api(t, c, http.MethodGet, "/domain/"+url.PathEscape(env.Domain), token, nil).WantStatus(t, http.StatusOK).JSON(t, &d)
	if d.Name != env.Domain {
		t.Fatalf("domain %+v", d)
	}
	address = "rt-" + name + "-" + strings.ToLower(env.Credential(t, "mailbox-"+name)[:8]) + "@" + env.Domain
	password = env.Credential(t, "password-"+name)
	var created result
	api(t, c, http.MethodPost, "/user", token, newUser{Email: address, RawPassword: password, Comment: "recipe-test", EnableIMAP: true, QuotaBytes: 100000000}).
		WantStatus(t, http.StatusOK).JSON(t, &created)
	if created.Code != http.StatusOK {
		t.Fatalf("creating the mailbox %s: %+v", address, created)
	}
	var u user
	api(t, c, http.MethodGet, "/user/"+url.PathEscape(address), token, nil).WantStatus(t, http.StatusOK).JSON(t, &u)
	if u.Email != address || !u.Enabled || !u.EnableIMAP || u.Comment != "recipe-test" {
		t.Fatalf("mailbox %+v", u)
	}
	return address, password
}

// plainAuth is SASL PLAIN (RFC 4616). net/smtp's PlainAuth sends
// credentials only over TLS or to localhost; the run reaches the front
// through its ingress, where the recipe's TLS (Traefik's, or STARTTLS when
// the front offers it) is not the run's to check.
type plainAuth struct{ user, password string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// send submits a message over the front's submission port, authenticated.
func send(t *testing.T, env *harness.Env, from, password, to, message string) error {
	t.Helper()
	c, err := smtp.NewClient(env.DialTCP(t, "app", submissionPort), env.Domain)
	if err != nil {
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("recipe-test.invalid"); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		// The front's certificate is the recipe's (self-signed on a test
		// machine): what is checked is the mail, not the certificate.
		if err := c.StartTLS(&tls.Config{ServerName: env.Domain, InsecureSkipVerify: true}); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if err := c.Auth(plainAuth{from, password}); err != nil {
		return fmt.Errorf("AUTH PLAIN: %w", err)
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write([]byte(message)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("the message: %w", err)
	}
	return c.Quit()
}

// The front answers its health check (nginx's 204), and the API only the
// recipe's token: no header gets 401, a wrong token 403. Mailu counts a
// wrong token against the client's network (AUTH_RATELIMIT_IP, 5 an hour by
// default) and then answers 429 to every request from it: the suite sends
// one wrong token and one wrong IMAP password, no more.
func TestHealthAndAPIToken(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	c.Get(t, "/health").WantStatus(t, http.StatusNoContent)
	var e result
	api(t, c, http.MethodGet, "/domain", "", nil).WantStatus(t, http.StatusUnauthorized).JSON(t, &e)
	if e.Message == "" {
		t.Errorf("no token: %+v", e)
	}
	e = result{}
	api(t, c, http.MethodGet, "/domain", "x"+env.Secret(t, "api_token"), nil).WantStatus(t, http.StatusForbidden).JSON(t, &e)
	if e.Message == "" {
		t.Errorf("a wrong token: %+v", e)
	}
}

// The predecessor's test: a mailbox made through the admin API, a message
// sent to it over SMTP submission with authentication (from a second
// mailbox), and received over IMAP: LOGIN, SELECT INBOX, FETCH.
func TestMailboxSendReceive(t *testing.T) {
	env := harness.Load(t)
	to, toPassword := mailbox(t, env, "to")
	from, fromPassword := mailbox(t, env, "from")
	subject := "recipe-test " + strings.ToLower(env.Credential(t, "subject")[:12])
	message := "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\nMessage-ID: <" + strings.ToLower(env.Credential(t, "message-id")) + "@" + env.Domain + ">\r\n\r\nSent through Mailu by recipe-test.\r\n"
	if err := send(t, env, from, fromPassword, to, message); err != nil {
		t.Fatal(err)
	}

	var body string
	harness.WaitUntil(t, 2*time.Minute, 5*time.Second, func() error {
		i, err := newIMAP(env.DialTCP(t, "app", imapPort))
		if err != nil {
			return err
		}
		if _, err := i.cmd("LOGIN %s %s", quote(to), quote(toPassword)); err != nil {
			return err
		}
		sel, err := i.cmd("SELECT INBOX")
		if err != nil {
			return err
		}
		n, err := sel.exists()
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("the inbox is empty: the message has not been delivered yet")
		}
		f, err := i.cmd("FETCH %d BODY[]", n)
		if err != nil {
			return err
		}
		if body, err = f.body(); err != nil {
			return err
		}
		_, err = i.cmd("LOGOUT")
		return err
	})
	if !strings.Contains(body, "Subject: "+subject+"\r\n") || !strings.Contains(body, "Sent through Mailu by recipe-test.") {
		t.Errorf("the received message lacks its subject or text:\n%s", body)
	}
}

// IMAP refuses a wrong password for a mailbox the API made.
func TestIMAPRefusesWrongPassword(t *testing.T) {
	env := harness.Load(t)
	address, password := mailbox(t, env, "wrong")
	i, err := newIMAP(env.DialTCP(t, "app", imapPort))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.cmd("LOGIN %s %s", quote(address), quote(password+"x")); err == nil {
		t.Error("LOGIN with a wrong password succeeded")
	}
}

// The admin's login page renders in Chromium without console errors.
func TestLoginPageInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/sso/login"); status != http.StatusOK {
		t.Fatalf("GET /sso/login in the browser: %d", status)
	}
	b.WaitVisible(t, `form input[type="password"]`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "login")
}
