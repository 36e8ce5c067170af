package v1

// Watches: GET /api/v1/workloads?watch=true (with the list's filters) and
// GET /api/v1/workloads/{id}?watch=true answer a stream of Server-Sent Events
// (text/event-stream), one per change of a workload the caller may see:
//
//	id: 1234
//	event: MODIFIED
//	data: {"workloadId":"...","phase":"Running",...}
//
// id is the resourceVersion: the change number of the write. data is the workload
// as the list shows an item (the list watch) or as the detail shows it (the detail
// watch). A watch that names no resourceVersion starts with an ADDED event without
// an id for every workload it sees, then an event with only an id: the
// resourceVersion the list was read at (EventSource records it and dispatches
// nothing). A client resumes after a cut with the header Last-Event-ID (or the query
// resourceVersion=) set to the last id it got, and receives every change since, in
// order, once; 410 with CodeGone when those changes are no longer kept. Lines
// starting with ':' are heartbeats. An error after the stream started comes as an
// event of type ERROR whose data is an Error, and ends the stream.

// Watch event types.
const (
	WatchAdded    = "ADDED"    // the workload came into the watch's view: created, or now matching its filters
	WatchModified = "MODIFIED" // the workload changed and is still in view
	WatchDeleted  = "DELETED"  // the workload left the view: deleted, or no longer matching; data is its last state
	WatchError    = "ERROR"    // the stream failed; data is an Error
	// WatchBookmark is how the Go client reports the event with only an id that
	// ends the initial list; the stream itself sends it without an event line.
	WatchBookmark = "BOOKMARK"
)

// Watch query parameters and header.
const (
	WatchParam           = "watch"           // "true" makes a list or detail GET a watch
	ResourceVersionParam = "resourceVersion" // resume after this change (Last-Event-ID wins)
	TimeoutSecondsParam  = "timeoutSeconds"  // end the stream after this long (default 1800)
	LastEventIDHeader    = "Last-Event-ID"
)

// WatchEvent is one event of a watch stream: a Server-Sent Event whose id is
// ResourceVersion, whose event is Type and whose data is Object as JSON. An event
// with no Type is a bookmark: only its id is sent.
type WatchEvent struct {
	Type            string
	ResourceVersion string
	Object          any
}
