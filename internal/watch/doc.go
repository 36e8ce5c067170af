// Package watch keeps a server's watches of workloads up to date with the store's
// workload change log (store.WorkloadEventStore).
//
// A Hub follows the log's head: the number of the newest write of a workload. Where
// the store tells of every committed write (store.WorkloadNotifier: PostgreSQL's
// NOTIFY, sent by the write's trigger, so the writes of every server sharing the
// database count) the hub reads the head when told, and polls it now and then in case
// a notification was lost while the listening connection was down; elsewhere it polls
// the head, and only while someone watches. Each watch reads the events it has not
// seen from the store itself, at its own pace, and waits on the hub when it has read
// them all: a slow client holds no memory of the hub's and misses nothing, while the
// log keeps what it has not read.
//
// The hub also trims the log by age and count, on every server: trimming twice is
// harmless. A watch that asks for events the log no longer holds gets
// store.ErrGone, which the API answers with 410 Gone.
package watch
