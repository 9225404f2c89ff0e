package drone

import (
	"embed"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// user is a Drone account as its API answers (GET /api/user, /api/users,
// POST /api/users); Token is set only when a machine account is made.
type user struct {
	ID      int64  `json:"id"`
	Login   string `json:"login"`
	Machine bool   `json:"machine"`
	Admin   bool   `json:"admin"`
	Active  bool   `json:"active"`
	Token   string `json:"token,omitempty"`
}

// repo is a repository of GET /api/user/repos.
type repo struct {
	ID            int64  `json:"id"`
	Namespace     string `json:"namespace"`
	Name          string `json:"name"`
	Slug          string `json:"slug"`
	DefaultBranch string `json:"default_branch"`
	Active        bool   `json:"active"`
}

// build is a build of GET /api/repos/{owner}/{name}/builds.
type build struct {
	ID     int64  `json:"id"`
	Number int64  `json:"number"`
	Status string `json:"status"`
	Event  string `json:"event"`
	Target string `json:"target"`
	After  string `json:"after"`
	Sender string `json:"sender"`
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
	var m user
	decodeFixture(t, "user-machine.json", &m)
	if m.Login != "rt-bot" || !m.Machine || m.Admin || m.Token == "" || m.ID == 0 {
		t.Errorf("machine account %+v", m)
	}
	var users []user
	decodeFixture(t, "users.json", &users)
	if len(users) != 1 || users[0].Login != "admin" || !users[0].Admin || users[0].Token != "" {
		t.Errorf("users %+v", users)
	}
	var repos []repo
	decodeFixture(t, "repos.json", &repos)
	if len(repos) != 1 || repos[0].Slug != repos[0].Namespace+"/"+repos[0].Name || repos[0].DefaultBranch != "main" || !repos[0].Active {
		t.Errorf("repos %+v", repos)
	}
	var builds []build
	decodeFixture(t, "builds.json", &builds)
	if len(builds) != 1 || builds[0].Number != 1 || builds[0].Target != "main" || builds[0].Status == "" {
		t.Errorf("builds %+v", builds)
	}
}
