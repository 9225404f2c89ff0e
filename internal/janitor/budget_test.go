package janitor

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	mobyswarm "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/budget"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The janitor leaves a live run's budget ticket alone and removes those of
// dead runs: one whose lease expired, one whose lease is gone. A dry run
// only says so.
func TestBudgetTickets(t *testing.T) {
	testenv.Swarm(t)
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := swarm.Connect(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stack := func() (string, string) {
		id, err := naming.NewRunID(nil)
		if err != nil {
			t.Fatal(err)
		}
		return naming.StackName("jbud-" + id + ".janbudget.test"), id
	}
	live, liveID := stack()
	expired, expiredID := stack()
	gone, goneID := stack()
	l, err := lease.Acquire(ctx, c.API, live, liveID, lease.Options{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	slot, err := budget.Take(ctx, c.API, budget.Request{RunID: liveID, Stack: live, Recipe: "example", Weight: 1, Capacity: 3, Pool: t.Name()}, budget.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer slot.Release(context.Background())
	deadLease(t, c, expired, expiredID, time.Now().Add(-time.Second))
	deadTicket(t, c, expired, expiredID)
	deadTicket(t, c, gone, goneID)

	ours := []string{live, expired, gone}
	opts := Options{LockDir: t.TempDir(), Log: log, Grace: 3 * time.Hour, Match: func(s string) bool { return slices.Contains(ours, s) }}
	dry := opts
	dry.DryRun = true
	rep := run(t, ctx, c, dry)
	if got := ticketStacks(rep); !slices.Equal(got, slices.Sorted(slices.Values([]string{expired, gone}))) {
		t.Errorf("dry run would remove the tickets of %v, want %s and %s", got, expired, gone)
	}
	if left := ourTickets(t, c, ours); len(left) != 3 {
		t.Fatalf("a dry run removed tickets: %v left", left)
	}
	rep = run(t, ctx, c, opts)
	if got := ticketStacks(rep); len(got) != 2 {
		t.Errorf("removed the tickets of %v, want %s and %s", got, expired, gone)
	}
	if left := ourTickets(t, c, ours); !slices.Equal(left, []string{live}) {
		t.Errorf("tickets left: %v, want the live run's alone (%s)", left, live)
	}
}

func ticketStacks(rep Report) []string {
	var out []string
	for _, tk := range rep.Tickets {
		out = append(out, tk.Stack)
	}
	slices.Sort(out)
	return out
}

func ourTickets(t *testing.T, c *swarm.Client, stacks []string) []string {
	t.Helper()
	all, err := budget.List(t.Context(), c.API)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tk := range all {
		if slices.Contains(stacks, tk.Stack) {
			out = append(out, tk.Stack)
		}
	}
	return out
}

// deadTicket makes the ticket a killed run leaves behind.
func deadTicket(t *testing.T, c *swarm.Client, stack, runID string) {
	t.Helper()
	_, err := c.API.ConfigCreate(t.Context(), client.ConfigCreateOptions{Spec: mobyswarm.ConfigSpec{
		Annotations: mobyswarm.Annotations{Name: budget.Name(stack), Labels: map[string]string{
			budget.LabelStack: stack, budget.LabelRun: runID, budget.LabelRecipe: "example", budget.LabelHolder: "killed pid 1",
			budget.LabelWeight: "1", budget.LabelCapacity: strconv.Itoa(3), budget.LabelPool: t.Name(),
		}},
		Data: []byte("ticket\n"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.API.ConfigRemove(context.Background(), budget.Name(stack), client.ConfigRemoveOptions{}) })
}
