// Package v1 holds the wire types of Berth's HTTP API: request and response bodies
// and error codes, exactly as the seed documents name them. It imports nothing but
// the standard library so that clients can depend on it alone.
package v1
