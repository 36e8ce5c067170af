// Package server is Berth's composition root: it reads the configuration (flags,
// BERTH_* environment variables, a YAML file), opens the store, picks the runtime,
// creates what a first start needs (cluster, nodes, default workspace, admin user
// and key), and runs the HTTP API and the control loops until told to stop. It is the
// only package that names concrete drivers.
package server
