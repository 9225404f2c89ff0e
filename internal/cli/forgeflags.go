package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/publish"
)

// forgeFlags are run's flags for reporting to a forge. Unset ones fall back
// to the Actions environment (GITHUB_REPOSITORY, GITHUB_EVENT_PATH, ...),
// which GitHub and Gitea/Forgejo Actions both provide.
type forgeFlags struct {
	kind, url, repo, sha, tokenEnv, runURL string
	commentAuthor                          string
	baseResults                            string // the base branch's results.json, for the comment's delta
	pr                                     int
	noComment                              bool // statuses only
	allowHTTP                              bool
}

func (f *forgeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.kind, "forge", "none", "report to a forge: github, gitea or none (only write files)")
	fs.StringVar(&f.url, "forge-url", "", "the forge's URL: the API base for github (default $GITHUB_API_URL, else https://api.github.com/), the server for gitea (default $GITHUB_SERVER_URL)")
	fs.StringVar(&f.repo, "repo", "", "OWNER/NAME of the repository to report on (default $GITHUB_REPOSITORY)")
	fs.IntVar(&f.pr, "pr", 0, "pull request number for the sticky comment (default: from $GITHUB_EVENT_PATH)")
	fs.StringVar(&f.sha, "sha", "", "commit for the status (default: the PR's head commit, else $GITHUB_SHA)")
	fs.StringVar(&f.tokenEnv, "token-env", "GITHUB_TOKEN", "name of the environment variable holding the forge token (the token itself is never a flag)")
	fs.StringVar(&f.runURL, "run-url", "", "link from the report and statuses to the CI run (default: from $GITHUB_SERVER_URL, $GITHUB_REPOSITORY and $GITHUB_RUN_ID)")
	fs.BoolVar(&f.allowHTTP, "forge-allow-http", false, "let the token go to a plain http:// forge URL that is not loopback (a forge on a network you trust)")
	fs.StringVar(&f.baseResults, "base-results", "", "the results.json of the recipe's last run on the base branch: the comment says \"L5 on main, L3 here\" (one that does not load is a warning)")
	fs.StringVar(&f.commentAuthor, "comment-author", "", "login the token's comments are authored by, when the forge cannot say (a GitHub App's token; default: the token's user, else github-actions[bot])")
}

// runURL returns the run link from the flag or the Actions environment.
func (f *forgeFlags) link(getenv func(string) string) string {
	if f.runURL != "" {
		return f.runURL
	}
	server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || id == "" {
		return ""
	}
	return strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + id
}

// publisher checks the flags and connects to the forge; nil without one.
// Its errors are usage errors: nothing has been deployed. It returns the
// token too, to be masked in every output.
func (f *forgeFlags) publisher(ctx context.Context, getenv func(string) string, logf func(string, ...any)) (*publish.Publisher, string, error) {
	if f.kind == "" || f.kind == "none" {
		return nil, "", nil
	}
	fo, repo, err := f.options(getenv)
	if err != nil {
		return nil, fo.Token, err
	}
	token := fo.Token
	fg, err := forge.New(ctx, fo)
	if err != nil {
		return nil, token, err
	}
	t := publish.Target{Forge: fg, Repo: repo, PR: f.pr, SHA: f.sha, RunURL: f.link(getenv)}
	if path := getenv("GITHUB_EVENT_PATH"); path != "" && (t.PR == 0 || t.SHA == "") {
		ev, err := forge.ReadEvent(path)
		if err != nil {
			return nil, token, err
		}
		if t.PR == 0 {
			t.PR = ev.PR
		}
		if t.SHA == "" && t.PR == ev.PR {
			t.SHA = ev.HeadSHA
		}
	}
	if t.SHA == "" && t.PR > 0 {
		// Statuses belong on the PR's head, not on a merge commit.
		if t.SHA, err = fg.PullRequestHead(ctx, repo, t.PR); err != nil {
			return nil, token, err
		}
	}
	if t.SHA == "" {
		t.SHA = getenv("GITHUB_SHA")
	}
	if f.noComment {
		t.PR = 0
	}
	if t.PR == 0 && t.SHA == "" {
		return nil, token, fmt.Errorf("--forge %s: nothing to report on: give --pr and/or --sha", f.kind)
	}
	return &publish.Publisher{T: t, Logf: logf, Base: f.baseline()}, token, nil
}

// baseline is where the comment's delta comes from: --base-results, else
// none. (A history of results kept in a branch is another
// publish.Baseline, to plug in here.)
func (f *forgeFlags) baseline() publish.Baseline {
	if f.baseResults == "" {
		return nil
	}
	return publish.BaseFile(f.baseResults)
}

// options checks the forge flags (kind, repository, token, URL) and
// returns the client options and the repository; the token is set as soon
// as it is known, for masking.
func (f *forgeFlags) options(getenv func(string) string) (forge.Options, forge.Repo, error) {
	if f.kind != "github" && f.kind != "gitea" {
		return forge.Options{}, forge.Repo{}, fmt.Errorf("--forge %q: use github, gitea or none", f.kind)
	}
	repoName := orEnv(f.repo, getenv, "GITHUB_REPOSITORY")
	if repoName == "" {
		return forge.Options{}, forge.Repo{}, fmt.Errorf("--forge %s needs --repo OWNER/NAME (or $GITHUB_REPOSITORY)", f.kind)
	}
	repo, err := forge.ParseRepo(repoName)
	if err != nil {
		return forge.Options{}, forge.Repo{}, fmt.Errorf("--repo: %w", err)
	}
	fo, err := f.clientOptions(getenv)
	return fo, repo, err
}

// clientOptions checks the flags that reach the forge (kind, token, URL),
// for a command that names its repositories otherwise (mirror sync).
func (f *forgeFlags) clientOptions(getenv func(string) string) (forge.Options, error) {
	if f.kind != "github" && f.kind != "gitea" {
		return forge.Options{}, fmt.Errorf("--forge %q: use github or gitea", f.kind)
	}
	token := getenv(f.tokenEnv)
	if token == "" {
		return forge.Options{}, fmt.Errorf("--forge %s: $%s is empty or unset: put the forge token in it, or name another variable with --token-env", f.kind, f.tokenEnv)
	}
	url := f.url
	if url == "" && f.kind == "github" {
		url = getenv("GITHUB_API_URL")
	}
	if url == "" && f.kind == "gitea" {
		url = getenv("GITHUB_SERVER_URL")
	}
	return forge.Options{Kind: f.kind, BaseURL: url, Token: token, TokenSource: "$" + f.tokenEnv,
		AllowHTTP: f.allowHTTP, CommentAuthor: f.commentAuthor}, nil
}

func orEnv(v string, getenv func(string) string, name string) string {
	if v != "" {
		return v
	}
	return getenv(name)
}
