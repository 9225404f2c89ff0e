// Package swarmtest builds the small stacks the teardown and janitor tests
// work on, straight through the Engine API (no compose, no Deploy), and
// checks for residue independently of the code under test.
package swarmtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/mount"
	swarmtypes "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/sleep"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// Options shapes a fixture stack.
type Options struct {
	// RunID is put in swarm.LabelRun on every resource; "" leaves the label
	// out (a stack that is not ours).
	RunID string
	// NoService creates only the volume, secret, config and network: what a
	// killed run leaves once swarm removed its services.
	NoService bool
	// Networks are further networks (names or IDs) the service joins, as
	// a recipe joins the external "proxy" network.
	Networks []string
	// NoWait returns as soon as the service is created, its task not yet
	// started: a run cancelled while its services converge.
	NoWait bool
}

// Deploy creates stack's network "<stack>_internal", secret
// "<stack>_app_secret_v1", config "<stack>_app_conf_v1", volume
// "<stack>_data" and service "<stack>_app" (image
// recipe-test-fixtures/webapp:1 by ID, the volume mounted on /data), all
// labelled with the stack namespace, and waits for the task to run. A
// t.Cleanup removes whatever is left and fails t on residue.
func Deploy(t testing.TB, api *client.Client, stack string, opts Options) {
	t.Helper()
	image := testenv.FixtureImage(t, "webapp", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { Cleanup(t, api, stack) })
	labels := map[string]string{swarm.LabelNamespace: stack}
	if opts.RunID != "" {
		labels[swarm.LabelRun] = opts.RunID
	}
	net, err := api.NetworkCreate(ctx, stack+"_internal", client.NetworkCreateOptions{Driver: "overlay", Scope: "swarm", Labels: labels})
	must(t, "create network", err)
	sec, err := api.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarmtypes.SecretSpec{
		Annotations: swarmtypes.Annotations{Name: stack + "_app_secret_v1", Labels: labels}, Data: []byte("s3cr3t")}})
	must(t, "create secret", err)
	cfg, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarmtypes.ConfigSpec{
		Annotations: swarmtypes.Annotations{Name: stack + "_app_conf_v1", Labels: labels}, Data: []byte("greeting = hi\n")}})
	must(t, "create config", err)
	_, err = api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: stack + "_data", Driver: "local", Labels: labels})
	must(t, "create volume", err)
	if opts.NoService {
		return
	}
	spec := swarmtypes.ServiceSpec{
		Annotations: swarmtypes.Annotations{Name: stack + "_app", Labels: labels},
		TaskTemplate: swarmtypes.TaskSpec{
			ContainerSpec: &swarmtypes.ContainerSpec{
				Image:  image,
				Labels: labels,
				Env:    []string{"PORT=8080", "DATA_DIR=/data", "SECRET_FILE=/run/secrets/app_secret", "CONFIG_FILE=/etc/webapp/app.conf"},
				Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: stack + "_data", Target: "/data",
					VolumeOptions: &mount.VolumeOptions{Labels: labels}}},
				Secrets: []*swarmtypes.SecretReference{{SecretID: sec.ID, SecretName: stack + "_app_secret_v1",
					File: &swarmtypes.SecretReferenceFileTarget{Name: "app_secret", UID: "0", GID: "0", Mode: 0o444}}},
				Configs: []*swarmtypes.ConfigReference{{ConfigID: cfg.ID, ConfigName: stack + "_app_conf_v1",
					File: &swarmtypes.ConfigReferenceFileTarget{Name: "/etc/webapp/app.conf", UID: "0", GID: "0", Mode: 0o444}}},
			},
			Networks: []swarmtypes.NetworkAttachmentConfig{{Target: net.ID, Aliases: []string{"app"}}},
		},
		EndpointSpec: &swarmtypes.EndpointSpec{Mode: swarmtypes.ResolutionModeDNSRR},
	}
	for _, n := range opts.Networks {
		spec.TaskTemplate.Networks = append(spec.TaskTemplate.Networks, swarmtypes.NetworkAttachmentConfig{Target: n})
	}
	_, err = api.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec})
	must(t, "create service", err)
	if opts.NoWait {
		return
	}
	filters := make(client.Filters).Add("label", swarm.LabelNamespace+"="+stack).Add("status", "running")
	for {
		res, err := api.ContainerList(ctx, client.ContainerListOptions{Filters: filters})
		must(t, "list containers", err)
		if len(res.Items) > 0 {
			return
		}
		if err := sleep.For(ctx, 200*time.Millisecond); err != nil {
			t.Fatalf("swarmtest: stack %s: no running container: %v", stack, err)
		}
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("swarmtest: %s: %v", what, err)
	}
}

// Residue lists, as "kind name", everything carrying stack's namespace label
// or its "<stack>_" name prefix, asking the engine kind by kind with its own
// filters (independently of swarm.Inventory).
func Residue(ctx context.Context, api *client.Client, stack string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range []client.Filters{
		make(client.Filters).Add("label", swarm.LabelNamespace+"="+stack),
		make(client.Filters).Add("name", stack+"_"),
	} {
		add := func(kind, name string) {
			name = strings.TrimPrefix(name, "/")
			r := kind + " " + name
			if !seen[r] && (f["name"] == nil || strings.HasPrefix(name, stack+"_")) { // name filters match substrings
				seen[r] = true
				out = append(out, r)
			}
		}
		svcs, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, s := range svcs.Items {
			add("service", s.Spec.Name)
		}
		cts, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			return nil, err
		}
		for _, c := range cts.Items {
			add("container", c.Names[0])
		}
		vols, err := api.VolumeList(ctx, client.VolumeListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, v := range vols.Items {
			add("volume", v.Name)
		}
		secs, err := api.SecretList(ctx, client.SecretListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, s := range secs.Items {
			add("secret", s.Spec.Name)
		}
		cfgs, err := api.ConfigList(ctx, client.ConfigListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, c := range cfgs.Items {
			add("config", c.Spec.Name)
		}
		nets, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, n := range nets.Items {
			add("network", n.Name)
		}
	}
	return out, nil
}

// AssertNoResidue fails t when Residue finds anything of stack.
func AssertNoResidue(t testing.TB, api *client.Client, stack string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	left, err := Residue(ctx, api, stack)
	if err != nil {
		t.Fatalf("swarmtest: residue of %s: %v", stack, err)
	}
	if len(left) > 0 {
		t.Errorf("stack %s left behind: %s", stack, strings.Join(left, ", "))
	}
}

// Cleanup removes what is left of stack with plain API calls, so a broken
// teardown under test cannot leak onto the machine, then fails t on residue.
func Cleanup(t testing.TB, api *client.Client, stack string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		left, err := Residue(ctx, api, stack)
		if err != nil {
			t.Errorf("swarmtest: cleanup of %s: %v", stack, err)
			return
		}
		if len(left) == 0 {
			return
		}
		for _, r := range left {
			kind, name, _ := strings.Cut(r, " ")
			var err error
			switch kind {
			case "service":
				_, err = api.ServiceRemove(ctx, name, client.ServiceRemoveOptions{})
			case "container":
				_, err = api.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true})
			case "volume":
				_, err = api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
			case "secret":
				_, err = api.SecretRemove(ctx, name, client.SecretRemoveOptions{})
			case "config":
				_, err = api.ConfigRemove(ctx, name, client.ConfigRemoveOptions{})
			case "network":
				_, err = api.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
			}
			if err != nil {
				t.Logf("swarmtest: cleanup of %s: remove %s: %v (retrying)", stack, r, err)
			}
		}
		time.Sleep(time.Second)
	}
	AssertNoResidue(t, api, stack)
}

// Stack returns a fresh run-scoped stack name with the given domain suffix
// and its run id, e.g. "exam-1a2b3c_rmtest_test".
func Stack(t testing.TB, suffix string) (stack, runID string) {
	t.Helper()
	id, err := naming.NewRunID(nil)
	must(t, "run id", err)
	domain, err := naming.Domain("example", id, suffix)
	must(t, "domain", err)
	return naming.StackName(domain), id
}
