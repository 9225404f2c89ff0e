package mailu

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

// imapConn is a minimal IMAP4rev1 client (RFC 3501) for the suite's
// exchange: the greeting, LOGIN, SELECT, FETCH of a message's BODY[] and
// LOGOUT, with literals ({n} and n bytes) in answers. Mailu has no other
// client here, and the exchange is small enough not to need a library.
type imapConn struct {
	r   *bufio.Reader
	w   io.Writer
	tag int
}

// imapReply is a command's answer: the untagged lines, their literals
// inlined, and the tagged status line.
type imapReply struct {
	Untagged []string
	Status   string
}

func newIMAP(c io.ReadWriter) (*imapConn, error) {
	i := &imapConn{r: bufio.NewReader(c), w: c}
	line, err := i.line()
	if err != nil {
		return nil, fmt.Errorf("IMAP greeting: %w", err)
	}
	if !strings.HasPrefix(line, "* OK") {
		return nil, fmt.Errorf("IMAP greeting %q, want * OK", line)
	}
	return i, nil
}

// line reads one response line, with its literals read and inlined.
func (i *imapConn) line() (string, error) {
	var b strings.Builder
	for {
		s, err := i.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		s = strings.TrimRight(s, "\r\n")
		b.WriteString(s)
		n, ok := literal(s)
		if !ok {
			return b.String(), nil
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(i.r, lit); err != nil {
			return "", fmt.Errorf("literal of %d bytes: %w", n, err)
		}
		b.WriteString("\r\n")
		b.Write(lit)
	}
}

// literal says whether a line ends with {n}, announcing n bytes.
func literal(s string) (int, bool) {
	if !strings.HasSuffix(s, "}") {
		return 0, false
	}
	open := strings.LastIndexByte(s, '{')
	if open < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(s[open+1 : len(s)-1])
	return n, err == nil && n >= 0
}

// cmd sends a command and reads its answer up to its tagged status, which
// must be OK.
func (i *imapConn) cmd(format string, args ...any) (imapReply, error) {
	i.tag++
	tag := fmt.Sprintf("a%d", i.tag)
	command := fmt.Sprintf(format, args...)
	if _, err := fmt.Fprintf(i.w, "%s %s\r\n", tag, command); err != nil {
		return imapReply{}, err
	}
	verb, _, _ := strings.Cut(command, " ")
	var r imapReply
	for {
		line, err := i.line()
		if err != nil {
			return r, fmt.Errorf("IMAP %s: %w", verb, err)
		}
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			r.Status = rest
			if !strings.HasPrefix(rest, "OK") {
				return r, fmt.Errorf("IMAP %s: %s", verb, rest)
			}
			return r, nil
		}
		r.Untagged = append(r.Untagged, line)
	}
}

// quote makes an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// exists is the message count a SELECT answered (* n EXISTS).
func (r imapReply) exists() (int, error) {
	for _, l := range r.Untagged {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "*" && f[2] == "EXISTS" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("no EXISTS in %q", r.Untagged)
}

// body is the message a FETCH of BODY[] answered: its literal.
func (r imapReply) body() (string, error) {
	for _, l := range r.Untagged {
		_, after, ok := strings.Cut(l, "BODY[] {")
		if !strings.Contains(l, "FETCH (") || !ok {
			continue
		}
		size, msg, ok := strings.Cut(after, "}\r\n")
		n, err := strconv.Atoi(size)
		if !ok || err != nil || n > len(msg) {
			return "", fmt.Errorf("a malformed BODY[] literal in %q", l)
		}
		return msg[:n], nil // the rest of the line follows the literal
	}
	return "", fmt.Errorf("no BODY[] literal in %d untagged lines", len(r.Untagged))
}

// The client holds RFC 3501's exchange as the documented session
// (testdata/imap-session.txt) answers it: the greeting, LOGIN with quoted
// strings, SELECT's EXISTS, FETCH's literal, LOGOUT; a NO is an error.
func TestIMAPExchange(t *testing.T) {
	session, err := fixtures.ReadFile("testdata/imap-session.txt")
	if err != nil {
		t.Fatal(err)
	}
	client, server := net.Pipe()
	defer client.Close()
	sent := make(chan string, 8)
	go func() {
		defer server.Close()
		r := bufio.NewReader(server)
		answers := string(session)
		greeting, rest, _ := strings.Cut(answers, "\r\n")
		io.WriteString(server, greeting+"\r\n")
		for tag := 1; rest != ""; tag++ {
			cmd, err := r.ReadString('\n')
			if err != nil {
				return
			}
			sent <- strings.TrimRight(cmd, "\r\n")
			end := fmt.Sprintf("a%d ", tag)
			i := strings.Index(rest, end)
			if i < 0 {
				return
			}
			j := strings.Index(rest[i:], "\r\n") + i + 2
			io.WriteString(server, rest[:j])
			rest = rest[j:]
		}
	}()
	i, err := newIMAP(client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.cmd("LOGIN %s %s", quote(`rt@mail.example.com`), quote(`pa"ss\w`)); err != nil {
		t.Fatal(err)
	}
	if got := <-sent; got != `a1 LOGIN "rt@mail.example.com" "pa\"ss\\w"` {
		t.Errorf("sent %q", got)
	}
	sel, err := i.cmd("SELECT INBOX")
	<-sent
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sel.exists(); n != 1 || err != nil {
		t.Errorf("EXISTS %d, %v", n, err)
	}
	f, err := i.cmd("FETCH 1 BODY[]")
	<-sent
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.body()
	if err != nil || !strings.HasPrefix(body, "Subject: recipe-test token\r\n") || !strings.HasSuffix(body, "Hello token") {
		t.Errorf("body %q, %v", body, err)
	}
	if _, err := i.cmd("LOGOUT"); err != nil {
		t.Error(err)
	}

	if _, err := (imapReply{Untagged: []string{"* FLAGS ()"}}).exists(); err == nil {
		t.Error("a SELECT without EXISTS was accepted")
	}
	if _, err := (imapReply{Untagged: []string{"* 1 FETCH (FLAGS (\\Seen))"}}).body(); err == nil {
		t.Error("a FETCH without a body was accepted")
	}
	no, srv := net.Pipe()
	defer no.Close()
	go func() {
		defer srv.Close()
		io.WriteString(srv, "* OK ready\r\n")
		bufio.NewReader(srv).ReadString('\n')
		io.WriteString(srv, "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
	}()
	j, err := newIMAP(no)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.cmd("LOGIN a b"); err == nil || !strings.Contains(err.Error(), "AUTHENTICATIONFAILED") {
		t.Errorf("a refused LOGIN: %v", err)
	}
}
