package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// teardownTimeout bounds teardown when the run's own context is done.
const teardownTimeout = 5 * time.Minute

// teardown removes everything the run deployed and then proves it: an
// inventory of everything carrying the stack's namespace must be empty.
// Anything found is residue, listed by full name, and fails the run.
type teardown struct{}

func (teardown) Name() string { return StageTeardown }

func (teardown) Run(ctx context.Context, r *Run, rec *Record) error {
	if r.Engine == nil {
		// No selected stage deploys (lint alone): no engine was opened,
		// so nothing can have been created.
		r.Logf("nothing to remove: a run of lint alone opens no engine")
		return nil
	}
	// Cancellation must not stop the cleanup: detach from ctx, but bound it.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	stack := r.App.Stack
	if (r.retained || r.cfg.deploy.Retain && r.failedSoFar()) && r.deployAttempted {
		r.Logf("RETAINED: --retain keeps the failed deployment %s for debugging.", stack)
		r.Logf("RETAINED: remove it later with:  recipe-test teardown %s", stack)
		return Skip("retained for debugging (--retain): remove with `recipe-test teardown %s`", stack)
	}
	var removeErr error
	if r.deployAttempted {
		removeErr = r.removeStack(tctx)
	}
	// An inventory that could not ask every node (a node of a multi-node
	// swarm out of reach) still lists what the others hold.
	left, err := r.Engine.Inventory(tctx, stack)
	for _, res := range left {
		r.Result.Residue = append(r.Result.Residue, res.String())
	}
	if err != nil {
		return fmt.Errorf("inventory of %s: %w", stack, err)
	}
	if len(left) > 0 {
		return fmt.Errorf("left behind after teardown: %s", strings.Join(r.Result.Residue, ", "))
	}
	if removeErr != nil {
		return fmt.Errorf("remove %s: %w", stack, removeErr)
	}
	r.Logf("nothing left: no service, container, volume, secret, config or network of %s remains", stack)
	return nil
}

func (r *Run) failedSoFar() bool {
	for _, st := range r.Result.Stages {
		if st.Status == results.Fail {
			return true
		}
	}
	return false
}
