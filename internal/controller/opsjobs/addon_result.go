package opsjobs

import (
	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
)

// Outputs of an addon node, as the node's result (the value; its name is the node).
const (
	addonSucceeded = "succeeded"
	addonFailed    = "failed: "
	addonNotRun    = "not run"
	addonCutShort  = "not finished"
)

// recordAddonNode records a node's result on the job; a failed node also gets the
// condition that names it, {type: <node>, status: False, reason: AddonFailed}, as
// the reference records (§6.6).
func recordAddonNode(j *opsjob.Job, p opsjob.NodeProgress) {
	setProgress(j, p)
	if p.Phase == phaseFailed {
		setCondition(j, opsjob.Condition{Type: p.Node, Status: "False", Reason: opsjob.ReasonAddonFailed,
			Message: p.Message, LastTransitionTime: p.EndTime})
	}
}

// addonOutputs are an addon job's outputs: one per node, in the job's node order,
// named after the node, its value the node's result.
func addonOutputs(nodes []opsjob.NodeProgress) []apiv1.Parameter {
	out := make([]apiv1.Parameter, 0, len(nodes))
	for _, p := range nodes {
		v := addonNotRun
		switch p.Phase {
		case phaseSucceeded:
			v = addonSucceeded
			if p.Message != "" {
				v += ": " + p.Message
			}
		case phaseFailed:
			v = addonFailed + p.Message
		case phaseRunning:
			v = addonCutShort
		}
		out = append(out, apiv1.Parameter{Name: p.Node, Value: v})
	}
	return out
}
