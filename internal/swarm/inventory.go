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
}

// String returns "kind name", the form residue is reported in.
func (r Resource) String() string { return r.Kind + " " + r.Name }

// Object is a Resource with the metadata teardown and the janitor decide by.
type Object struct {
	Resource
	Labels  map[string]string
	Created time.Time // zero when the engine does not say
	// Volumes lists the named volumes a container mounts.
	Volumes []string
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
	if err != nil {
		return nil, err
	}
	var out []Resource
	for _, o := range stackObjects(objs, stack) {
		out = append(out, o.Resource)
	}
	return out, nil
}

// stackObjects selects stack's objects out of objs, sorted.
func stackObjects(objs []Object, stack string) []Object {
	volumes := map[string]bool{}
	for _, o := range objs {
		if o.Kind == KindVolume && o.belongsTo(stack) {
			volumes[o.Name] = true
		}
	}
	var out []Object
	for _, o := range objs {
		if o.belongsTo(stack) || (o.Kind == KindContainer && slices.ContainsFunc(o.Volumes, func(v string) bool { return volumes[v] })) {
			out = append(out, o)
		}
	}
	sortObjects(out)
	return out
}

// stackObjects lists stack's objects (see Inventory).
func (c *Client) stackObjects(ctx context.Context, stack string) ([]Object, error) {
	objs, err := c.Objects(ctx)
	if err != nil {
		return nil, err
	}
	return stackObjects(objs, stack), nil
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

// holdersOf names the containers in objs that mount volume.
func holdersOf(objs []Object, volume string) []string {
	var out []string
	for _, o := range objs {
		if o.Kind == KindContainer && slices.Contains(o.Volumes, volume) {
			out = append(out, "container "+o.Name)
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
			cmp.Compare(a.ID, b.ID))
	})
}

// Objects lists every service, container (exited ones too), volume, secret,
// config and network on the engine, whichever stack they belong to. The
// janitor groups them by stack; Inventory selects one stack's.
func (c *Client) Objects(ctx context.Context) ([]Object, error) {
	var out []Object
	services, err := c.API.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	for _, s := range services.Items {
		out = append(out, Object{Resource: Resource{KindService, s.Spec.Name, s.ID}, Labels: s.Spec.Labels, Created: s.CreatedAt})
	}
	containers, err := c.API.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, ct := range containers.Items {
		o := Object{Resource: Resource{KindContainer, containerName(ct.Names), ct.ID}, Labels: ct.Labels, Created: time.Unix(ct.Created, 0)}
		for _, m := range ct.Mounts {
			if m.Type == mount.TypeVolume && m.Name != "" {
				o.Volumes = append(o.Volumes, m.Name)
			}
		}
		out = append(out, o)
	}
	volumes, err := c.API.VolumeList(ctx, client.VolumeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	for _, v := range volumes.Items {
		created, _ := time.Parse(time.RFC3339, v.CreatedAt) // zero when absent or odd
		out = append(out, Object{Resource: Resource{KindVolume, v.Name, v.Name}, Labels: v.Labels, Created: created})
	}
	secrets, err := c.API.SecretList(ctx, client.SecretListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	for _, s := range secrets.Items {
		out = append(out, Object{Resource: Resource{KindSecret, s.Spec.Name, s.ID}, Labels: s.Spec.Labels, Created: s.CreatedAt})
	}
	configs, err := c.API.ConfigList(ctx, client.ConfigListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list configs: %w", err)
	}
	for _, s := range configs.Items {
		out = append(out, Object{Resource: Resource{KindConfig, s.Spec.Name, s.ID}, Labels: s.Spec.Labels, Created: s.CreatedAt})
	}
	networks, err := c.API.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range networks.Items {
		out = append(out, Object{Resource: Resource{KindNetwork, n.Name, n.ID}, Labels: n.Labels, Created: n.Created})
	}
	sortObjects(out)
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
