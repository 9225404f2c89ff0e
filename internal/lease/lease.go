// Package lease keeps a run's liveness in the swarm itself: a swarm config
// per run-scoped stack whose labels say which run holds it and until when.
// The run renews it while it lives; a janitor on any runner, in any
// container, sees it. A lease that was not renewed in time belongs to a
// dead run (its container killed, its runner gone), whose stack can be
// reaped at once instead of after a long grace period. A lock file would
// not do: an action's container is thrown away with its files, and two
// action containers on one swarm cannot see each other's.
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// Labels of a lease config. A config's data cannot change, its labels can:
// everything that changes lives in labels.
const (
	LabelStack   = "recipe-test.lease.stack"
	LabelRun     = "recipe-test.lease.run"
	LabelHolder  = "recipe-test.lease.holder" // host and pid, for people
	LabelExpires = "recipe-test.lease.expires"
)

// namePrefix starts every lease's name. It is outside every stack's
// namespace (names starting "<stack>_"), so a stack's teardown and
// inventory never count the lease among the stack's resources.
const namePrefix = "recipe-test-lease."

// DefaultTTL is how long a lease lasts without renewal; it is renewed
// three times within that.
const DefaultTTL = 2 * time.Minute

// API is what leases need of the Docker Engine API.
type API interface {
	ConfigCreate(context.Context, client.ConfigCreateOptions) (client.ConfigCreateResult, error)
	ConfigInspect(context.Context, string, client.ConfigInspectOptions) (client.ConfigInspectResult, error)
	ConfigList(context.Context, client.ConfigListOptions) (client.ConfigListResult, error)
	ConfigUpdate(context.Context, string, client.ConfigUpdateOptions) (client.ConfigUpdateResult, error)
	ConfigRemove(context.Context, string, client.ConfigRemoveOptions) (client.ConfigRemoveResult, error)
}

// Name is the config name of stack's lease.
func Name(stack string) string { return namePrefix + stack }

// Info is what a lease says.
type Info struct {
	Stack   string
	RunID   string
	Holder  string
	Expires time.Time

	id      string
	version swarm.Version
	spec    swarm.ConfigSpec
}

// Expired reports whether the lease ran out at now, allowing skew for
// clocks of different runners that disagree.
func (i Info) Expired(now time.Time, skew time.Duration) bool {
	return now.After(i.Expires.Add(skew))
}

func (i Info) String() string {
	return fmt.Sprintf("run %s (%s), lease until %s", i.RunID, i.Holder, i.Expires.Format(time.RFC3339))
}

func infoOf(c swarm.Config) (Info, error) {
	l := c.Spec.Labels
	exp, err := time.Parse(time.RFC3339Nano, l[LabelExpires])
	if err != nil {
		return Info{}, fmt.Errorf("lease %s: label %s: %w", c.Spec.Name, LabelExpires, err)
	}
	return Info{Stack: l[LabelStack], RunID: l[LabelRun], Holder: l[LabelHolder], Expires: exp,
		id: c.ID, version: c.Version, spec: c.Spec}, nil
}

// List returns every lease on the swarm by stack. A config that carries
// the lease label but cannot be read is skipped: it is not ours to judge.
func List(ctx context.Context, api API) (map[string]Info, error) {
	res, err := api.ConfigList(ctx, client.ConfigListOptions{Filters: make(client.Filters).Add("label", LabelStack)})
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	out := map[string]Info{}
	for _, c := range res.Items {
		if !strings.HasPrefix(c.Spec.Name, namePrefix) {
			continue
		}
		if info, err := infoOf(c); err == nil && info.Stack != "" {
			out[info.Stack] = info
		}
	}
	return out, nil
}

// HeldError says that a live run holds the lease.
type HeldError struct{ Holder Info }

func (e *HeldError) Error() string { return "held by a live run: " + e.Holder.String() }

// Lease is a held lease, renewed in the background until Release.
type Lease struct {
	api   API
	stack string
	runID string
	ttl   time.Duration
	log   *slog.Logger

	mu   sync.Mutex
	info Info
	lost error

	stop chan struct{}
	done chan struct{}
}

// Options tune Acquire.
type Options struct {
	TTL  time.Duration // 0 = DefaultTTL
	Skew time.Duration // how far past its expiry another run's lease still counts as live
	// TakeOver names a run known to be dead whose lease may be taken over
	// before it expires (the janitor found its lock file free).
	TakeOver string
	Log      *slog.Logger
	Now      func() time.Time
}

// Acquire takes stack's lease for runID: it creates it, or takes over one
// that expired (a dead run's). A live holder's lease is a *HeldError. Two
// runs taking over the same expired lease race on its version: one wins.
func Acquire(ctx context.Context, api API, stack, runID string, opts Options) (*Lease, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Lease{api: api, stack: stack, runID: runID, ttl: opts.TTL, log: opts.Log,
		stop: make(chan struct{}), done: make(chan struct{})}
	labels := l.labels(opts.Now())
	_, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: Name(stack), Labels: labels},
		Data:        []byte("recipe-test run lease: see its labels\n"),
	}})
	switch {
	case err == nil:
	case cerrdefs.IsConflict(err) || cerrdefs.IsAlreadyExists(err) || strings.Contains(err.Error(), "already exists"):
		cur, rerr := l.read(ctx)
		if rerr != nil {
			return nil, fmt.Errorf("lease %s: %w", Name(stack), rerr)
		}
		if cur.RunID != runID && cur.RunID != opts.TakeOver && !cur.Expired(opts.Now(), opts.Skew) {
			return nil, &HeldError{cur}
		}
		if err := l.update(ctx, cur, labels); err != nil {
			return nil, fmt.Errorf("take over lease %s from %s: %w", Name(stack), cur, err)
		}
	default:
		return nil, fmt.Errorf("create lease %s: %w", Name(stack), err)
	}
	info, err := l.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", Name(stack), err)
	}
	if info.RunID != runID {
		return nil, &HeldError{info}
	}
	l.info = info
	go l.renew(opts.Now)
	return l, nil
}

func (l *Lease) labels(now time.Time) map[string]string {
	host, _ := os.Hostname()
	return map[string]string{
		LabelStack:   l.stack,
		LabelRun:     l.runID,
		LabelHolder:  host + " pid " + strconv.Itoa(os.Getpid()),
		LabelExpires: now.Add(l.ttl).UTC().Format(time.RFC3339Nano),
	}
}

func (l *Lease) read(ctx context.Context) (Info, error) {
	res, err := l.api.ConfigInspect(ctx, Name(l.stack), client.ConfigInspectOptions{})
	if err != nil {
		return Info{}, err
	}
	return infoOf(res.Config)
}

// update replaces cur's labels at cur's version: it fails if anyone
// changed the lease since cur was read.
func (l *Lease) update(ctx context.Context, cur Info, labels map[string]string) error {
	spec := cur.spec
	spec.Labels = labels
	_, err := l.api.ConfigUpdate(ctx, cur.id, client.ConfigUpdateOptions{Version: cur.version, Spec: spec})
	return err
}

// renew extends the lease every third of its TTL until Release. A lease
// taken over by someone else (this run was taken for dead) is lost: it is
// said once, and renewal stops.
func (l *Lease) renew(now func() time.Time) {
	defer close(l.done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		err := l.renewOnce(ctx, now())
		cancel()
		if err == nil {
			continue
		}
		var lost *lostError
		if errors.As(err, &lost) {
			l.mu.Lock()
			l.lost = err
			l.mu.Unlock()
			l.log.Error("run lease lost", "lease", Name(l.stack), "err", err)
			return
		}
		l.log.Warn("run lease not renewed; trying again", "lease", Name(l.stack), "err", err)
	}
}

type lostError struct{ by Info }

func (e *lostError) Error() string { return "taken over by " + e.by.String() }

func (l *Lease) renewOnce(ctx context.Context, now time.Time) error {
	cur, err := l.read(ctx)
	if cerrdefs.IsNotFound(err) {
		return &lostError{Info{RunID: "nobody (removed)"}}
	}
	if err != nil {
		return err
	}
	if cur.RunID != l.runID {
		return &lostError{cur}
	}
	if err := l.update(ctx, cur, l.labels(now)); err != nil {
		return err
	}
	l.mu.Lock()
	l.info, err = l.read(ctx)
	l.mu.Unlock()
	return err
}

// Lost says whether the lease was taken over by someone else, and by whom.
func (l *Lease) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops renewing and removes the lease, unless someone else holds
// it by now.
func (l *Lease) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	select {
	case <-l.stop:
		return nil // released already
	default:
		close(l.stop)
	}
	<-l.done
	cur, err := l.read(ctx)
	switch {
	case cerrdefs.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("release lease %s: %w", Name(l.stack), err)
	case cur.RunID != l.runID:
		return nil // taken over: not ours to remove
	}
	if _, err := l.api.ConfigRemove(ctx, cur.id, client.ConfigRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("release lease %s: %w", Name(l.stack), err)
	}
	return nil
}
