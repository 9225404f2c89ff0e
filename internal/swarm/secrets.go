package swarm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// DefaultSecretLength is the length of a generated secret without a
// `length=` hint.
const DefaultSecretLength = 32

// errNoValue is wrapped when a secret must be supplied by the operator.
var errNoValue = errors.New("generate=false and no value was supplied")

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// GenerateSecret returns a random value for s, honouring its length and
// charset hints: "hex" gives lower-case hex digits, anything else letters
// and digits.
func GenerateSecret(s recipe.Secret) (string, error) {
	n := s.Length
	if n <= 0 {
		n = DefaultSecretLength
	}
	if s.Charset == "hex" {
		b := make([]byte, (n+1)/2)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("generate secret %s: %w", s.FullName, err)
		}
		return hex.EncodeToString(b)[:n], nil
	}
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generate secret %s: %w", s.FullName, err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting the top bytes keeps the draw uniform.
			if b < 248 && len(out) < n {
				out = append(out, alnum[b%62])
			}
		}
	}
	return string(out), nil
}

// externalSecrets creates the app's external secrets as abra does, storing
// each value it knows into values.
func (d *deployer) externalSecrets(ctx context.Context, values map[string]string) error {
	for _, s := range d.app.Secrets {
		if !s.External {
			continue
		}
		given, ok := d.opts.Secrets[s.FullName]
		if ok {
			values[s.FullName] = given
		}
		_, err := d.c.API.SecretInspect(ctx, s.FullName, client.SecretInspectOptions{})
		switch {
		case err == nil:
			// A redeploy keeps the secret it made before.
			d.progress("secret %s exists: reused", s.FullName)
			continue
		case !cerrdefs.IsNotFound(err):
			return fmt.Errorf("inspect secret %s: %w", s.FullName, err)
		}
		value, how := given, "supplied"
		if !ok {
			if !s.Generate {
				return fmt.Errorf("secret %s (%s): %w", s.FullName, s.Name, errNoValue)
			}
			if value, err = GenerateSecret(s); err != nil {
				return err
			}
			values[s.FullName], how = value, "generated"
		}
		spec := swarm.SecretSpec{Data: []byte(value), Annotations: swarm.Annotations{
			Name:   s.FullName,
			Labels: d.labels(map[string]string{LabelNamespace: d.app.Stack}),
		}}
		if _, err := d.c.API.SecretCreate(ctx, client.SecretCreateOptions{Spec: spec}); err != nil {
			return fmt.Errorf("create secret %s: %w", s.FullName, err)
		}
		d.progress("secret %s created (%s, %d characters)", s.FullName, how, len(value))
	}
	return nil
}

// fileObjects creates the secrets and configs the recipe ships as files.
// Both are immutable on swarm: one that exists keeps its content, which is
// why recipes version their names.
func (d *deployer) fileObjects(ctx context.Context) error {
	secrets, err := convert.Secrets(d.ns, d.app.Compose.Secrets)
	if err != nil {
		return fmt.Errorf("read secret files of stack %s: %w", d.app.Stack, err)
	}
	for _, spec := range secrets {
		spec.Labels = d.labels(spec.Labels)
		_, err := d.c.API.SecretInspect(ctx, spec.Name, client.SecretInspectOptions{})
		if err == nil {
			continue
		}
		if !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("inspect secret %s: %w", spec.Name, err)
		}
		if _, err := d.c.API.SecretCreate(ctx, client.SecretCreateOptions{Spec: spec}); err != nil {
			return fmt.Errorf("create secret %s: %w", spec.Name, err)
		}
		d.progress("secret %s created from a file", spec.Name)
	}
	// convert.Configs passes template_driver on as the spec's Templating.
	configs, err := convert.Configs(d.ns, d.app.Compose.Configs)
	if err != nil {
		return fmt.Errorf("read config files of stack %s: %w", d.app.Stack, err)
	}
	for _, spec := range configs {
		spec.Labels = d.labels(spec.Labels)
		_, err := d.c.API.ConfigInspect(ctx, spec.Name, client.ConfigInspectOptions{})
		if err == nil {
			continue
		}
		if !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("inspect config %s: %w", spec.Name, err)
		}
		if _, err := d.c.API.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: spec}); err != nil {
			return fmt.Errorf("create config %s: %w", spec.Name, err)
		}
		d.progress("config %s created", spec.Name)
	}
	return nil
}
