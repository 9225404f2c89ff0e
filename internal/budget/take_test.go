package budget

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	mobyswarm "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func apiClient(t *testing.T) *client.Client {
	t.Helper()
	testenv.Swarm(t)
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return api
}

// run is a test run: a run id and its stack, whose lease and ticket are
// removed when the test ends.
type run struct{ id, stack string }

func newRun(t *testing.T, api *client.Client) run {
	t.Helper()
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	stack := naming.StackName("budg-" + id + ".budgetqueue.test")
	t.Cleanup(func() {
		api.ConfigRemove(context.Background(), Name(stack), client.ConfigRemoveOptions{})
		api.ConfigRemove(context.Background(), lease.Name(stack), client.ConfigRemoveOptions{})
	})
	return run{id, stack}
}

// hold takes r's lease, renewed until the test ends.
func (r run) hold(t *testing.T, api *client.Client) {
	t.Helper()
	l, err := lease.Acquire(t.Context(), api, r.stack, r.id, lease.Options{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
}

// request asks for slots in the test's own pool: tests running at the
// same time on the swarm never share a queue.
func (r run) request(t *testing.T, weight, capacity int) Request {
	return Request{RunID: r.id, Stack: r.stack, Recipe: "example", Weight: weight, Capacity: capacity, Pool: t.Name()}
}

// ours keeps the tickets of this test's runs: other tests' runs may share
// the swarm.
func ours(tickets []Ticket, runs ...run) []Ticket {
	var out []Ticket
	for _, t := range tickets {
		for _, r := range runs {
			if t.RunID == r.id {
				out = append(out, t)
			}
		}
	}
	return out
}

// lines collects what a waiting run says.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) say(s string) { l.mu.Lock(); l.b.WriteString(s + "\n"); l.mu.Unlock() }
func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tickets made at the same moment get distinct raft indexes, and every
// listing orders them the same way, the way they were created.
func TestQueueOrder(t *testing.T) {
	api := apiClient(t)
	ctx := t.Context()
	runs := make([]run, 6)
	for i := range runs {
		runs[i] = newRun(t, api)
		runs[i].hold(t, api)
	}
	// The first alone, then the others at once.
	first, err := Take(ctx, api, runs[0].request(t, 1, 10), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release(context.Background())
	var wg sync.WaitGroup
	for _, r := range runs[1:] {
		wg.Go(func() {
			s, err := Take(ctx, api, r.request(t, 1, 10), Options{})
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { s.Release(context.Background()) })
		})
	}
	wg.Wait()
	a, err := List(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	b, err := List(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	a, b = ours(a, runs...), ours(b, runs...)
	if len(a) != len(runs) {
		t.Fatalf("%d tickets listed, want %d: %v", len(a), len(runs), a)
	}
	if a[0].RunID != runs[0].id {
		t.Errorf("the first ticket made is not first in the queue: %v", a)
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("two listings disagree on the order:\n%v\n%v", a, b)
		}
		if i > 0 && a[i].Index <= a[i-1].Index {
			t.Errorf("tickets %d and %d share or reverse a raft index: %d, %d", i-1, i, a[i-1].Index, a[i].Index)
		}
	}
}

// With a budget of one slot, a second run waits, saying its place and who
// holds the slot (again now and then while nothing changes), and goes once
// the first gives it back; its wait is measured.
func TestTakeWaitsItsTurn(t *testing.T) {
	api := apiClient(t)
	ctx := t.Context()
	a, b := newRun(t, api), newRun(t, api)
	a.hold(t, api)
	b.hold(t, api)
	first, err := Take(ctx, api, a.request(t, 1, 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Waited > time.Second {
		t.Errorf("the only run waited %s", first.Waited)
	}
	said := &lines{}
	got := make(chan *Slot, 1)
	go func() {
		s, err := Take(ctx, api, b.request(t, 1, 1), Options{Poll: 200 * time.Millisecond, Every: 500 * time.Millisecond, Say: said.say})
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	want := "waiting for the run budget: place 2 of 2, 1 of 1 slots held by run " + a.id + " (example)"
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(said.String(), want) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(said.String(), want) {
		t.Fatalf("the second run did not say its place; said:\n%s", said)
	}
	select {
	case <-got:
		t.Fatal("the second run went while the first held the only slot")
	case <-time.After(time.Second):
	}
	// The unchanged place is said again, with the time spent: a heartbeat.
	if !strings.Contains(said.String(), want+" (still waiting: ") {
		t.Errorf("no heartbeat while waiting; said:\n%s", said)
	}
	released := time.Now()
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	second := <-got
	if second == nil {
		t.FailNow()
	}
	defer second.Release(context.Background())
	if second.Waited < time.Since(released)-time.Second || !strings.Contains(said.String(), "run budget: admitted, 1 of 1 slots held") {
		t.Errorf("waited %s; said:\n%s", second.Waited, said)
	}
}

// A run killed while it holds slots leaves its ticket: once its lease
// expires, the waiting run reclaims it and goes. Cancelled while waiting,
// a run takes its own ticket away.
func TestStaleTicketReclaimed(t *testing.T) {
	api := apiClient(t)
	ctx := t.Context()
	dead, b, c := newRun(t, api), newRun(t, api), newRun(t, api)
	b.hold(t, api)
	c.hold(t, api)
	// The dead run's lease, never renewed: it expires in 3 s.
	expires := time.Now().Add(3 * time.Second)
	_, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: mobyswarm.ConfigSpec{
		Annotations: mobyswarm.Annotations{Name: lease.Name(dead.stack), Labels: map[string]string{
			lease.LabelStack: dead.stack, lease.LabelRun: dead.id, lease.LabelHolder: "killed pid 1",
			lease.LabelExpires: expires.UTC().Format(time.RFC3339Nano)}},
		Data: []byte("lease\n"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Take(ctx, api, dead.request(t, 1, 1), Options{}); err != nil {
		t.Fatal(err)
	}

	// Cancelled while waiting: the ticket goes with it.
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	_, err = Take(cctx, api, c.request(t, 1, 1), Options{Poll: 200 * time.Millisecond})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "cancelled while waiting for the run budget: place 2 of 2") {
		t.Errorf("cancelled while waiting: %v", err)
	}
	if all, _ := List(ctx, api); len(ours(all, c)) != 0 {
		t.Errorf("a cancelled run's ticket was left: %v", ours(all, c))
	}

	said := &lines{}
	s, err := Take(ctx, api, b.request(t, 1, 1), Options{Poll: 200 * time.Millisecond, Say: said.say})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(context.Background())
	if time.Now().Before(expires) {
		t.Errorf("admitted before the dead run's lease expired")
	}
	if !strings.Contains(said.String(), "reclaimed the ticket of run "+dead.id) {
		t.Errorf("no reclaim said:\n%s", said)
	}
	if all, _ := List(ctx, api); len(ours(all, dead)) != 0 {
		t.Errorf("the dead run's ticket is still there: %v", ours(all, dead))
	}
}

// A pool is a queue of its own: a run in another pool neither waits for
// the full one nor counts in it.
func TestPoolsAreSeparate(t *testing.T) {
	api := apiClient(t)
	ctx := t.Context()
	a, b := newRun(t, api), newRun(t, api)
	a.hold(t, api)
	b.hold(t, api)
	first, err := Take(ctx, api, a.request(t, 1, 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release(context.Background())
	other := b.request(t, 1, 1)
	other.Pool += "/other"
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := Take(wctx, api, other, Options{Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("a run of another pool waited for a full one: %v", err)
	}
	defer s.Release(context.Background())
	if s.Waited > time.Second {
		t.Errorf("waited %s", s.Waited)
	}
}
