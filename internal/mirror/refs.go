package mirror

import (
	"context"
	"errors"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Refs are a repository's branches and tags by full ref name
// (refs/heads/main, refs/tags/1.0.0+2.3) and the object each names.
type Refs map[string]string

// upstreamRefs lists the branches and tags of a fresh clone: its remote
// branches become refs/heads/, as they are upstream.
func upstreamRefs(repo *git.Repository) (Refs, error) {
	iter, err := repo.References()
	if err != nil {
		return nil, err
	}
	out := Refs{}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		if r.Type() != plumbing.HashReference {
			return nil
		}
		name := r.Name().String()
		switch {
		case strings.HasPrefix(name, "refs/remotes/origin/"):
			out["refs/heads/"+strings.TrimPrefix(name, "refs/remotes/origin/")] = r.Hash().String()
		case strings.HasPrefix(name, "refs/tags/"):
			out[name] = r.Hash().String()
		}
		return nil
	})
	return out, err
}

// diff lists the refs of want that have lacks or points elsewhere, and
// the refs have holds that want does not.
func (want Refs) diff(have Refs) (missing, extra []string) {
	for name, h := range want {
		if have[name] != h {
			missing = append(missing, name)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

// remote is the mirror as git sees it.
type remote struct {
	url  string
	auth transport.AuthMethod
}

// list lists the remote's branches and tags.
func (r remote) list(ctx context.Context) (Refs, error) {
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{r.url}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: r.auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return Refs{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := Refs{}
	for _, ref := range refs {
		name := ref.Name().String()
		if ref.Type() == plumbing.HashReference && (strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/tags/")) &&
			!strings.HasSuffix(name, "^{}") {
			out[name] = ref.Hash().String()
		}
	}
	return out, nil
}

// push pushes every upstream branch and tag of clone to the remote,
// forced, so the mirror follows upstream even when its history was
// rewritten, and deletes the remote's branches and tags that upstream no
// longer has.
func (r remote) push(ctx context.Context, clone *git.Repository, want Refs) error {
	have, err := r.list(ctx)
	if err != nil {
		return err
	}
	var specs []config.RefSpec
	_, extra := want.diff(have)
	for _, name := range extra {
		specs = append(specs, config.RefSpec(":"+name))
	}
	for name := range want {
		src := name
		if b, ok := strings.CutPrefix(name, "refs/heads/"); ok {
			src = "refs/remotes/origin/" + b
		}
		specs = append(specs, config.RefSpec("+"+src+":"+name))
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i] < specs[j] })
	rem := git.NewRemote(clone.Storer, &config.RemoteConfig{Name: "mirror", URLs: []string{r.url}})
	err = rem.PushContext(ctx, &git.PushOptions{RemoteName: "mirror", RefSpecs: specs, Auth: r.auth, Force: true})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}
