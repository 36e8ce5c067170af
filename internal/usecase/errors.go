package usecase

import (
	"errors"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// Error is a failure the caller can act on: an API error code and a message for people.
type Error struct {
	Code    string
	Message string
	// Fields are the problems of a request's fields the message lists, for callers
	// that show them by field (Kubernetes' Invalid status), when it is a bad request
	// of that kind.
	Fields workload.FieldErrors
}

func (e *Error) Error() string { return e.Code + " " + e.Message }

func newError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return newError(apiv1.CodeBadRequest, "Bad request. "+format, args...)
}

func invalid(fe workload.FieldErrors) *Error {
	e := badRequest("%s", fe.Error())
	e.Fields = fe
	return e
}

func forbidden(format string, args ...any) *Error {
	return newError(apiv1.CodeForbidden, format, args...)
}

func notFound(format string, args ...any) *Error {
	return newError(apiv1.CodeNotFound, format, args...)
}

func workloadNotFound(id string) *Error {
	return newError(apiv1.CodeWorkloadNotFound, "Workload %s not found.", id)
}

func workspaceNotFound(id string) *Error {
	return newError(apiv1.CodeWorkspaceNotFound, "Workspace %s not found.", id)
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
