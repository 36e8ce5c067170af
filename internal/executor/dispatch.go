package executor

import "context"

// Dispatcher is the Executor ops jobs use: it runs a target without an address on
// this host and any other over SSH.
type Dispatcher struct {
	// Local and Remote run the two kinds of target; nil means Local{} and &SSH{}.
	Local  Executor
	Remote Executor
}

var _ Executor = (*Dispatcher)(nil)

// Run hands the script to the executor for the target's kind.
func (d *Dispatcher) Run(ctx context.Context, t Target, script string) (Result, error) {
	if t.Address == "" {
		if d.Local == nil {
			return Local{}.Run(ctx, t, script)
		}
		return d.Local.Run(ctx, t, script)
	}
	if d.Remote == nil {
		return (&SSH{}).Run(ctx, t, script)
	}
	return d.Remote.Run(ctx, t, script)
}
