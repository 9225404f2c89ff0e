package discourse

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// newTopic is the body of POST /posts.json (createTopicPostPM) that makes a
// topic: its title and its first post's Markdown (raw, the one property the
// reference requires).
type newTopic struct {
	Title string `json:"title"`
	Raw   string `json:"raw"`
}

// post is Discourse's post as the reference documents it in the answers of
// POST /posts.json (createTopicPostPM: a new topic's first post), GET
// /posts/{id}.json (getPost) and, in post_stream.posts, GET /t/{id}.json
// (getTopic). The reference requires every field read here in all three
// but raw, which only getPost's answer requires (omitempty: a fixture may
// lack it).
type post struct {
	ID         int    `json:"id"`
	TopicID    int    `json:"topic_id"`
	TopicSlug  string `json:"topic_slug"`
	PostNumber int    `json:"post_number"`
	Username   string `json:"username"`
	Cooked     string `json:"cooked"`
	Raw        string `json:"raw,omitempty"`
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

// apiError is Discourse's error body (render_json_error): the messages,
// and for a refusal such as a key it does not know, their type. The API
// reference documents no error answers; this shape is the source's.
type apiError struct {
	Errors    []string `json:"errors"`
	ErrorType string   `json:"error_type,omitempty"`
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

// decodeFixture decodes a documented answer into out, after checking that
// the answer has every field out's type reads (shape.Missing): a field the
// suite reads under a name the document does not have fails here, not as a
// zero value against the app.
func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
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
	if single.ID != created.ID || single.TopicID != tp.ID || single.Raw == "" || strings.Contains(single.Raw, "<p>") {
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

// The suite's topic is the documented request body of POST /posts.json
// (testdata/create-topic-request.json): no property the reference does not
// list, and the one it requires, raw.
func TestNewTopicRequest(t *testing.T) {
	b, err := json.Marshal(newTopic{Title: "A topic made by recipe-test", Raw: "The first post of a topic."})
	if err != nil {
		t.Fatal(err)
	}
	var sent, doc map[string]any
	if err := json.Unmarshal(b, &sent); err != nil {
		t.Fatal(err)
	}
	decodeFixture(t, "create-topic-request.json", &doc)
	for k := range sent {
		if _, ok := doc[k]; !ok {
			t.Errorf("the suite sends %q, which POST /posts.json does not document", k)
		}
	}
	if _, ok := sent["raw"]; !ok {
		t.Error("the suite does not send raw, which POST /posts.json requires")
	}
}

// A documented answer lacking a field the suite reads is refused, naming
// it; an optional one (omitempty) may be absent.
func TestDocumentedFieldsChecked(t *testing.T) {
	doc := map[string]any{"id": 1.0, "post_number": 1.0, "username": "system", "cooked": "<p>x</p>", "topic_slug": "x"}
	if err := shape.Missing(doc, reflect.TypeOf(post{})); err == nil || !strings.Contains(err.Error(), "$.topic_id is missing") {
		t.Errorf("a post without topic_id: %v", err)
	}
	doc["topic_id"] = 2.0
	if err := shape.Missing(doc, reflect.TypeOf(post{})); err != nil {
		t.Errorf("a post without raw: %v", err)
	}
	nested := map[string]any{"id": 1.0, "title": "t", "slug": "t", "posts_count": 1.0, "archetype": "regular",
		"post_stream": map[string]any{"posts": []any{map[string]any{"id": 1.0}}, "stream": []any{1.0}}}
	if err := shape.Missing(nested, reflect.TypeOf(topic{})); err == nil || !strings.Contains(err.Error(), "$.post_stream.posts[0].topic_id is missing") {
		t.Errorf("a topic whose post lacks topic_id: %v", err)
	}
	if err := shape.Missing(map[string]any{"errors": "one"}, reflect.TypeOf(apiError{})); err == nil {
		t.Error("errors as a string was accepted")
	}
}
