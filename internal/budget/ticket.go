// Package budget shares one run budget among every run on a swarm,
// whichever runner or job started it: a run takes a ticket (a swarm
// config) before it deploys anything, waits until the tickets ahead of it
// and its own fit the capacity, and gives the ticket back after its
// teardown. The budget lives in the swarm, not in a file of one host, so
// runs in different jobs, containers and runners see the same queue.
//
// A ticket is never changed once made. Its run's liveness is its run's
// lease (internal/lease), which the run renews anyway: a ticket whose
// lease has expired, was taken over or is gone belongs to a dead run and
// is reclaimed by whoever sees it first (a waiting run, a janitor). As
// nothing ever updates a ticket, its version index stays the raft index
// of its creation, which orders the queue the same way for every runner.
package budget

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/lease"
)

// Labels of a ticket.
const (
	LabelRun      = "recipe-test.budget.run"
	LabelStack    = "recipe-test.budget.stack" // the run's stack: its lease keeps the ticket alive
	LabelRecipe   = "recipe-test.budget.recipe"
	LabelWeight   = "recipe-test.budget.weight"   // slots the run takes
	LabelCapacity = "recipe-test.budget.capacity" // the run's --budget
	LabelHolder   = "recipe-test.budget.holder"   // host and pid, for people
	LabelPool     = "recipe-test.budget.pool"     // the queue it is in; "" the swarm's run budget
)

// namePrefix starts every ticket's name; like a lease's, it is outside
// every stack's namespace, so no teardown or inventory counts it.
const namePrefix = "recipe-test-budget."

// Name is the config name of the ticket of the run on stack.
func Name(stack string) string { return namePrefix + stack }

// API is what the budget needs of the Docker Engine API: configs, as the
// leases do.
type API = lease.API

// Ticket is one run's place in the budget's queue.
type Ticket struct {
	ID       string
	RunID    string
	Stack    string
	Recipe   string
	Holder   string
	Weight   int
	Capacity int
	Pool     string
	// Index is the ticket's raft version index: the swarm's order of
	// creation, as a ticket is never updated.
	Index   uint64
	Created time.Time
}

func (t Ticket) String() string {
	return fmt.Sprintf("run %s (%s)", t.RunID, t.Recipe)
}

func ticketOf(c swarm.Config) (Ticket, bool) {
	l := c.Spec.Labels
	w, werr := strconv.Atoi(l[LabelWeight])
	cp, cerr := strconv.Atoi(l[LabelCapacity])
	if !strings.HasPrefix(c.Spec.Name, namePrefix) || werr != nil || cerr != nil || w < 1 || cp < 1 || l[LabelStack] == "" {
		return Ticket{}, false
	}
	return Ticket{ID: c.ID, RunID: l[LabelRun], Stack: l[LabelStack], Recipe: l[LabelRecipe], Holder: l[LabelHolder],
		Weight: w, Capacity: cp, Pool: l[LabelPool], Index: c.Version.Index, Created: c.CreatedAt}, true
}

// List returns every ticket on the swarm in queue order: by the raft
// index of its creation, which grows with every change the swarm makes
// and is the same whichever manager is asked, then by ID should two ever
// be equal. Creation times would not do: they are the leader's clock,
// which a new leader's may disagree with. A config carrying the label
// that cannot be read is not ours to judge and is left out.
func List(ctx context.Context, api API) ([]Ticket, error) {
	res, err := api.ConfigList(ctx, client.ConfigListOptions{Filters: make(client.Filters).Add("label", LabelStack)})
	if err != nil {
		return nil, fmt.Errorf("list run budget tickets: %w", err)
	}
	var out []Ticket
	for _, c := range res.Items {
		if t, ok := ticketOf(c); ok {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Ticket) int {
		if a.Index != b.Index {
			if a.Index < b.Index {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Stale splits tickets into the live ones and those of dead runs, by
// their runs' leases at now: a ticket whose stack has no lease, a lease
// of another run (a janitor took it over) or one expired for longer than
// skew is stale. The leases must be listed after the tickets (Snapshot
// does): a run takes its lease before its ticket, so every ticket listed
// had its lease then.
func Stale(tickets []Ticket, leases map[string]lease.Info, now time.Time, skew time.Duration) (live, stale []Ticket) {
	for _, t := range tickets {
		l, ok := leases[t.Stack]
		if !ok || l.RunID != t.RunID || l.Expired(now, skew) {
			stale = append(stale, t)
			continue
		}
		live = append(live, t)
	}
	return live, stale
}

// Snapshot lists the tickets, then the leases (in that order: see Stale),
// and splits the tickets into live and stale ones.
func Snapshot(ctx context.Context, api API, now func() time.Time, skew time.Duration) (live, stale []Ticket, err error) {
	tickets, err := List(ctx, api)
	if err != nil {
		return nil, nil, err
	}
	leases, err := lease.List(ctx, api)
	if err != nil {
		return nil, nil, fmt.Errorf("run budget: %w", err)
	}
	live, stale = Stale(tickets, leases, now(), skew)
	return live, stale, nil
}

// inPool keeps the tickets of pool.
func inPool(tickets []Ticket, pool string) []Ticket {
	var out []Ticket
	for _, t := range tickets {
		if t.Pool == pool {
			out = append(out, t)
		}
	}
	return out
}

// Reclaim removes a stale ticket. A ticket is never changed, so there is
// no version to race on: removing it twice is harmless.
func Reclaim(ctx context.Context, api API, t Ticket) error {
	if _, err := api.ConfigRemove(ctx, t.ID, client.ConfigRemoveOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("reclaim the run budget ticket of %s: %w", t, err)
	}
	return nil
}

func holder() string {
	host, _ := os.Hostname()
	return host + " pid " + strconv.Itoa(os.Getpid())
}
