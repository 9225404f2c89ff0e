package budget

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/heartbeat"
)

// Request is what a run asks of the budget.
type Request struct {
	RunID  string
	Stack  string // the run's stack, whose lease the run holds
	Recipe string
	// Weight is the slots the run takes: its recipe's weight plus its
	// dependencies'.
	Weight int
	// Capacity is the budget's size in slots as the run was told it.
	Capacity int
	// Pool names the queue the ticket joins: "" is the swarm's run
	// budget, the one every run of the command and the action joins.
	// Another pool is a queue of its own, whose runs neither wait for nor
	// reclaim the tickets of any other: tests use one each, so that they
	// never wait on real runs sharing their swarm, nor on each other.
	Pool string
}

// TooHeavyError is a run that could never fit the budget.
type TooHeavyError struct {
	Recipe           string
	Weight, Capacity int
}

func (e *TooHeavyError) Error() string {
	return fmt.Sprintf("%s takes %d slots of the run budget, more than its capacity of %d: it could never run (raise --budget, or lower [budget] weight in recipe.toml)",
		e.Recipe, e.Weight, e.Capacity)
}

// Check refuses a request that could never be admitted: call it before
// anything is created.
func (r Request) Check() error {
	if r.Weight < 1 || r.Capacity < 1 {
		return fmt.Errorf("run budget: weight %d and capacity %d must both be at least 1", r.Weight, r.Capacity)
	}
	if r.Weight > r.Capacity {
		return &TooHeavyError{r.Recipe, r.Weight, r.Capacity}
	}
	return nil
}

// DefaultPoll is how often a waiting run looks at the queue.
const DefaultPoll = 2 * time.Second

// Options tune Take.
type Options struct {
	Poll time.Duration // 0 = DefaultPoll
	// Skew is how long past its expiry a run's lease still counts as live
	// (runners' clocks disagree); the janitor's is sound.
	Skew time.Duration
	// Say receives the waiting line when it changes, and again with the
	// time spent every Every while it does not; nil = nothing is said.
	Say   func(string)
	Every time.Duration // 0 = heartbeat.DefaultEvery
	Now   func() time.Time
}

// Slot is a ticket admitted to the budget, held until Release.
type Slot struct {
	api    API
	ticket Ticket
	// Waited is how long the run waited for its slots.
	Waited time.Duration
}

// Take puts the run's ticket in the queue and waits until it is admitted.
// The run must hold its stack's lease already: the ticket lives as long
// as that lease. Waiting, it reclaims the tickets of dead runs it sees.
// When ctx ends first, or anything fails, the ticket is removed again.
func Take(ctx context.Context, api API, req Request, opts Options) (*Slot, error) {
	if err := req.Check(); err != nil {
		return nil, err
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Say == nil {
		opts.Say = func(string) {}
	}
	res, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{
		Annotations: swarm.Annotations{Name: Name(req.Stack), Labels: map[string]string{
			LabelRun: req.RunID, LabelStack: req.Stack, LabelRecipe: req.Recipe, LabelHolder: holder(),
			LabelWeight: strconv.Itoa(req.Weight), LabelCapacity: strconv.Itoa(req.Capacity), LabelPool: req.Pool,
		}},
		Data: []byte("recipe-test run budget ticket: see its labels\n"),
	}})
	if err != nil {
		return nil, fmt.Errorf("run budget ticket %s: %w", Name(req.Stack), err)
	}
	s := &Slot{api: api, ticket: Ticket{ID: res.ID, RunID: req.RunID, Stack: req.Stack, Recipe: req.Recipe, Weight: req.Weight, Capacity: req.Capacity, Pool: req.Pool}}
	start := opts.Now()
	if err := s.wait(ctx, opts); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return nil, errors.Join(err, s.Release(rctx))
	}
	s.Waited = opts.Now().Sub(start)
	return s, nil
}

// wait polls the queue until the slot's ticket is admitted.
func (s *Slot) wait(ctx context.Context, opts Options) error {
	beat := heartbeat.New(opts.Say, 0, opts.Every)
	waited, last := false, ""
	for {
		st, err := s.look(ctx, opts)
		switch {
		case err != nil && ctx.Err() == nil:
			// The engine may be briefly unavailable: say so, look again.
			beat.Update(fmt.Sprintf("run budget: %v; looking again", err))
		case err != nil:
		case st.Place == 0:
			return fmt.Errorf("run budget: the ticket %s of run %s was removed while it waited (its lease was taken for expired)", Name(s.ticket.Stack), s.ticket.RunID)
		case st.Admitted && waited:
			opts.Say(fmt.Sprintf("run budget: admitted, %d of %d slots held", st.Held, st.Capacity))
			return nil
		case st.Admitted:
			return nil
		default:
			waited, last = true, st.Waiting()
			beat.Update(last)
		}
		select {
		case <-ctx.Done():
			if last == "" {
				return fmt.Errorf("run budget: %w", context.Cause(ctx))
			}
			return fmt.Errorf("cancelled while %s: %w", last, context.Cause(ctx))
		case <-time.After(opts.Poll):
		}
	}
}

// look reclaims the stale tickets it finds in its pool and says where
// the slot's ticket stands among the live ones.
func (s *Slot) look(ctx context.Context, opts Options) (Standing, error) {
	live, stale, err := Snapshot(ctx, s.api, opts.Now, opts.Skew)
	if err != nil {
		return Standing{}, err
	}
	live, stale = inPool(live, s.ticket.Pool), inPool(stale, s.ticket.Pool)
	var errs []error
	for _, t := range stale {
		if t.ID == s.ticket.ID {
			return Standing{}, fmt.Errorf("run budget: this run's own lease on %s is gone or expired, so its ticket counts as a dead run's", t.Stack)
		}
		if err := Reclaim(ctx, s.api, t); err != nil {
			errs = append(errs, err)
			continue
		}
		opts.Say(fmt.Sprintf("run budget: reclaimed the ticket of %s, a dead run (its lease expired or is gone)", t))
	}
	return StandingOf(live, s.ticket.ID), errors.Join(errs...)
}

// Release gives the slot back: its ticket is removed. A nil slot (no
// budget) releases nothing.
func (s *Slot) Release(ctx context.Context) error {
	if s == nil {
		return nil
	}
	if _, err := s.api.ConfigRemove(ctx, s.ticket.ID, client.ConfigRemoveOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("release run budget ticket %s: %w", Name(s.ticket.Stack), err)
	}
	return nil
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
