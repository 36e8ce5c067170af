// Package httpapi serves Berth's HTTP API: routes (net/http patterns, under /api/v1
// and the seed's /api/custom paths), authentication of every request, decoding of
// bodies with a size limit, and the one function that turns an error into an HTTP
// status and the {"errorCode","errorMessage"} body (an ERROR event, once a watch's
// stream of Server-Sent Events has started). It never imports a concrete store or
// runtime: it calls the use cases of package usecase.
package httpapi
