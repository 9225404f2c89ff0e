package discourse

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// post is Discourse's post: the answer of POST /posts.json (a new topic's
// first post) and of GET /posts/{id}.json (which adds raw).
type post struct {
	ID         int    `json:"id"`
	TopicID    int    `json:"topic_id"`
	TopicSlug  string `json:"topic_slug"`
	PostNumber int    `json:"post_number"`
	Username   string `json:"username"`
	Cooked     string `json:"cooked"`
	Raw        string `json:"raw"`
}

// topic is the answer of GET /t/{id}.json: the topic and its posts.
type topic struct {
	ID         int    `json:"id"`
	Title      string `json:"title"`
	Slug       string `json:"slug"`
	PostsCount int    `json:"posts_count"`
	Archetype  string `json:"archetype"`
	PostStream struct {
		Posts  []post `json:"posts"`
		Stream []int  `json:"stream"`
	} `json:"post_stream"`
}

// firstPost returns the topic's post number 1, checking that the stream
// lists it.
func (tp topic) firstPost() (post, error) {
	for _, p := range tp.PostStream.Posts {
		if p.PostNumber != 1 {
			continue
		}
		for _, id := range tp.PostStream.Stream {
			if id == p.ID {
				return p, nil
			}
		}
		return post{}, fmt.Errorf("topic %d: post %d is not in the stream %v", tp.ID, p.ID, tp.PostStream.Stream)
	}
	return post{}, fmt.Errorf("topic %d: no first post among %d posts", tp.ID, len(tp.PostStream.Posts))
}

// apiError is Discourse's error body.
type apiError struct {
	Errors    []string `json:"errors"`
	ErrorType string   `json:"error_type"`
}

// apiKeyLine is the line the suite's rails runner prints: the key Discourse
// shows once, when it is made, 64 hexadecimal characters.
var apiKeyLine = regexp.MustCompile(`^api_key=([0-9a-f]{64})$`)

// parseAPIKey finds the key in the runner's output, which Rails' log lines
// may precede. Its errors never quote the output's key-like lines.
func parseAPIKey(stdout string) (string, error) {
	var key string
	for line := range strings.Lines(stdout) {
		if m := apiKeyLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			if key != "" {
				return "", errors.New("rails runner printed more than one api_key= line")
			}
			key = m[1]
		}
	}
	if key == "" {
		return "", fmt.Errorf("rails runner printed no api_key= line of 64 hexadecimal characters (%d bytes of output)", len(stdout))
	}
	return key, nil
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json testdata/*.txt
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var created post
	decodeFixture(t, "created-post.json", &created)
	if created.ID == 0 || created.TopicID == 0 || created.PostNumber != 1 || created.Username != "system" || created.TopicSlug == "" {
		t.Errorf("created post %+v", created)
	}
	var tp topic
	decodeFixture(t, "topic.json", &tp)
	if tp.ID != created.TopicID || tp.Title == "" || tp.PostsCount != 1 || tp.Archetype != "regular" {
		t.Errorf("topic %+v", tp)
	}
	first, err := tp.firstPost()
	if err != nil || first.ID != created.ID || !strings.Contains(first.Cooked, "read it back") {
		t.Errorf("first post %+v, %v", first, err)
	}
	tp.PostStream.Stream = nil
	if _, err := tp.firstPost(); err == nil {
		t.Error("a first post missing from the stream was accepted")
	}
	tp.PostStream.Posts = nil
	if _, err := tp.firstPost(); err == nil {
		t.Error("a topic without posts has a first post")
	}
	var single post
	decodeFixture(t, "single-post.json", &single)
	if single.ID != created.ID || single.Raw == "" || strings.Contains(single.Raw, "<p>") {
		t.Errorf("single post %+v", single)
	}
	var e apiError
	decodeFixture(t, "error-invalid-access.json", &e)
	if e.ErrorType != "invalid_access" || len(e.Errors) != 1 {
		t.Errorf("invalid access %+v", e)
	}
	e = apiError{}
	decodeFixture(t, "error-unprocessable.json", &e)
	if len(e.Errors) == 0 || e.ErrorType != "" {
		t.Errorf("unprocessable %+v", e)
	}
}

// The runner's key is found among Rails' log lines; no key, a malformed
// one or two are refused without quoting them.
func TestParseAPIKey(t *testing.T) {
	out, err := fixtures.ReadFile("testdata/rails-runner-output.txt")
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseAPIKey(string(out))
	if err != nil || len(key) != 64 {
		t.Fatalf("key %q, %v", key, err)
	}
	for _, bad := range []string{"", "INFO -- : nothing\n", "api_key=" + key[:63] + "\n", "api_key=" + strings.ToUpper(key) + "\n", string(out) + "api_key=" + key + "\n"} {
		if k, err := parseAPIKey(bad); err == nil {
			t.Errorf("%q: key %q accepted", bad, k)
		} else if strings.Contains(err.Error(), key[:16]) || strings.Contains(err.Error(), strings.ToUpper(key[:16])) {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}
