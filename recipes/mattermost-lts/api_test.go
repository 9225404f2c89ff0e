package mattermostlts

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// user is Mattermost's User object (what creating a user, logging in and
// /users/me answer).
type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Roles    string `json:"roles"`
	DeleteAt int64  `json:"delete_at"`
}

// hasRole says whether the user's space-separated roles hold role.
func (u user) hasRole(role string) bool {
	return slices.Contains(strings.Fields(u.Roles), role)
}

// team is the Team object.
type team struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Type        string `json:"type"`
}

// channel is the Channel object.
type channel struct {
	ID          string `json:"id"`
	TeamID      string `json:"team_id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Type        string `json:"type"`
	CreatorID   string `json:"creator_id"`
}

// post is the Post object.
type post struct {
	ID        string `json:"id"`
	CreateAt  int64  `json:"create_at"`
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	Message   string `json:"message"`
}

// postList is the answer of GET /channels/{channel_id}/posts: the posts by
// id, and their ids in order, newest first.
type postList struct {
	Order []string        `json:"order"`
	Posts map[string]post `json:"posts"`
}

// find returns the listed post with the id, checking that the order lists
// it too.
func (l postList) find(id string) (post, error) {
	p, ok := l.Posts[id]
	if !ok {
		return post{}, fmt.Errorf("post %s not in the list (%d posts)", id, len(l.Posts))
	}
	if !slices.Contains(l.Order, id) {
		return post{}, fmt.Errorf("post %s listed but not in the order %v", id, l.Order)
	}
	return p, nil
}

// ping is the answer of GET /api/v4/system/ping.
type ping struct {
	Status string `json:"status"`
}

// appError is Mattermost's error body.
type appError struct {
	ID         string `json:"id"`
	Message    string `json:"message"`
	StatusCode int    `json:"status_code"`
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var u user
	decodeFixture(t, "user.json", &u)
	if u.ID == "" || u.Username == "" || !u.hasRole("system_admin") || !u.hasRole("system_user") || u.hasRole("system") {
		t.Errorf("user %+v", u)
	}
	var tm team
	decodeFixture(t, "team.json", &tm)
	if tm.ID == "" || tm.Name == "" || tm.Type != "O" {
		t.Errorf("team %+v", tm)
	}
	var ch channel
	decodeFixture(t, "channel.json", &ch)
	if ch.ID == "" || ch.TeamID == "" || ch.Type != "O" || ch.CreatorID == "" {
		t.Errorf("channel %+v", ch)
	}
	var p post
	decodeFixture(t, "post.json", &p)
	if p.ID == "" || p.ChannelID == "" || p.UserID == "" || p.Message == "" {
		t.Errorf("post %+v", p)
	}
	var l postList
	decodeFixture(t, "post-list.json", &l)
	got, err := l.find("post_id_2")
	if err != nil || got.Message != "an older message" || got.ChannelID != "channel_id_1" {
		t.Errorf("post_id_2: %+v, %v", got, err)
	}
	if _, err := l.find("post_id_3"); err == nil {
		t.Error("a post the list lacks was found")
	}
	l.Order = l.Order[:1]
	if _, err := l.find("post_id_2"); err == nil {
		t.Error("a post missing from the order was accepted")
	}
	var pg ping
	decodeFixture(t, "ping.json", &pg)
	if pg.Status != "OK" {
		t.Errorf("ping %+v", pg)
	}
	var e appError
	decodeFixture(t, "error-unauthorized.json", &e)
	if e.StatusCode != 401 || e.ID == "" || e.Message == "" {
		t.Errorf("error %+v", e)
	}
}
