package client

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// sseEvent is one Server-Sent Event as read off a stream.
type sseEvent struct {
	id, typ, data string
	hasID         bool
	retry         time.Duration // the reconnection delay the server asked for, if any
}

// maxEventSize bounds one line of a stream: a workload's detail with many pods
// is large, but not this large.
const maxEventSize = 16 << 20

// sseReader reads the events of a text/event-stream body, as EventSource does:
// lines up to a blank one make an event, ':' starts a comment, a field's value
// loses one leading space, and data lines join with newlines.
type sseReader struct{ lines *bufio.Scanner }

func newSSEReader(r io.Reader) *sseReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxEventSize)
	return &sseReader{lines: s}
}

// next returns the next event, or the error that ended the stream (io.EOF when it
// ended cleanly). An event with only an id or a retry comes back too.
func (r *sseReader) next() (sseEvent, error) {
	var (
		ev    sseEvent
		data  []string
		empty = true
	)
	for r.lines.Scan() {
		line := r.lines.Text()
		if line == "" {
			if empty {
				continue
			}
			ev.data = strings.Join(data, "\n")
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			continue // a heartbeat
		}
		empty = false
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.id, ev.hasID = value, true
		case "event":
			ev.typ = value
		case "data":
			data = append(data, value)
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms >= 0 {
				ev.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := r.lines.Err(); err != nil {
		return sseEvent{}, err
	}
	return sseEvent{}, io.EOF
}
