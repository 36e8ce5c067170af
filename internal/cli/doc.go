// Package cli is the berth command-line client: login and contexts, get, describe,
// apply, run, logs, stop, delete, clone, scale, opsjob create, kubeconfig, set image
// (of a Workload, through Berth's Kubernetes API) and version, all over package
// client and the api/v1 wire types, never the server's insides.
//
// Output follows kubectl: tables aligned in columns with an AGE like 3m or 2d and
// phases as the API names them, -o wide|json|yaml|name, and errors as one line with
// the server's error code (see ErrorLine); a failed command exits non-zero.
package cli
