package lease

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moby/moby/client"

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

func testStack(t *testing.T, api *client.Client) string {
	t.Helper()
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	stack := naming.StackName("leas-" + id + ".lease.test")
	t.Cleanup(func() {
		api.ConfigRemove(context.Background(), Name(stack), client.ConfigRemoveOptions{})
	})
	return stack
}

// A live run's lease keeps others out and is renewed; once its run stops
// renewing (it died), another run takes it over at once after it expires,
// and the dead run's Release does not remove the new holder's lease.
func TestLeaseLifecycle(t *testing.T) {
	api := apiClient(t)
	ctx := t.Context()
	stack := testStack(t, api)
	// Renewed every second: a check a second late on a busy machine still
	// finds the lease live.
	const ttl = 3 * time.Second

	a, err := Acquire(ctx, api, stack, "aaaaaa", Options{TTL: ttl})
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	first := a.info.Expires
	var held *HeldError
	if _, err := Acquire(ctx, api, stack, "bbbbbb", Options{TTL: ttl}); !errors.As(err, &held) || held.Holder.RunID != "aaaaaa" {
		t.Fatalf("a second run acquired a live lease: %v", err)
	}
	time.Sleep(ttl*2/3 + 200*time.Millisecond) // at least two renewals
	leases, err := List(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	if got := leases[stack]; got.RunID != "aaaaaa" || !got.Expires.After(first) || got.Expired(time.Now(), 0) {
		t.Errorf("after renewals: %+v (first expiry %s)", got, first)
	}

	// a dies: it stops renewing without releasing.
	close(a.stop)
	<-a.done
	if _, err := Acquire(ctx, api, stack, "bbbbbb", Options{TTL: ttl}); !errors.As(err, &held) {
		t.Fatalf("a lease that has not expired yet was taken: %v", err)
	}
	time.Sleep(ttl + 100*time.Millisecond)
	b, err := Acquire(ctx, api, stack, "bbbbbb", Options{TTL: ttl})
	if err != nil {
		t.Fatalf("take over an expired lease: %v", err)
	}
	var lost *lostError
	if err := a.renewOnce(ctx, time.Now()); !errors.As(err, &lost) || lost.by.RunID != "bbbbbb" {
		t.Errorf("the dead run renewing now: %v, want lost to bbbbbb", err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if leases, _ := List(ctx, api); leases[stack].RunID != "bbbbbb" {
		t.Errorf("the dead run's release removed the new holder's lease: %+v", leases[stack])
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if leases, _ := List(ctx, api); leases[stack].RunID != "" {
		t.Errorf("released, still listed: %+v", leases[stack])
	}
	if err := b.Release(ctx); err != nil {
		t.Errorf("a second release: %v", err)
	}
}

// Two runs racing to take over one expired lease: exactly one wins.
func TestLeaseTakeoverRace(t *testing.T) {
	api := apiClient(t)
	ctx := t.Context()
	stack := testStack(t, api)
	dead, err := Acquire(ctx, api, stack, "deadde", Options{TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	close(dead.stop)
	<-dead.done
	time.Sleep(1100 * time.Millisecond)
	type result struct {
		l   *Lease
		err error
	}
	results := make(chan result, 2)
	for _, id := range []string{"racer1", "racer2"} {
		go func() {
			l, err := Acquire(ctx, api, stack, id, Options{TTL: time.Minute})
			results <- result{l, err}
		}()
	}
	won := 0
	for range 2 {
		r := <-results
		if r.err == nil {
			won++
			defer r.l.Release(context.Background())
		}
	}
	if won != 1 {
		t.Errorf("%d runs took over the same lease, want 1", won)
	}
}
