// Package forgetest is test support for code that talks to a forge: a fake
// of GitHub's REST API, which cannot be reached from where the tests run
// (Gitea, which can, is tested for real: internal/testenv). The fake
// answers what recipe-test asks of GitHub with the status codes, JSON
// shapes and headers GitHub documents (docs.github.com/rest): users,
// repositories (get, create for an organisation or the token's user),
// issue comments, commit statuses and pull requests (get, list with
// filters, create, update), Link pagination, rate-limit headers and its
// error bodies (401 Bad credentials, 403, 404 Not Found, 422 Validation
// Failed). A repository's clone_url is a local bare git repository, so
// git clones and pushes against it are real. Faults (rate limits, 5xx,
// redirects, slow answers) are injected per request.
//
// Only tests import it: the recipe-test binary links no test support
// (internal/cli's TestBinaryLinksNoTestSupport).
package forgetest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// WorkflowBot is the login that writes the comments of an installation
// token, such as the Actions workflow's GITHUB_TOKEN.
const WorkflowBot = "github-actions[bot]"

// GitHub is a fake GitHub API server, closed when the test ends.
type GitHub struct {
	// URL is the API's base URL, the stand-in for https://api.github.com
	// (no trailing slash).
	URL string

	srv *httptest.Server
	mux *http.ServeMux
	dir string // the repositories' bare git repositories

	mu       sync.Mutex
	tokens   map[string]*Account
	users    map[string]string // login -> "User", "Organization" or "Bot"
	repos    map[string]*repository
	nextID   int64
	requests []string
	faults   map[string][]Fault
}

// Account is who a token acts for.
type Account struct {
	// Login is the token's user; "" makes it an installation token (the
	// workflow's GITHUB_TOKEN): GET /user answers 403 "Resource not
	// accessible by integration" and its comments are WorkflowBot's.
	Login string
	// NoCreate refuses it the creation of repositories (403), as a
	// fine-grained token without administration: write.
	NoCreate bool

	used int // requests made, for the rate-limit headers
}

// Fault is an answer given instead of the normal one, to the next request
// of its key. With Apply the request is done first and its answer
// replaced (a proxy that timed out waiting for a forge that did the
// work). Delay holds the answer back; a Fault with only a Delay then
// answers normally.
type Fault struct {
	Status int
	Header map[string]string
	// Message is the error body's message; Body, when set, is sent as the
	// body instead (JSON).
	Message string
	Body    string
	Apply   bool
	Delay   time.Duration
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID     int64
	Author string // login
	Body   string
}

// Status is a commit status as it was set.
type Status struct {
	State, Context, Description, TargetURL string
}

// Pull is a pull request.
type Pull struct {
	Number      int
	State       string // open | closed
	Merged      bool
	Title, Body string
	Head, Base  string // branches of the same repository
	// HeadSHA is the head branch's commit: read from the repository's git
	// while the pull request is open and the branch exists there.
	HeadSHA string
	Author  string
}

// Repo is a repository as GitHub shows it.
type Repo struct {
	Owner, Name   string
	Description   string
	Homepage      string
	DefaultBranch string
	Private       bool
	// GitURL is its clone_url: a file:// URL of a local bare repository.
	GitURL string
}

// RepoOptions describe a repository AddRepo makes.
type RepoOptions struct {
	// Source, when set, is a git repository whose branches and tags the
	// new one holds; its HEAD branch becomes the default branch.
	Source string
	// ReadOnly: tokens may read but not push (permissions.push false).
	ReadOnly    bool
	Description string
	Homepage    string
}

type repository struct {
	Repo
	id       int64
	readOnly bool
	admin    bool // made by a token, which administers it
	pulls    []*Pull
	comments map[int][]Comment   // by issue (pull request) number
	statuses map[string][]Status // by commit
}

// NewGitHub starts a fake GitHub with no users, tokens or repositories.
func NewGitHub(t testing.TB) *GitHub {
	t.Helper()
	g := &GitHub{dir: t.TempDir(), tokens: map[string]*Account{}, users: map[string]string{WorkflowBot: "Bot"},
		repos: map[string]*repository{}, nextID: 1000, faults: map[string][]Fault{}}
	g.routes()
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	g.URL = g.srv.URL
	t.Cleanup(g.srv.Close)
	return g
}

// AddToken makes token valid for a; its user exists from then on.
func (g *GitHub) AddToken(token string, a Account) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[token] = &a
	if a.Login != "" {
		g.users[a.Login] = "User"
	}
}

// AddUser makes login a user; AddOrg an organisation.
func (g *GitHub) AddUser(login string) { g.setUser(login, "User") }

// AddOrg makes login an organisation.
func (g *GitHub) AddOrg(login string) { g.setUser(login, "Organization") }

func (g *GitHub) setUser(login, typ string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users[login] = typ
}

// AddRepo makes owner/name, owned by a user or organisation added before.
func (g *GitHub) AddRepo(t testing.TB, owner, name string, o RepoOptions) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.users[owner] == "" {
		t.Fatalf("forgetest: AddRepo %s/%s: no user or organisation %s", owner, name, owner)
	}
	r, err := g.newRepo(owner, name, o.Description, o.Homepage)
	if err != nil {
		t.Fatalf("forgetest: AddRepo %s/%s: %v", owner, name, err)
	}
	r.readOnly = o.ReadOnly
	if o.Source != "" {
		if r.DefaultBranch, err = copyRefs(o.Source, bare(r.GitURL)); err != nil {
			t.Fatalf("forgetest: AddRepo %s/%s from %s: %v", owner, name, o.Source, err)
		}
	}
}

// newRepo makes a repository with an empty bare git repository; the
// caller holds g.mu.
func (g *GitHub) newRepo(owner, name, description, homepage string) (*repository, error) {
	dir := filepath.Join(g.dir, owner, name+".git")
	if _, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{Bare: true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}}); err != nil {
		return nil, err
	}
	g.nextID++
	r := &repository{Repo: Repo{Owner: owner, Name: name, Description: description, Homepage: homepage, DefaultBranch: "main",
		GitURL: "file://" + dir}, id: g.nextID, comments: map[int][]Comment{}, statuses: map[string][]Status{}}
	g.repos[owner+"/"+name] = r
	return r, nil
}

func bare(gitURL string) string { return gitURL[len("file://"):] }

// copyRefs pushes every branch and tag of src to the bare repository dst
// and points dst's HEAD at src's HEAD branch, which it returns.
func copyRefs(src, dst string) (string, error) {
	repo, err := git.PlainOpen(src)
	if err != nil {
		return "", err
	}
	head, err := repo.Head()
	if err != nil {
		return "", err
	}
	rem := git.NewRemote(repo.Storer, &config.RemoteConfig{Name: "github", URLs: []string{dst}})
	err = rem.Push(&git.PushOptions{RemoteName: "github", RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}})
	if err != nil {
		return "", err
	}
	to, err := git.PlainOpen(dst)
	if err != nil {
		return "", err
	}
	if err := to.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, head.Name())); err != nil {
		return "", err
	}
	return head.Name().Short(), nil
}

// Repo returns owner/name as it is now.
func (g *GitHub) Repo(fullName string) (Repo, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.repos[fullName]
	if !ok {
		return Repo{}, false
	}
	return r.Repo, true
}

// Repos lists the repositories' full names, sorted.
func (g *GitHub) Repos() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, 0, len(g.repos))
	for n := range g.repos {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AddPull adds a pull request to a repository and returns its number
// (p.Number, or the next one when 0). State defaults to open.
func (g *GitHub) AddPull(t testing.TB, fullName string, p Pull) int {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.repos[fullName]
	if !ok {
		t.Fatalf("forgetest: AddPull: no repository %s", fullName)
	}
	if p.Number == 0 {
		p.Number = r.nextNumber()
	}
	if p.State == "" {
		p.State = "open"
	}
	r.pulls = append(r.pulls, &p)
	return p.Number
}

func (r *repository) nextNumber() int {
	n := 0
	for _, p := range r.pulls {
		n = max(n, p.Number)
	}
	return n + 1
}

// ClosePull closes a pull request, merged or not, as a maintainer would.
func (g *GitHub) ClosePull(t testing.TB, fullName string, number int, merged bool) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pull(fullName, number)
	if p == nil {
		t.Fatalf("forgetest: ClosePull: no pull request %s#%d", fullName, number)
	}
	p.State, p.Merged = "closed", merged
}

// pull finds a pull request; the caller holds g.mu.
func (g *GitHub) pull(fullName string, number int) *Pull {
	if r, ok := g.repos[fullName]; ok {
		for _, p := range r.pulls {
			if p.Number == number {
				return p
			}
		}
	}
	return nil
}

// Pulls returns a repository's pull requests, oldest first.
func (g *GitHub) Pulls(fullName string) []Pull {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Pull
	if r, ok := g.repos[fullName]; ok {
		for _, p := range r.pulls {
			out = append(out, *p)
		}
	}
	return out
}

// AddComment writes a comment by author (a login) on a pull request and
// returns its id.
func (g *GitHub) AddComment(t testing.TB, fullName string, number int, author, body string) int64 {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.repos[fullName]
	if !ok || g.pull(fullName, number) == nil {
		t.Fatalf("forgetest: AddComment: no pull request %s#%d", fullName, number)
	}
	g.nextID++
	r.comments[number] = append(r.comments[number], Comment{ID: g.nextID, Author: author, Body: body})
	return g.nextID
}

// Comments returns the comments on a pull request, oldest first.
func (g *GitHub) Comments(fullName string, number int) []Comment {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.repos[fullName]; ok {
		return slices.Clone(r.comments[number])
	}
	return nil
}

// Statuses returns the statuses set on a commit, oldest first.
func (g *GitHub) Statuses(fullName, sha string) []Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.repos[fullName]; ok {
		return slices.Clone(r.statuses[sha])
	}
	return nil
}

// Requests returns the requests served so far, as "METHOD path?query".
func (g *GitHub) Requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.requests)
}

// Fail queues faults for the next requests of key, "METHOD path" (the
// path below URL, without the query).
func (g *GitHub) Fail(key string, fs ...Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults[key] = append(g.faults[key], fs...)
}

// repoSize is GitHub's size of a repository, in KiB of its git objects:
// 0 for a repository nothing was pushed to.
func repoSize(gitURL string) int {
	var n int64
	filepath.WalkDir(filepath.Join(bare(gitURL), "objects"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return int((n + 1023) / 1024)
}
