package swarm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

const (
	// taskDestroyWait is how long Remove lets swarm destroy a stack's task
	// containers (about 6 s here, more with a long stop_grace_period) before
	// it force-removes what is left; taskDestroyGiveUp bounds the wait after.
	taskDestroyWait   = 90 * time.Second
	taskDestroyGiveUp = 15 * time.Second
	// removeRetryWait bounds the retries of a removal the engine refuses for a
	// moment after the containers went (endpoints, mounts being released).
	removeRetryWait = 10 * time.Second
	// networkGoneWait bounds the wait for a removed network to leave the list: a
	// stack network lingers ~3.5 s, and a redeploy that sees it fails.
	networkGoneWait = 20 * time.Second
	// removePoll is the re-list period when no event arrives.
	removePoll = time.Second
	// swarmTaskLabel marks the containers swarm runs for a task.
	swarmTaskLabel = "com.docker.swarm.task.id"
)

// Remove tears stack down: its services, then, once every container of the
// stack is destroyed (a volume cannot go before), its networks (only those
// carrying the stack label, never external ones), volumes, secrets and
// configs (by label or name prefix "<stack>_"). It continues past failures
// and returns them joined, each naming the resource. progress receives one
// line per step ("removing 2 services"); nil logs them instead.
func (c *Client) Remove(ctx context.Context, stack string, progress func(string)) error {
	if progress == nil {
		progress = func(s string) { c.Log.Info(s, "stack", stack) }
	}
	objs, err := c.stackObjects(ctx, stack)
	if err != nil && objs == nil {
		return fmt.Errorf("remove stack %s: %w", stack, err)
	}
	// A node out of reach does not stop the removal of what can be reached.
	errs := []error{err}
	services := ofKind(objs, KindService, nil)
	if len(services) > 0 {
		progress("removing " + plural(len(services), "service"))
	}
	removed := map[string]bool{}
	for _, s := range services {
		removed[s.ID] = true
		if _, err := c.API.ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %s: %w", s, err))
		}
	}
	errs = append(errs, c.waitContainers(ctx, stack, removed, progress))

	if objs, err = c.stackObjects(ctx, stack); err != nil && objs == nil {
		return fmt.Errorf("remove stack %s: %w", stack, errors.Join(append(errs, err)...))
	}
	networks := ofKind(objs, KindNetwork, func(o Object) bool { return o.Stack() == stack })
	errs = append(errs, c.removeAll(ctx, networks, progress, func(o Object) error {
		if o.Name == ReachNetwork(stack) {
			c.evictJoiners(ctx, o)
		}
		_, err := c.API.NetworkRemove(ctx, o.ID, client.NetworkRemoveOptions{})
		return err
	}))
	errs = append(errs, c.removeAll(ctx, ofKind(objs, KindVolume, nil), progress, c.volumeRemover(ctx, objs)))
	errs = append(errs, c.removeAll(ctx, ofKind(objs, KindSecret, nil), progress, func(o Object) error {
		_, err := c.API.SecretRemove(ctx, o.ID, client.SecretRemoveOptions{})
		return err
	}))
	errs = append(errs, c.removeAll(ctx, ofKind(objs, KindConfig, nil), progress, func(o Object) error {
		_, err := c.API.ConfigRemove(ctx, o.ID, client.ConfigRemoveOptions{})
		return err
	}))
	errs = append(errs, c.waitNetworksGone(ctx, networks))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove stack %s: %w", stack, err)
	}
	return nil
}

// volumeRemover removes a volume of objs on the engine of its node; a
// volume a container holds fails at once, naming the holders.
func (c *Client) volumeRemover(ctx context.Context, objs []Object) func(Object) error {
	return func(o Object) error {
		api, err := c.engineOf(ctx, o)
		if err != nil {
			return permanentError{err}
		}
		_, err = api.VolumeRemove(ctx, o.Name, client.VolumeRemoveOptions{})
		if err != nil && cerrdefs.IsConflict(err) {
			if holders := holdersOf(objs, o); len(holders) > 0 {
				// Not ours to stop: report who holds it instead of retrying.
				return permanentError{fmt.Errorf("in use by %s: %w", strings.Join(holders, ", "), err)}
			}
		}
		return err
	}
}

// RemoveOtherNodesVolumes removes stack's volumes that are on the swarm's
// other nodes, beyond the manager's own engine: what a deployer that works
// through the manager's engine alone leaves (abra's `app volume remove`
// lists the volumes of its server's engine only), as an operator would
// with each node's Docker context. Without other nodes it does nothing. A
// node no endpoint reaches is an error naming it.
func (c *Client) RemoveOtherNodesVolumes(ctx context.Context, stack string, progress func(string)) error {
	if c.nodes == nil {
		return nil
	}
	objs, err := c.stackObjects(ctx, stack)
	if err != nil && objs == nil {
		return fmt.Errorf("remove the volumes of stack %s on other nodes: %w", stack, err)
	}
	remote := ofKind(objs, KindVolume, func(o Object) bool {
		api, err := c.engineOf(ctx, o)
		return err != nil || api != c.API
	})
	if err := errors.Join(err, c.removeAll(ctx, remote, progress, c.volumeRemover(ctx, objs))); err != nil {
		return fmt.Errorf("remove the volumes of stack %s on other nodes: %w", stack, err)
	}
	return nil
}

// permanentError marks a removal failure that retrying cannot fix.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// removeAll removes objs one by one with remove, retrying each for up to
// removeRetryWait, and returns the failures joined. Not-found counts as removed.
func (c *Client) removeAll(ctx context.Context, objs []Object, progress func(string), remove func(Object) error) error {
	if len(objs) == 0 {
		return nil
	}
	progress("removing " + plural(len(objs), objs[0].Kind))
	var errs []error
	for _, o := range objs {
		deadline := time.Now().Add(removeRetryWait)
		for {
			err := remove(o)
			if err == nil || cerrdefs.IsNotFound(err) {
				break
			}
			if errors.As(err, new(permanentError)) || time.Now().After(deadline) || sleep.For(ctx, 500*time.Millisecond) != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", o, err))
				break
			}
			c.Log.Debug("removal refused, retrying", "resource", o.String(), "err", err)
		}
	}
	return errors.Join(errs...)
}

// waitContainers waits until no container of stack is left, exited task
// history included: swarm destroys them some seconds after their service
// went. A task of a removed service (by ID in services) that has not ended
// yet may still get a container (a service removed while its tasks were
// being assigned or prepared: the node creates the container after the
// removal), so the wait also lasts until every such task has ended or is
// gone. It wakes on each container destroy event of the stack and on a
// ticker (containers named after the stack but unlabelled send no event
// through the filter), and re-lists every time. Containers that are not
// swarm tasks are force-removed at once, as are task containers still there
// after taskDestroyWait.
func (c *Client) waitContainers(ctx context.Context, stack string, services map[string]bool, progress func(string)) error {
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ev := c.API.Events(evCtx, client.EventsListOptions{Filters: make(client.Filters).
		Add("type", "container").Add("event", "destroy").Add("label", LabelNamespace+"="+stack)})
	msgs, evErrs := ev.Messages, ev.Err
	tick := time.NewTicker(removePoll)
	defer tick.Stop()
	force := time.Now().Add(taskDestroyWait)
	giveUp := force.Add(taskDestroyGiveUp)
	tried := map[string]bool{}
	last := -1
	for {
		cts, err := c.stackContainers(ctx, stack)
		// A node out of reach (reported by Remove already) does not stop
		// the wait for the containers of the others.
		if err != nil && !errors.As(err, new(*multinode.UnreachedError)) {
			return err
		}
		pending, err := c.unendedTasks(ctx, services)
		if err != nil {
			return err
		}
		if len(cts) == 0 && len(pending) == 0 {
			return nil
		}
		now := time.Now()
		if now.After(giveUp) {
			if len(cts) == 0 {
				return fmt.Errorf("tasks still not ended %s after their services were removed: %s", taskDestroyWait+taskDestroyGiveUp, strings.Join(pending, ", "))
			}
			return fmt.Errorf("containers still present %s after their services were removed: %s", taskDestroyWait+taskDestroyGiveUp, objectNames(cts))
		}
		var orphans []Object
		for _, ct := range cts {
			if !tried[ct.ID] && (ct.Labels[swarmTaskLabel] == "" || now.After(force)) {
				orphans = append(orphans, ct)
			}
		}
		if len(orphans) > 0 {
			progress("force-removing " + plural(len(orphans), "container"))
			for _, ct := range orphans {
				tried[ct.ID] = true
				if err := c.removeContainer(ctx, ct); err != nil {
					c.Log.Warn("force-remove container", "container", ct.String(), "err", err)
				}
			}
			continue
		}
		if len(cts) != last && len(cts) > 0 {
			progress(fmt.Sprintf("waiting for %s to stop", plural(len(cts), "container")))
			last = len(cts)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for containers %s to be destroyed: %w", objectNames(cts), ctx.Err())
		case <-msgs:
		case err := <-evErrs:
			// The stream broke: carry on with the ticker alone.
			c.Log.Debug("container events stream ended", "err", err)
			msgs, evErrs = nil, nil
		case <-tick.C:
		}
	}
}

// unendedTasks names the tasks of the services (by ID) that have not
// reached an end state: each may still start a container. The tasks are
// listed whole: a filter on a removed service's ID is refused.
func (c *Client) unendedTasks(ctx context.Context, services map[string]bool) ([]string, error) {
	if len(services) == 0 {
		return nil, nil
	}
	res, err := c.API.TaskList(ctx, client.TaskListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	var out []string
	for _, t := range res.Items {
		if !services[t.ServiceID] {
			continue
		}
		switch t.Status.State {
		case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected,
			swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		default:
			out = append(out, fmt.Sprintf("task %s (%s)", t.ID, t.Status.State))
		}
	}
	slices.Sort(out)
	return out, nil
}

// stackContainers lists the containers of stack (by label or name) on
// every node, exited ones included, but not foreign containers that merely
// mount its volumes. A node out of reach is an error naming it, returned
// with the containers of the other nodes.
func (c *Client) stackContainers(ctx context.Context, stack string) ([]Object, error) {
	nodes, nodesErr := c.engines(ctx)
	var out []Object
	for _, n := range nodes {
		res, err := n.API.ContainerList(ctx, client.ContainerListOptions{All: true})
		if err != nil {
			return nil, fmt.Errorf("list containers of stack %s%s: %w", stack, n.on(), err)
		}
		for _, ct := range res.Items {
			o := Object{Resource: Resource{Kind: KindContainer, Name: containerName(ct.Names), ID: ct.ID, Node: n.label}, NodeID: n.ID, Labels: ct.Labels}
			if o.belongsTo(stack) {
				out = append(out, o)
			}
		}
	}
	sortObjects(out)
	if nodesErr != nil {
		return out, fmt.Errorf("list containers of stack %s: %w", stack, nodesErr)
	}
	return out, nil
}

// removeContainer force-removes a container on its node.
func (c *Client) removeContainer(ctx context.Context, ct Object) error {
	api, err := c.engineOf(ctx, ct)
	if err != nil {
		return err
	}
	if _, err := api.ContainerRemove(ctx, ct.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// waitNetworksGone waits until the removed networks leave the network list.
func (c *Client) waitNetworksGone(ctx context.Context, networks []Object) error {
	deadline := time.Now().Add(networkGoneWait)
	for len(networks) > 0 {
		res, err := c.API.NetworkList(ctx, client.NetworkListOptions{})
		if err != nil {
			return fmt.Errorf("list networks: %w", err)
		}
		listed := map[string]bool{}
		for _, n := range res.Items {
			listed[n.ID] = true
		}
		networks = slices.DeleteFunc(networks, func(o Object) bool { return !listed[o.ID] })
		if len(networks) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("networks still listed %s after removal: %s", networkGoneWait, objectNames(networks))
		}
		if err := sleep.For(ctx, 250*time.Millisecond); err != nil {
			return fmt.Errorf("wait for networks %s to go: %w", objectNames(networks), err)
		}
	}
	return nil
}

// plural returns "1 service", "2 services".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// evictJoiners disconnects what still holds the reach network once the
// stack's tasks are gone: a recipe-test container that joined it and did
// not leave (it was killed), which would keep the network from being
// removed. Errors surface as the removal's own.
func (c *Client) evictJoiners(ctx context.Context, network Object) {
	res, err := c.API.NetworkInspect(ctx, network.ID, client.NetworkInspectOptions{})
	if err != nil {
		return
	}
	for id := range res.Network.Containers {
		if _, err := c.API.NetworkDisconnect(ctx, network.ID, client.NetworkDisconnectOptions{Container: id, Force: true}); err != nil {
			c.Log.Debug("disconnect from reach network", "network", network.Name, "container", id, "err", err)
		}
	}
}
