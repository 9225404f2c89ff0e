package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

type coded struct{ code int }

func (c coded) Error() string { return fmt.Sprintf("code %d", c.code) }
func (c coded) ExitCode() int { return c.code }

// wrapping is a coded error around another one.
type wrapping struct {
	coded
	inner error
}

func (w wrapping) Unwrap() error { return w.inner }

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("x"), Failed},
		{"coded", coded{Input}, Input},
		{"wrapped", fmt.Errorf("plan: %w", coded{Input}), Input},
		{"joined", errors.Join(errors.New("x"), coded{Input}), Input},
		{"outermost wins", fmt.Errorf("run: %w", wrapping{coded{Failed}, coded{Input}}), Failed},
	} {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("%s: Of(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}
