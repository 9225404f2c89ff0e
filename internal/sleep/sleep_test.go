package sleep

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	start := time.Now()
	if err := For(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Errorf("full wait: %v after %s", err, time.Since(start))
	}

	// A context that ends during the wait ends it, with its error.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := For(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("deadline during the wait: %v after %s", err, time.Since(start))
	}

	// An ended context does not wait at all, even for nothing: a loop
	// polling with a zero pause still stops.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, d := range []time.Duration{time.Hour, 0, -time.Second} {
		if err := For(done, d); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled, %s: %v", d, err)
		}
	}
}
