// Package server is Berth's composition root: it reads the configuration (flags,
// BERTH_* environment variables, a YAML file), opens the store, picks the runtime,
// creates what a first start needs (cluster, default workspace, admin user and key;
// the clusters loop records the nodes), and runs the HTTP API and the loops until
// told to stop. It is the only package that names concrete drivers.
package server
