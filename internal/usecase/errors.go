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
}

func (e *Error) Error() string { return e.Code + " " + e.Message }

func newError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return newError(apiv1.CodeBadRequest, "Bad request. "+format, args...)
}

func invalid(fe workload.FieldErrors) *Error {
	return badRequest("%s", fe.Error())
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
