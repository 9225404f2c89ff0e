package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/harness/sso/ssoadmin"
	"github.com/cc-ci/recipe-test/v2/internal/deps"
)

// runSSO sets a dependency up as a [requires.sso] block says, through its
// identity provider's admin API (package ssoadmin): a realm, a client, its
// users. It runs in the dependency's setup stage after the exec steps of
// the same requirement, so that its templates may name their outputs, and
// reaches the provider through the dependency's own ingress (the direct
// ingress: http://<domain> through its proxy; Traefik: https), bounded by
// the hook timeout. The client's secret and the users' passwords are
// masked like generated secrets; all of its outputs join the steps'.
func (s setup) runSSO(ctx context.Context, r *Run, w want, rec *Record) error {
	e := w.of.Enrollment
	key := fmt.Sprintf("requires[%d].sso", w.index)
	blk := w.req.SSO.Clone()
	data := wiringData{w.of.tmplFacts, s.root.factsFor(w.of)}
	for _, f := range blk.Fields() {
		k := fmt.Sprintf("requires[%d].%s", w.index, f.Key)
		v, err := render(e.File, e.Lines(), k, *f.Text, data)
		if err != nil {
			return err
		}
		*f.Text = v
	}
	if r.Ingress == nil {
		return fmt.Errorf("%s %s: %s has no HTTP way in through which to reach its admin API", e.File, key, r.Recipe.Name)
	}
	base := blk.URL
	if base == "" {
		base = s.d.facts.URL
	}
	admin, err := ssoadmin.Open(blk.Backend, r.Ingress.HTTPClient(), base,
		ssoadmin.Credentials{User: blk.AdminUser, Password: blk.AdminPassword, Token: blk.Token})
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.File, key, err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.limits.HookTimeout)
	defer cancel()
	r.Logf("%s %s: %s at %s: realm %s, client %s, %d users", e.File, key, blk.Backend, base, blk.RealmName(), blk.Client.ID, len(blk.Users))
	made, err := ssoadmin.Provision(ctx, admin, ssoPlan(blk))
	if err != nil {
		return fmt.Errorf("%s %s: %s at %s: %w", e.File, key, blk.Backend, base, err)
	}
	res := deps.SSOResult{Issuer: made.Client.Issuer, Realm: made.Realm.Name, ClientID: made.Client.ID, ClientSecret: made.Client.Secret}
	for _, u := range made.Users {
		res.Users = append(res.Users, deps.SSOUser{Username: u.Username, Password: u.Password})
	}
	out := blk.OutputValues(res)
	for _, name := range slices.Sorted(maps.Keys(out)) {
		if name == "client_secret" || strings.HasPrefix(name, "password") {
			r.maskOutput(out[name])
		}
		s.d.facts.Outputs[name] = out[name]
	}
	rec.Note("%s: %s: %s realm %s, client %s, %d users (outputs: %s)", w.req.Key(), key, blk.Backend, res.Realm, res.ClientID,
		len(res.Users), strings.Join(blk.Outputs(), ", "))
	return nil
}

// ssoPlan is what a rendered [requires.sso] block asks the provider for.
func ssoPlan(b *deps.SSO) ssoadmin.Plan {
	p := ssoadmin.Plan{Realm: b.RealmName(), Client: ssoadmin.ClientSpec{ID: b.Client.ID, Public: b.Client.Public, Secret: b.Client.Secret,
		RedirectURIs: b.Client.RedirectURIs, PostLogoutRedirectURIs: b.Client.PostLogoutRedirectURIs}}
	for _, u := range b.Users {
		p.Users = append(p.Users, ssoadmin.User{Username: u.Username, Password: u.Password, Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName})
	}
	return p
}

// maskOutput masks a setup's output in every report and, through
// OnSecret, in the CI log: client secrets and passwords. A value shorter
// than minMask is left, as masking a short word would mangle every report.
func (r *Run) maskOutput(v string) {
	if len(v) < minMask {
		return
	}
	r.Redact.Add(v)
	if r.cfg.hooks.OnSecret != nil {
		r.cfg.hooks.OnSecret(v)
	}
}
