package shape

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

type (
	post struct {
		ID      int64  `json:"id"`
		TopicID int64  `json:"topic_id"`
		Raw     string `json:"raw,omitempty"`
		private string // not read from JSON: never wanted
	}
	stream struct {
		Posts []post `json:"posts"`
	}
	topic struct {
		Title  string  `json:"title"`
		Stream *stream `json:"post_stream"`
		Ignore string  `json:"-"`
		Named          // embedded: its fields are the topic's
	}
	Named struct {
		Slug string
	}
)

func TestMissing(t *testing.T) {
	_ = post{}.private
	for name, c := range map[string]struct {
		doc  any
		typ  any
		want string // "" = no error
	}{
		"complete":                {map[string]any{"id": 1.0, "topic_id": 2.0}, post{}, ""},
		"omitempty may be absent": {map[string]any{"id": 1.0, "topic_id": 2.0, "extra": true}, post{}, ""},
		"a field read is absent":  {map[string]any{"id": 1.0}, post{}, "$.topic_id is missing: shape.post.TopicID reads it"},
		"not an object":           {[]any{}, post{}, "$: []interface {}, want an object for shape.post"},
		"nested in a slice": {map[string]any{"title": "t", "Slug": "s", "post_stream": map[string]any{"posts": []any{
			map[string]any{"id": 1.0, "topic_id": 1.0}, map[string]any{"id": 2.0}}}}, topic{}, "$.post_stream.posts[1].topic_id is missing"},
		"not an array":        {map[string]any{"title": "t", "Slug": "s", "post_stream": map[string]any{"posts": "none"}}, topic{}, "$.post_stream.posts: string, want an array"},
		"embedded field read": {map[string]any{"title": "t", "post_stream": map[string]any{"posts": []any{}}}, topic{}, "$.Slug is missing"},
		"pointer to the type": {map[string]any{"id": 1.0, "topic_id": 2.0}, &post{}, ""},
	} {
		err := Missing(c.doc, reflect.TypeOf(c.typ))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestDecodeAndFixture(t *testing.T) {
	var p post
	if err := Decode([]byte(`{"id": 7, "topic_id": 9, "raw": "x"}`), &p); err != nil || p.ID != 7 || p.TopicID != 9 || p.Raw != "x" {
		t.Errorf("Decode: %+v, %v", p, err)
	}
	if err := Decode([]byte(`{"id": 7}`), &p); err == nil || !strings.Contains(err.Error(), "topic_id is missing") {
		t.Errorf("Decode of a document without topic_id: %v", err)
	}
	if err := Decode([]byte(`{"id": `), &p); err == nil {
		t.Error("Decode of broken JSON succeeded")
	}
	fsys := fstest.MapFS{"testdata/post.json": {Data: []byte(`{"id": 1, "topic_id": 2}`)}}
	var got post
	Fixture(t, fsys, "testdata/post.json", &got)
	if got.TopicID != 2 {
		t.Errorf("Fixture: %+v", got)
	}
}
