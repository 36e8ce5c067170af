package client

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSSEReader: the stream is read as EventSource reads it.
func TestSSEReader(t *testing.T) {
	t.Parallel()
	stream := "retry: 250\n\n" +
		": heartbeat\n\n" +
		"event: ADDED\ndata: {\"a\":1}\n\n" +
		"id: 7\n\n" +
		"id:8\nevent: MODIFIED\ndata: line1\ndata: line2\n\n" +
		"\n\n" +
		"id: 9\nevent: DELETED\ndata: {}" // cut before its blank line: never dispatched
	want := []sseEvent{
		{retry: 250 * time.Millisecond},
		{typ: "ADDED", data: `{"a":1}`},
		{id: "7", hasID: true},
		{id: "8", hasID: true, typ: "MODIFIED", data: "line1\nline2"},
	}
	r := newSSEReader(strings.NewReader(stream))
	var got []sseEvent
	for {
		ev, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(sseEvent{})); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
