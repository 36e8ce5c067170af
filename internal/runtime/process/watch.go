package process

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// watchInterval is how often the watcher looks at the pods it knows to be live.
const watchInterval = 250 * time.Millisecond

// watcher signals changes of the pods the runtime knows to be live: it stats each
// one's status.json and checks its shim every watchInterval, and forgets a pod once its
// shim is gone. It runs only while there is a pod to watch.
type watcher struct {
	notify  func()
	mu      sync.Mutex
	pods    map[string]*watched // by pod directory
	running bool
}

type watched struct {
	shim    procID
	modTime time.Time
	size    int64
}

// add watches the pod in dir, run by shim.
func (w *watcher) add(dir string, shim procID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pods == nil {
		w.pods = map[string]*watched{}
	}
	if p, ok := w.pods[dir]; ok && p.shim == shim {
		return
	}
	p := &watched{shim: shim}
	p.modTime, p.size = statusStamp(dir)
	w.pods[dir] = p
	if !w.running {
		w.running = true
		go w.loop()
	}
}

// removeUnder forgets the pods under root.
func (w *watcher) removeUnder(root string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for dir := range w.pods {
		if strings.HasPrefix(dir, root+string(filepath.Separator)) {
			delete(w.pods, dir)
		}
	}
}

func (w *watcher) loop() {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for range t.C {
		if !w.tick() {
			return
		}
	}
}

// tick looks at every watched pod once; it returns false, having stopped the loop,
// when none is left.
func (w *watcher) tick() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	changed := false
	for dir, p := range w.pods {
		mod, size := statusStamp(dir)
		if !mod.Equal(p.modTime) || size != p.size {
			p.modTime, p.size = mod, size
			changed = true
		}
		if !p.shim.alive() {
			delete(w.pods, dir)
			changed = true
		}
	}
	if changed {
		w.notify()
	}
	if len(w.pods) == 0 {
		w.running = false
		return false
	}
	return true
}

func statusStamp(dir string) (time.Time, int64) {
	fi, err := os.Stat(filepath.Join(dir, statusFile))
	if err != nil {
		return time.Time{}, -1
	}
	return fi.ModTime(), fi.Size()
}
