package scheduler

import "github.com/berth-dev/berth/internal/workload"

// required marks the units of w that must fit for it to be admitted: those not
// optional or, when every unit is, the first with the fewest pods.
func required(w *Workload) []bool {
	must := make([]bool, len(w.Units))
	smallest := -1
	for i, u := range w.Units {
		must[i] = !u.Optional
		if smallest < 0 || u.Pods < w.Units[smallest].Pods {
			smallest = i
		}
	}
	if smallest >= 0 && !anyTrue(must) {
		must[smallest] = true
	}
	return must
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// minPods is how many pods of w must be placed for it to be admitted: all of them,
// or those of its required units.
func minPods(w *Workload) int {
	if len(w.Units) == 0 {
		return w.Replica
	}
	n := 0
	for i, must := range required(w) {
		if must {
			n += w.Units[i].Pods
		}
	}
	return n
}

// gangOf is the gang attempt places: w itself, or when only some of its pods must be
// placed at once, a copy of it of that many replicas (kept in p.part).
func (p *Planner) gangOf(w *Workload) *Workload {
	need := minPods(w)
	if need == w.Replica {
		return w
	}
	p.part = *w
	p.part.Replica = need
	return &p.part
}

// placeUnits ranks the pods of a gang of units once attempt placed its required units
// as one gang (placed, in pick order): those keep the ranks of their units, then every
// optional unit that fits among the nodes the gang could use is placed as a gang of its
// own. The ranks of optional units that did not fit are left out.
func (p *Planner) placeUnits(sp *space, w *Workload, placed []workload.PodPlacement) []workload.PodPlacement {
	out := make([]workload.PodPlacement, 0, w.Replica)
	j := &p.job
	j.quiet = true
	unit := *w
	first, k := 0, 0
	for i, must := range required(w) {
		u := w.Units[i]
		if must {
			for r := range u.Pods {
				pl := placed[k]
				pl.Rank = first + r
				out = append(out, pl)
				k++
			}
			first += u.Pods
			continue
		}
		unit.Replica = u.Pods
		j.w, j.picks = &unit, j.picks[:0]
		if sp.place(j) == "" {
			for _, pl := range sp.commit(j) {
				pl.Rank += first
				out = append(out, pl)
			}
		} else {
			sp.drop(j)
		}
		first += u.Pods
	}
	return out
}
