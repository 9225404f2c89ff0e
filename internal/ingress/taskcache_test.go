package ingress

import (
	"context"
	"net/netip"
	"testing"
)

// joined is a resolver for a process joined to one overlay network.
type joined struct{ subnet netip.Prefix }

func (joined) TaskAddress(context.Context, string) (netip.Addr, error) { return netip.Addr{}, nil }
func (j joined) Subnets() []netip.Prefix                               { return []netip.Prefix{j.subnet} }

// From a container joined to the run's network, its overlay addresses are
// the only ones allowed: not the host's gateway bridge, not another
// overlay, not the internet.
func TestCheckTaskAddrJoined(t *testing.T) {
	r := joined{netip.MustParsePrefix("10.0.7.0/24")}
	for addr, ok := range map[string]bool{
		"10.0.7.12": true, "10.0.8.12": false, "172.18.0.5": false,
		"127.0.0.1": false, "8.8.8.8": false, "0.0.0.0": false,
	} {
		if err := checkTaskAddr(netip.MustParseAddr(addr), r); (err == nil) != ok {
			t.Errorf("checkTaskAddr(%s) joined to %s = %v", addr, r.subnet, err)
		}
	}
}
