package multinode_test

import (
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	swarmtypes "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"golang.org/x/crypto/ssh"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/internal/abra"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The multi-node tests run on a swarm of more than one node, which
// scripts/multinode.sh builds from docker-in-docker nodes: it runs this
// package's test binary in a container of the manager's engine, with the
// manager's socket, RECIPE_TEST_MULTINODE=1 and the other nodes'
// endpoints in RECIPE_TEST_NODES (NAME=ENDPOINT,...).
const (
	gateEnv  = "RECIPE_TEST_MULTINODE"
	nodesEnv = "RECIPE_TEST_NODES"
)

// multiNode skips t unless the multi-node swarm is there, and returns the
// endpoints of its nodes other than the manager.
func multiNode(t *testing.T) []multinode.Endpoint {
	t.Helper()
	if os.Getenv(gateEnv) != "1" {
		t.Skipf("needs a multi-node swarm: run scripts/multinode.sh, which builds one from docker-in-docker nodes and sets %s=1", gateEnv)
	}
	eps, err := multinode.Parse(strings.Split(os.Getenv(nodesEnv), ","))
	if err != nil || len(eps) == 0 {
		t.Fatalf("%s=%q: want NAME=ENDPOINT,...: %v", nodesEnv, os.Getenv(nodesEnv), err)
	}
	return eps
}

func managerAPI(t *testing.T) *client.Client {
	t.Helper()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return api
}

// TestMultiNodeLifecycle installs, backs up and restores (in place and onto
// a fresh deployment) the example recipe with its backed-up, routed service
// placed on a worker, then tears it down, and checks that no node holds
// anything of the stack.
func TestMultiNodeLifecycle(t *testing.T) {
	lifecycleOnWorker(t, multiNode(t), nil)
}

// TestMultiNodeAbraLifecycle is TestMultiNodeLifecycle with the abra
// deployer (the stand-in abra of internal/abra/testdata/abra, whose path
// scripts/multinode.sh puts in RECIPE_TEST_ABRA): abra deploys, restarts
// and removes; abra app cp, which finds containers through its server's
// engine alone, cannot reach the app's container on the worker, so the
// backup and the restores copy through the worker's endpoint, and the
// volumes abra app volume remove does not see on the worker are removed
// through it too. No node may hold anything of the stack after.
func TestMultiNodeAbraLifecycle(t *testing.T) {
	eps := multiNode(t)
	bin := os.Getenv("RECIPE_TEST_ABRA")
	if bin == "" {
		t.Fatal("RECIPE_TEST_ABRA is not set: scripts/multinode.sh builds the stand-in abra and sets it")
	}
	kind, cfg, err := abra.Choose("abra", abra.Config{Binary: bin, Server: "default"}, nil)
	if err != nil || kind != abra.Abra {
		t.Fatalf("Choose: %s %v", kind, err)
	}
	progress := lifecycleOnWorker(t, eps, func(o *runner.Options) {
		o.Deploy = runner.Deploy{Deployer: kind, Timeout: 3 * time.Minute,
			Connect: func(ctx context.Context, log *slog.Logger) (runner.Engine, error) {
				d, err := abra.Connect(ctx, cfg, log, eps...)
				if err != nil {
					return nil, err
				}
				return d, nil
			},
			Linter: abra.Linter(cfg),
		}
	})
	for _, want := range []string{
		"$ abra app deploy ",
		"runs on another node, which abra app cp does not reach",
		"$ abra app restart ",
		"$ abra app volume remove ",
		"$ abra app remove ",
	} {
		if !strings.Contains(progress, want) {
			t.Errorf("the run's progress lacks %q", want)
		}
	}
}

// lifecycleOnWorker runs install, backup and restore of the
// example-multinode fixture, whose backed-up service is placed on a worker,
// with the options mod changes, checks that every stage passed with the
// app on the worker and that no node holds anything of the stack after
// teardown, and returns the run's progress.
func lifecycleOnWorker(t *testing.T, eps []multinode.Endpoint, mod func(*runner.Options)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 12*time.Minute)
	defer cancel()
	api := managerAPI(t)
	nodes, err := multinode.Open(ctx, api, eps)
	if err != nil {
		t.Fatal(err)
	}
	defer nodes.Close()
	all, err := nodes.All(ctx)
	if err != nil || len(all) < 2 {
		t.Fatalf("nodes %v, %v: want every node of a multi-node swarm reached", all, err)
	}
	for _, n := range all {
		via := "the manager's own connection, " + api.DaemonHost()
		if i := slices.IndexFunc(eps, func(e multinode.Endpoint) bool { return e.Node == n.Hostname || e.Node == n.ID }); i >= 0 && n.ID != nodes.Self() {
			via = eps[i].Target
		}
		t.Logf("node %s (%s) reached through %s", n, n.ID, via)
	}

	var specs []string
	for _, e := range eps {
		specs = append(specs, e.String())
	}
	var appNodes []string
	var stack string
	var progress testenv.Buffer
	o := runner.Options{
		Source:  runner.Source{Recipe: "../../testdata/recipes/example-multinode", RecipesDir: t.TempDir()},
		Stages:  []string{runner.StageInstall, runner.StageBackup, runner.StageRestore},
		Nodes:   runner.Nodes{Endpoints: specs},
		Janitor: runner.Janitor{LockDir: t.TempDir()},
		Output:  runner.Output{Dir: t.TempDir(), Progress: io.MultiWriter(t.Output(), &progress)},
		Hooks: runner.Hooks{
			OnPlanned: func(_ context.Context, res *results.Run) error { stack = res.Stack; return nil },
			// Where the app runs once each deploying stage ends: the worker.
			OnStage: func(name string, res *results.Stage) {
				if res != nil && name != runner.StageTeardown {
					appNodes = append(appNodes, taskNodes(ctx, t, api, stack+"_app")...)
				}
			},
		},
	}
	if mod != nil {
		mod(&o)
	}
	start := time.Now()
	res, err := runner.Execute(ctx, o)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, s := range res.Stages {
		t.Logf("stage %-8s %-6s %5.1f s %s", s.Name, s.Status, s.DurationS, s.Reason)
	}
	t.Logf("run: %s in %.1f s (the whole test %.1f s)", res.Status, res.DurationS, time.Since(start).Seconds())
	if res.Status != results.Pass {
		t.Errorf("run status %s, want pass (error %q, residue %v)", res.Status, res.Error, res.Residue)
	}
	for _, want := range []string{runner.StageInstall, runner.StageBackup, runner.StageRestore, runner.StageTeardown} {
		i := slices.IndexFunc(res.Stages, func(s results.Stage) bool { return s.Name == want })
		if i < 0 || res.Stages[i].Status != results.Pass {
			t.Errorf("stage %s did not pass: %+v", want, res.Stages)
		}
	}
	worker := map[string]bool{}
	for _, n := range all {
		if n.ID != nodes.Self() {
			worker[n.ID] = true
		}
	}
	if len(appNodes) == 0 {
		t.Errorf("never saw the app's task")
	}
	for _, n := range appNodes {
		if !worker[n] {
			t.Errorf("the app's task ran on node %s, the manager's: the test proves nothing of other nodes", n)
		}
	}
	// Zero residue on every node, asked of each node's engine directly: the
	// whole swarm's through the manager, and each other node's containers
	// and volumes (a worker answers nothing else).
	for _, n := range all {
		residue := localResidue
		if n.ID == nodes.Self() {
			residue = swarmtest.Residue
		}
		left, err := residue(ctx, n.API, stack)
		if err != nil {
			t.Errorf("residue on node %s: %v", n, err)
		}
		if len(left) > 0 {
			t.Errorf("node %s holds, after teardown: %s", n, strings.Join(left, ", "))
		} else if err == nil {
			t.Logf("node %s: no residue of %s (asked of its own engine)", n, stack)
		}
	}
	return progress.String()
}

// localResidue lists, as "kind name", the containers (exited ones too) and
// volumes of one node's engine carrying stack's namespace label or its
// "<stack>_" name prefix.
func localResidue(ctx context.Context, api *client.Client, stack string) ([]string, error) {
	var out []string
	cts, err := api.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, err
	}
	for _, c := range cts.Items {
		name := strings.TrimPrefix(c.Names[0], "/")
		if c.Labels[swarm.LabelNamespace] == stack || strings.HasPrefix(name, stack+"_") {
			out = append(out, "container "+name)
		}
	}
	vols, err := api.VolumeList(ctx, client.VolumeListOptions{})
	if err != nil {
		return nil, err
	}
	for _, v := range vols.Items {
		if v.Labels[swarm.LabelNamespace] == stack || strings.HasPrefix(v.Name, stack+"_") {
			out = append(out, "volume "+v.Name)
		}
	}
	return out, nil
}

// taskNodes returns the nodes of the service's running tasks.
func taskNodes(ctx context.Context, t *testing.T, api *client.Client, service string) []string {
	res, err := api.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).
		Add("service", service).Add("desired-state", "running")})
	if err != nil {
		t.Errorf("tasks of %s: %v", service, err)
		return nil
	}
	var out []string
	for _, task := range res.Items {
		out = append(out, task.NodeID)
	}
	return out
}

// TestMultiNodeUnreachedNode: without an endpoint for the worker, the
// inventory fails naming it instead of passing over its containers and
// volumes, and so does an exec in a task container on the worker; with
// the endpoint, both work.
func TestMultiNodeUnreachedNode(t *testing.T) {
	eps := multiNode(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := swarm.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Inventory(ctx, "no-such-stack")
	if err == nil || !strings.Contains(err.Error(), eps[0].Node) || !strings.Contains(err.Error(), "--node") || !errors.As(err, new(*multinode.UnreachedError)) {
		t.Errorf("inventory without the worker's endpoint: %v, want an error naming node %s", err, eps[0].Node)
	}

	service := workerService(ctx, t, c.API)
	ctr, err := c.ServiceContainer(ctx, service)
	if err != nil {
		t.Fatal(err)
	}
	with, err := swarm.Connect(ctx, nil, eps...)
	if err != nil {
		t.Fatal(err)
	}
	defer with.Close()
	if res, err := with.Exec(ctx, ctr, []string{"/bin/busybox", "hostname"}, nil); err != nil || res.ExitCode != 0 {
		t.Errorf("exec on the worker with its endpoint: %+v, %v", res, err)
	}
	_, err = c.Exec(ctx, ctr, []string{"/bin/busybox", "true"}, nil)
	if err == nil || !strings.Contains(err.Error(), eps[0].Node) || !errors.As(err, new(*multinode.UnreachedError)) {
		t.Errorf("exec on the worker without its endpoint: %v, want an error naming node %s", err, eps[0].Node)
	}
	// Removal without the worker's endpoint removes what the manager can
	// (the service) and fails naming the worker.
	err = c.Remove(ctx, service, nil)
	if err == nil || !strings.Contains(err.Error(), eps[0].Node) {
		t.Errorf("remove without the worker's endpoint: %v, want an error naming node %s", err, eps[0].Node)
	}
	if _, err := c.API.ServiceInspect(ctx, service, client.ServiceInspectOptions{}); err == nil {
		t.Errorf("service %s still there after a removal that could not reach the worker", service)
	}
	if _, err := with.Inventory(ctx, "no-such-stack"); err != nil {
		t.Errorf("inventory with every node reached: %v", err)
	}
}

// workerService creates a one-task service placed on a worker, removed
// with its containers when the test ends, and returns its name.
func workerService(ctx context.Context, t *testing.T, api *client.Client) string {
	t.Helper()
	img, err := api.ImageInspect(ctx, "recipe-test-fixtures/backend:1")
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("multinode-test-%d", time.Now().UnixNano()%1e6)
	spec := swarmtypes.ServiceSpec{
		Annotations: swarmtypes.Annotations{Name: name, Labels: map[string]string{swarm.LabelNamespace: name}},
		TaskTemplate: swarmtypes.TaskSpec{
			ContainerSpec: &swarmtypes.ContainerSpec{Image: img.ID, Env: []string{"PORT=8081"},
				Labels: map[string]string{swarm.LabelNamespace: name}},
			Placement: &swarmtypes.Placement{Constraints: []string{"node.role == worker"}},
		},
		EndpointSpec: &swarmtypes.EndpointSpec{Mode: swarmtypes.ResolutionModeDNSRR},
	}
	if _, err := api.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := swarm.Connect(ctx, nil, multiNodeEndpoints(t)...)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		if err := c.Remove(ctx, name, nil); err != nil {
			t.Errorf("remove %s: %v", name, err)
		}
	})
	return name
}

// TestMultiNodeHarnessExec: a recipe's tests exec in a task container on
// the worker through the harness, given the worker's Docker host URL in
// the facts as the custom stage writes them; without it, the exec fails
// naming the node. An ssh:// endpoint gives the tests no URL (the harness
// dials with the moby client alone): with one, NodeHosts must say "" for
// the node, and only the failure is checked (scripts/multinode.sh's tcp
// mode checks the exec).
func TestMultiNodeHarnessExec(t *testing.T) {
	eps := multiNode(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := swarm.Connect(ctx, nil, eps...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hosts := c.NodeHosts()
	if len(hosts) != len(eps) {
		t.Fatalf("NodeHosts() = %v, want the %d endpoints", hosts, len(eps))
	}
	overSSH := false
	for _, e := range eps {
		overSSH = overSSH || strings.HasPrefix(e.Target, "ssh://")
	}
	for id, h := range hosts {
		if overSSH != (h == "") {
			t.Errorf("NodeHosts()[%s] = %q for the endpoints %v: want a URL for a tcp:// endpoint, none for an ssh:// one", id, h, eps)
		}
	}
	service := workerService(ctx, t, c.API)
	// What an ssh:// or context endpoint gives the tests: the node, no URL.
	noURL := map[string]string{}
	for id := range hosts {
		noURL[id] = ""
	}
	for _, tc := range []struct {
		name  string
		nodes map[string]string
	}{{"with the worker's URL", hosts}, {"without", noURL}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "without" && overSSH {
				t.Skipf("the worker's endpoint %s is ssh://: the tests get no URL for it", eps[0].Target)
			}
			path := filepath.Join(t.TempDir(), "facts.json")
			f := facts.Facts{Recipe: "multinode", Domain: "multinode.test", BaseURL: "http://multinode.test", Stack: service, Services: map[string]string{"svc": service},
				ProxyURL: "http://127.0.0.1:1", Out: t.TempDir(), Nodes: tc.nodes}
			if err := facts.Write(path, &f); err != nil {
				t.Fatal(err)
			}
			t.Setenv(facts.EnvVar, path)
			rec := &recorder{TB: t}
			var res harness.ExecResult
			func() {
				defer func() { _ = recover() }() // the recorder's Fatalf ends the call
				res = harness.Load(rec).Exec(rec, "svc", "/bin/busybox", "hostname")
			}()
			if tc.name != "without" && (rec.failed != "" || res.ExitCode != 0) {
				t.Errorf("harness exec on the worker: %+v, %s", res, rec.failed)
			}
			if tc.name == "without" && !strings.Contains(rec.failed, eps[0].Node) {
				t.Errorf("harness exec on the worker without its URL: %q, want a failure naming node %s", rec.failed, eps[0].Node)
			}
		})
	}
}

// recorder is a testing.TB whose Fatalf records the message and stops
// the call (as t.Fatalf stops the test), instead of failing the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

func (r *recorder) Helper() {}

func multiNodeEndpoints(t *testing.T) []multinode.Endpoint {
	eps, err := multinode.Parse(strings.Split(os.Getenv(nodesEnv), ","))
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// TestMultiNodeWrongEndpoint: an endpoint that reaches another node than
// the one it names, or names no node of the swarm, is refused at Open.
func TestMultiNodeWrongEndpoint(t *testing.T) {
	eps := multiNode(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	api := managerAPI(t)
	info, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	self := info.Info.Name
	type wrong struct {
		ep   multinode.Endpoint
		want string
	}
	cases := []wrong{
		// The manager's own engine, named as the worker.
		{multinode.Endpoint{Node: eps[0].Node, Target: "unix:///var/run/docker.sock"}, "is node"},
		{multinode.Endpoint{Node: "no-such-node", Target: eps[0].Target}, "no node of that hostname"},
		{multinode.Endpoint{Node: eps[0].Node, Target: "tcp://127.0.0.1:1"}, "does not answer"},
	}
	if strings.HasPrefix(eps[0].Target, "ssh://") {
		// The manager's sshd, whose host key known_hosts does not pin:
		// ssh refuses it (StrictHostKeyChecking as ssh has it), and the
		// error says so.
		cases = append(cases, wrong{multinode.Endpoint{Node: eps[0].Node, Target: "ssh://root@" + info.Info.Swarm.NodeAddr},
			"Host key verification failed"})
	}
	for _, tc := range cases {
		n, err := multinode.Open(ctx, api, []multinode.Endpoint{tc.ep})
		if err == nil {
			n.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.ep.Node) {
			t.Errorf("Open(%s) on %s: %v, want an error naming %s with %q", tc.ep, self, err, tc.ep.Node, tc.want)
		}
	}
}

// TestMultiNodeSSHFiles: an ssh:// worker reached with the key and
// known_hosts given as files (--ssh-identity, --ssh-known-hosts; the
// action's ssh-key and ssh-known-hosts inputs), as in an action's
// container where ssh has no ~/.ssh of its own. The files are copies of
// the operator's, somewhere else: with them the worker answers; with an
// empty known_hosts the host is refused although ~/.ssh/known_hosts pins
// it, and with another key the login is refused although ~/.ssh holds the
// right one: ssh uses the files given, and only those.
func TestMultiNodeSSHFiles(t *testing.T) {
	eps := multiNode(t)
	if !strings.HasPrefix(eps[0].Target, "ssh://") {
		t.Skipf("the worker's endpoint %s is not ssh://", eps[0].Target)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyTo := func(src, name string) string {
		t.Helper()
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("the operator's ssh file: %v", err)
		}
		dst := filepath.Join(dir, name)
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	key := copyTo(filepath.Join(home, ".ssh", "id_ed25519"), "key")
	hosts := copyTo(filepath.Join(home, ".ssh", "known_hosts"), "hosts")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "not authorized")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	api := managerAPI(t)
	for _, tc := range []struct {
		name string
		ssh  multinode.SSH
		want string // "" = reached
	}{
		{"the operator's files elsewhere", multinode.SSH{Identity: key, KnownHosts: hosts}, ""},
		{"an empty known_hosts", multinode.SSH{Identity: key, KnownHosts: empty}, "Host key verification failed"},
		{"a key the worker does not know", multinode.SSH{Identity: other, KnownHosts: hosts}, "Permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			with, err := multinode.WithSSH(eps, tc.ssh)
			if err != nil {
				t.Fatal(err)
			}
			n, err := multinode.Open(ctx, api, with)
			if err == nil {
				n.Close()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Open with %+v: %v", tc.ssh, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), eps[0].Node)):
				t.Errorf("Open with %+v: %v, want an error naming %s with %q", tc.ssh, err, eps[0].Node, tc.want)
			}
		})
	}
}
