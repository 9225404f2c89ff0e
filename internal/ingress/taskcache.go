package ingress

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// taskCache remembers briefly where each service's task answers.
type taskCache struct {
	resolver Resolver
	ttl      time.Duration

	mu      sync.Mutex
	entries map[string]taskEntry
}

type taskEntry struct {
	addr netip.Addr
	at   time.Time
}

func newTaskCache(r Resolver, ttl time.Duration) *taskCache {
	return &taskCache{resolver: r, ttl: ttl, entries: map[string]taskEntry{}}
}

// lookup returns an address of a task of svc, and whether it came from the
// cache rather than from the resolver just now. Its errors leave naming
// the service to the caller.
func (c *taskCache) lookup(ctx context.Context, svc string) (netip.Addr, bool, error) {
	c.mu.Lock()
	e, ok := c.entries[svc]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.ttl {
		return e.addr, true, nil
	}
	addr, err := c.resolver.TaskAddress(ctx, svc)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("finding a running task: %w", err)
	}
	addr = addr.Unmap()
	if err := checkTaskAddr(addr, c.resolver); err != nil {
		return netip.Addr{}, false, fmt.Errorf("task address: %w", err)
	}
	c.mu.Lock()
	c.entries[svc] = taskEntry{addr: addr, at: time.Now()}
	c.mu.Unlock()
	return addr, false, nil
}

// forget drops svc's cached address, unless it already changed.
func (c *taskCache) forget(svc string, addr netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[svc]; ok && e.addr == addr {
		delete(c.entries, svc)
	}
}

// overlayRange is where swarm puts overlay networks and service VIPs by
// default. From the host, traffic to them leaves the machine through its
// uplink instead of reaching the task: the host reaches a task only at its
// docker_gwbridge address.
var overlayRange = netip.MustParsePrefix("10.0.0.0/8")

// JoinedResolver is a Resolver whose addresses lie on networks this
// process has joined (it runs in a container attached to them): traffic to
// them stays on the overlay, so they are allowed, and nothing else is.
type JoinedResolver interface {
	Resolver
	Subnets() []netip.Prefix
}

// checkTaskAddr refuses addresses the proxy must never send traffic to.
func checkTaskAddr(a netip.Addr, r Resolver) error {
	if !a.IsValid() || a.IsUnspecified() {
		return fmt.Errorf("no usable address (%v)", a)
	}
	if j, ok := r.(JoinedResolver); ok {
		for _, p := range j.Subnets() {
			if p.Contains(a) {
				return nil
			}
		}
		return fmt.Errorf("%s is outside the joined networks %v: refusing to send test traffic there", a, j.Subnets())
	}
	switch {
	case overlayRange.Contains(a):
		return fmt.Errorf("%s is an overlay or VIP address, which the host must never send traffic to; want the task's docker_gwbridge address", a)
	case !a.IsLoopback() && !a.IsPrivate():
		return fmt.Errorf("%s is not a local address: refusing to send test traffic there", a)
	}
	return nil
}
