// Package janitor reaps what killed runs left on the swarm: services,
// volumes, secrets, configs and networks of our own run-scoped stacks that
// no live run holds. Everything else is left alone, and said so in the
// report.
package janitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/budget"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/runlock"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// Engine is what the janitor needs of the engine the stacks live on: every
// object with its stack, a stack's inventory, its removal, and the leases
// that say whose run is alive. *swarm.Client is one.
type Engine interface {
	Objects(ctx context.Context) ([]swarm.Object, error)
	Inventory(ctx context.Context, stack string) ([]swarm.Resource, error)
	Remove(ctx context.Context, stack string, progress func(string)) error
	Leases() lease.API
}

var _ Engine = (*swarm.Client)(nil)

// Options tune a janitor run.
type Options struct {
	// LockDir holds the runs' locks; "" means runlock.DefaultDir().
	LockDir string
	// Grace spares stacks younger than this (by their oldest resource).
	Grace time.Duration
	// DryRun reports what would be reaped without removing anything.
	DryRun bool
	// Match is an extra filter on stack names; nil means all. A stack it
	// rejects is not looked at, nor reported.
	Match func(stack string) bool
	// Log receives progress; nil discards it.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LeaseSkew is how long past its expiry a run's lease still counts as
	// live, for runners whose clocks disagree (DefaultLeaseSkew is sound).
	LeaseSkew time.Duration
}

// DefaultLeaseSkew allows for runners' clocks that disagree.
const DefaultLeaseSkew = 30 * time.Second

// Report is what a janitor run did.
type Report struct {
	DryRun  bool
	Reaped  []Reaped
	Skipped []Skipped
	// Tickets are the run budget tickets of dead runs it removed (or, in
	// a dry run, would remove).
	Tickets []budget.Ticket
}

// Reaped is a stack the janitor removed (or, in a dry run, would remove).
type Reaped struct {
	Stack string
	RunID string
	Age   time.Duration
	// Removed lists what was removed; in a dry run, what would be.
	Removed []swarm.Resource
	// Left lists what was still there after the removal, and Err why.
	Left []swarm.Resource
	Err  error
}

// Skipped is a stack the janitor left alone, and why.
type Skipped struct {
	Stack, Reason string
}

// Run finds every stack on the swarm (by its namespace label) and reaps
// those that are ours, old enough and not held by a live run; see judge
// for the rules. The lock of a stack being reaped is held meanwhile, so no
// run can start on it. The error joins the stacks that could not be reaped
// completely; the report says what happened to each.
func Run(ctx context.Context, c Engine, opts Options) (Report, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockDir == "" {
		opts.LockDir = runlock.DefaultDir()
	}
	rep := Report{DryRun: opts.DryRun}
	objs, err := c.Objects(ctx)
	if err != nil {
		return rep, fmt.Errorf("janitor: %w", err)
	}
	// Without the leases nobody's liveness is known: then no stack is
	// judged by its lease, only by the grace period and the local locks.
	leases, err := lease.List(ctx, c.Leases())
	if err != nil {
		return rep, fmt.Errorf("janitor: %w", err)
	}
	stacks := map[string][]swarm.Object{}
	for _, o := range objs {
		if s := o.Stack(); s != "" && (opts.Match == nil || opts.Match(s)) {
			stacks[s] = append(stacks[s], o)
		}
	}
	var errs []error
	for _, stack := range slices.Sorted(maps.Keys(stacks)) {
		grace, deadRun := opts.Grace, ""
		if l, ok := leases[stack]; ok {
			switch {
			case l.Expired(opts.Now(), opts.LeaseSkew):
				// Its run stopped renewing its lease: it is dead.
			case diedHere(opts.LockDir, stack, l.RunID):
				deadRun = l.RunID
			default:
				opts.Log.Debug("janitor: sparing stack", "stack", stack, "lease", l.String())
				rep.Skipped = append(rep.Skipped, Skipped{stack, "held by a live run: " + l.String()})
				continue
			}
			grace = 0
		}
		v := judge(stack, stacks[stack], opts.Now(), grace)
		if v.Skip != "" {
			opts.Log.Debug("janitor: sparing stack", "stack", stack, "reason", v.Skip)
			rep.Skipped = append(rep.Skipped, Skipped{stack, v.Skip})
			continue
		}
		r, reason, err := reap(ctx, c, stack, deadRun, opts)
		switch {
		case reason != "":
			opts.Log.Info("janitor: sparing stack", "stack", stack, "reason", reason)
			rep.Skipped = append(rep.Skipped, Skipped{stack, reason})
		default:
			r.RunID, r.Age = v.RunID, v.Age
			rep.Reaped = append(rep.Reaped, r)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("janitor: stack %s: %w", stack, err))
		}
	}
	errs = append(errs, dropStaleLeases(ctx, c, leases, stacks, opts))
	tickets, err := dropStaleTickets(ctx, c, opts)
	rep.Tickets = tickets
	errs = append(errs, err)
	return rep, errors.Join(errs...)
}

// diedHere reports whether the run holding a live lease is known dead
// before its lease expires: it ran here (its lock file in our lock folder
// names the same run) and no process holds that lock any more.
func diedHere(lockDir, stack, runID string) bool {
	info, err := runlock.Read(lockDir, stack)
	if err != nil || info.RunID != runID {
		return false
	}
	held, err := runlock.Held(lockDir, stack)
	return err == nil && !held
}

// dropStaleLeases removes the expired leases of stacks that are gone: a
// run killed after its teardown, before it released its lease.
func dropStaleLeases(ctx context.Context, c Engine, leases map[string]lease.Info, stacks map[string][]swarm.Object, opts Options) error {
	var errs []error
	for stack, l := range leases {
		if _, there := stacks[stack]; there || opts.DryRun || !l.Expired(opts.Now(), opts.LeaseSkew) {
			continue
		}
		if opts.Match != nil && !opts.Match(stack) {
			continue
		}
		held, err := lease.Acquire(ctx, c.Leases(), stack, "janitor", lease.Options{Skew: opts.LeaseSkew})
		if err != nil {
			errs = append(errs, fmt.Errorf("janitor: stale lease of %s: %w", stack, err))
			continue
		}
		errs = append(errs, held.Release(ctx))
		opts.Log.Info("janitor: removed the stale lease of a gone stack", "stack", stack, "lease", l.String())
	}
	return errors.Join(errs...)
}

// dropStaleTickets removes the run budget tickets of dead runs: those
// whose run's lease expired, is gone or was taken over (by this janitor,
// reaping the run's stack, too). A live run's ticket is never touched:
// its lease is live.
func dropStaleTickets(ctx context.Context, c Engine, opts Options) ([]budget.Ticket, error) {
	_, stale, err := budget.Snapshot(ctx, c.Leases(), opts.Now, opts.LeaseSkew)
	if err != nil {
		return nil, fmt.Errorf("janitor: %w", err)
	}
	var dropped []budget.Ticket
	var errs []error
	for _, t := range stale {
		if opts.Match != nil && !opts.Match(t.Stack) {
			continue
		}
		if !opts.DryRun {
			if err := budget.Reclaim(ctx, c.Leases(), t); err != nil {
				errs = append(errs, fmt.Errorf("janitor: %w", err))
				continue
			}
			opts.Log.Info("janitor: removed the run budget ticket of a dead run", "ticket", budget.Name(t.Stack), "run", t.RunID)
		}
		dropped = append(dropped, t)
	}
	return dropped, errors.Join(errs...)
}

// reap removes stack under its lock, or returns why it must be spared.
func reap(ctx context.Context, c Engine, stack, deadRun string, opts Options) (Reaped, string, error) {
	r := Reaped{Stack: stack}
	if opts.DryRun {
		held, err := runlock.Held(opts.LockDir, stack)
		if err != nil {
			return r, "lock unreadable", err
		}
		if held {
			info, _ := runlock.Read(opts.LockDir, stack) // zero if unreadable
			return r, heldReason(info), nil
		}
	} else {
		lock, err := runlock.Acquire(opts.LockDir, stack, "janitor")
		if he := (*runlock.HeldError)(nil); errors.As(err, &he) {
			return r, heldReason(he.Holder), nil
		}
		if err != nil {
			return r, "lock unavailable", err
		}
		defer lock.Release()
		// Hold the stack's lease while reaping, so no other janitor reaps
		// it at the same time and no run takes it for free.
		held, err := lease.Acquire(ctx, c.Leases(), stack, "janitor", lease.Options{Skew: opts.LeaseSkew, TakeOver: deadRun})
		if he := (*lease.HeldError)(nil); errors.As(err, &he) {
			return r, he.Error(), nil
		}
		if err != nil {
			return r, "lease unavailable", err
		}
		defer held.Release(context.WithoutCancel(ctx))
	}
	before, err := c.Inventory(ctx, stack)
	if err != nil {
		return r, "inventory failed", err
	}
	if opts.DryRun {
		r.Removed = before
		return r, "", nil
	}
	opts.Log.Info("janitor: reaping stack", "stack", stack, "resources", len(before))
	removeErr := c.Remove(ctx, stack, func(s string) { opts.Log.Info("janitor: "+s, "stack", stack) })
	after, err := c.Inventory(ctx, stack)
	if err != nil {
		return r, "", errors.Join(removeErr, err)
	}
	r.Left = after
	for _, b := range before {
		if !slices.Contains(after, b) {
			r.Removed = append(r.Removed, b)
		}
	}
	if len(after) > 0 {
		removeErr = errors.Join(removeErr, fmt.Errorf("left behind: %v", after))
	}
	r.Err = removeErr
	return r, "", removeErr
}

func heldReason(h runlock.Info) string {
	return fmt.Sprintf("held by a live run: pid %d on %s (run %s, since %s)", h.PID, h.Host, h.RunID, h.Started.Format(time.RFC3339))
}
