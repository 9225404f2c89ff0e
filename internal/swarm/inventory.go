package swarm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// Resource kinds, in the order an inventory lists them.
const (
	KindService   = "service"
	KindContainer = "container"
	KindVolume    = "volume"
	KindSecret    = "secret"
	KindConfig    = "config"
	KindNetwork   = "network"
)

var kindOrder = []string{KindService, KindContainer, KindVolume, KindSecret, KindConfig, KindNetwork}

// Resource is one engine object: a service, container, volume, secret,
// config or network.
type Resource struct {
	Kind, Name, ID string
	// Node is the hostname of the node a container or volume is on, when
	// the swarm has more than one; "" otherwise and for swarm-wide objects.
	Node string
}

// String returns "kind name", the form residue is reported in, with " on
// node NODE" for a node-local object of a multi-node swarm.
func (r Resource) String() string {
	if r.Node != "" {
		return r.Kind + " " + r.Name + " on node " + r.Node
	}
	return r.Kind + " " + r.Name
}

// Object is a Resource with the metadata teardown and the janitor decide by.
type Object struct {
	Resource
	Labels  map[string]string
	Created time.Time // zero when the engine does not say
	// Volumes lists the named volumes a container mounts.
	Volumes []string
	// NodeID is the swarm node a container or volume is on ("" when the
	// manager's engine is the only one asked).
	NodeID string
}

// Stack returns the stack namespace label of o, or "".
func (o Object) Stack() string { return o.Labels[LabelNamespace] }

// belongsTo reports whether o is in stack's namespace: by label, or by the
// "<stack>_" name prefix every stack resource gets (containers are named
// "<stack>_<service>.<slot>.<task>").
func (o Object) belongsTo(stack string) bool {
	return o.Labels[LabelNamespace] == stack || strings.HasPrefix(o.Name, stack+"_")
}

// Inventory lists everything in stack's namespace, by label or by name
// prefix "<stack>_": services, containers (exited ones too), volumes,
// secrets, configs and networks, plus any container, ours or not, that
// mounts one of those volumes, since that is what keeps a volume alive.
// The list is sorted by kind, then name, then ID.
func (c *Client) Inventory(ctx context.Context, stack string) ([]Resource, error) {
	objs, err := c.Objects(ctx)
	var out []Resource
	for _, o := range stackObjects(objs, stack) {
		out = append(out, o.Resource)
	}
	return out, err
}

// stackObjects selects stack's objects out of objs, sorted.
func stackObjects(objs []Object, stack string) []Object {
	volumes := map[string]bool{}
	for _, o := range objs {
		if o.Kind == KindVolume && o.belongsTo(stack) {
			volumes[o.Name+"@"+o.NodeID] = true
		}
	}
	var out []Object
	for _, o := range objs {
		if o.belongsTo(stack) || (o.Kind == KindContainer && slices.ContainsFunc(o.Volumes, func(v string) bool { return volumes[v+"@"+o.NodeID] })) {
			out = append(out, o)
		}
	}
	sortObjects(out)
	return out
}

// stackObjects lists stack's objects (see Inventory), those of the nodes
// it reaches when the error names one it does not.
func (c *Client) stackObjects(ctx context.Context, stack string) ([]Object, error) {
	objs, err := c.Objects(ctx)
	return stackObjects(objs, stack), err
}

// ofKind returns the objects of kind that keep accepts (all when nil).
func ofKind(objs []Object, kind string, keep func(Object) bool) []Object {
	var out []Object
	for _, o := range objs {
		if o.Kind == kind && (keep == nil || keep(o)) {
			out = append(out, o)
		}
	}
	return out
}

// holdersOf names the containers in objs that mount volume (on its node).
func holdersOf(objs []Object, volume Object) []string {
	var out []string
	for _, o := range objs {
		if o.Kind == KindContainer && o.NodeID == volume.NodeID && slices.Contains(o.Volumes, volume.Name) {
			out = append(out, o.String())
		}
	}
	return out
}

func objectNames(objs []Object) string {
	s := make([]string, len(objs))
	for i, o := range objs {
		s[i] = o.Name
	}
	return strings.Join(s, ", ")
}

func sortObjects(objs []Object) {
	slices.SortFunc(objs, func(a, b Object) int {
		return cmp.Or(
			cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Node, b.Node),
			cmp.Compare(a.ID, b.ID))
	})
}

// Objects lists every service, container (exited ones too), volume, secret,
// config and network on the swarm, whichever stack they belong to: the
// containers and volumes of every node (see engines). The janitor groups
// them by stack; Inventory selects one stack's. When a node cannot be
// reached, the error names it and the objects of the other nodes are
// returned with it.
func (c *Client) Objects(ctx context.Context) ([]Object, error) {
	var out []Object
	services, err := c.API.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	for _, s := range services.Items {
		out = append(out, Object{Resource: Resource{Kind: KindService, Name: s.Spec.Name, ID: s.ID}, Labels: s.Spec.Labels, Created: s.CreatedAt})
	}
	nodes, nodesErr := c.engines(ctx)
	for _, n := range nodes {
		local, err := nodeObjects(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, local...)
	}
	secrets, err := c.API.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	for _, s := range secrets.Items {
		out = append(out, Object{Resource: Resource{Kind: KindSecret, Name: s.Spec.Name, ID: s.ID}, Labels: s.Spec.Labels, Created: s.CreatedAt})
	}
	configs, err := c.API.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list configs: %w", err)
	}
	for _, s := range configs.Items {
		out = append(out, Object{Resource: Resource{Kind: KindConfig, Name: s.Spec.Name, ID: s.ID}, Labels: s.Spec.Labels, Created: s.CreatedAt})
	}
	networks, err := c.API.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range networks.Items {
		out = append(out, Object{Resource: Resource{Kind: KindNetwork, Name: n.Name, ID: n.ID}, Labels: n.Labels, Created: n.Created})
	}
	sortObjects(out)
	// What the reachable nodes hold is returned with the error naming the
	// others: teardown removes what it can reach before it fails.
	return out, nodesErr
}

// nodeObjects lists the containers (exited ones too) and volumes of one
// node's engine.
func nodeObjects(ctx context.Context, n node) ([]Object, error) {
	var out []Object
	containers, err := n.API.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers%s: %w", n.on(), err)
	}
	for _, ct := range containers.Items {
		o := Object{Resource: Resource{Kind: KindContainer, Name: containerName(ct.Names), ID: ct.ID, Node: n.label}, NodeID: n.ID,
			Labels: ct.Labels, Created: time.Unix(ct.Created, 0)}
		for _, m := range ct.Mounts {
			if m.Type == mount.TypeVolume && m.Name != "" {
				o.Volumes = append(o.Volumes, m.Name)
			}
		}
		out = append(out, o)
	}
	volumes, err := n.API.VolumeList(ctx, client.VolumeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes%s: %w", n.on(), err)
	}
	for _, v := range volumes.Items {
		created, _ := time.Parse(time.RFC3339, v.CreatedAt) // zero when absent or odd
		out = append(out, Object{Resource: Resource{Kind: KindVolume, Name: v.Name, ID: v.Name, Node: n.label}, NodeID: n.ID,
			Labels: v.Labels, Created: created})
	}
	return out, nil
}

// containerName returns a container's primary name without Docker's "/".
func containerName(names []string) string {
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		if !strings.Contains(n, "/") { // "/other/alias" names are legacy links
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return ""
}
