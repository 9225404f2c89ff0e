package abra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/sleep"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// goneWait bounds the wait, after `abra app undeploy`, for the stack's
// containers and networks to go: its volumes cannot be removed before,
// and a redeploy that still sees the old networks fails.
const goneWait = 2 * time.Minute

// Remove removes an app this deployer created the way an operator does,
// answering each command's confirmation: `abra app undeploy`, then (once
// its containers are gone) `abra app volume remove`, `abra app secret
// remove --all` and `abra app remove`, which deletes its env file. It goes
// on past a failure and returns them all; what abra left is for the
// caller's inventory to find. A stack this deployer did not create (an
// orphan the janitor reaps) is removed through the swarm client.
func (d *Deployer) Remove(ctx context.Context, stack string, progress func(string)) error {
	progress = progressOr(progress, d.log)
	a := d.app(stack)
	if a == nil {
		return d.Client.Remove(ctx, stack, progress)
	}
	var errs []error
	deployed, err := d.hasServices(ctx, stack)
	if err != nil {
		return fmt.Errorf("remove %s: %w", stack, err)
	}
	switch {
	case deployed:
		if _, err := d.r.run(ctx, progress, []string{"app", "undeploy", a.domain}, yes("Continue with undeploy\\?")); err != nil {
			errs = append(errs, err)
		}
	default:
		// A deploy that failed before any service was made (a network or
		// config created, then an error) is not deployed to abra, and
		// abra has no command for what it left: the Engine API removes it.
		left, err := d.Inventory(ctx, stack)
		if err != nil {
			return fmt.Errorf("remove %s: %w", stack, err)
		}
		if len(left) > 0 {
			progress(fmt.Sprintf("%s is not deployed, as abra sees it, but left %v: removing them through the Docker Engine API", stack, left))
			if err := d.Client.Remove(ctx, stack, progress); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := d.waitGone(ctx, stack); err != nil {
		errs = append(errs, err)
	}
	steps := []struct {
		args   []string
		answer string
	}{
		{[]string{"app", "volume", "remove", a.domain}, "Remove volumes"},
		{[]string{"app", "secret", "remove", a.domain, "--all"}, ""},
		{[]string{"app", "remove", a.domain}, "are you sure\\?"},
	}
	for _, st := range steps {
		var err error
		if st.answer == "" {
			_, err = d.r.run(ctx, progress, st.args)
		} else {
			_, err = d.r.run(ctx, progress, st.args, yes(st.answer))
		}
		if err != nil {
			errs = append(errs, err)
		}
		if st.args[1] == "volume" {
			// abra app volume remove lists the volumes of its server's
			// engine alone: those on the swarm's other nodes go through
			// their endpoints.
			if err := d.RemoveOtherNodesVolumes(ctx, stack, progress); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if _, err := os.Stat(a.envFile(d.r.dir)); err == nil {
		errs = append(errs, fmt.Errorf("abra app remove left the env file %s", a.envFile(d.r.dir)))
	} else {
		// The app is gone from abra: a later deploy creates it afresh.
		d.setApp(stack, nil)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove %s with abra: %w", stack, err)
	}
	return nil
}

func (d *Deployer) hasServices(ctx context.Context, stack string) (bool, error) {
	left, err := d.Inventory(ctx, stack)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(left, func(r swarm.Resource) bool { return r.Kind == swarm.KindService }), nil
}

// waitGone waits until no service, container or network of stack is left.
func (d *Deployer) waitGone(ctx context.Context, stack string) error {
	deadline := time.Now().Add(goneWait)
	for {
		left, err := d.Inventory(ctx, stack)
		if err != nil {
			return err
		}
		left = slices.DeleteFunc(left, func(r swarm.Resource) bool {
			return r.Kind != swarm.KindService && r.Kind != swarm.KindContainer && r.Kind != swarm.KindNetwork
		})
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still there %s after undeploy: %v", goneWait, left)
		}
		if err := sleep.For(ctx, 500*time.Millisecond); err != nil {
			return fmt.Errorf("wait for %s to go: %w", stack, err)
		}
	}
}
