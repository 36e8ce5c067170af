package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
)

// statusOf maps every API error code to its HTTP status.
var statusOf = map[string]int{
	apiv1.CodeInternal:           http.StatusInternalServerError,
	apiv1.CodeBadRequest:         http.StatusBadRequest,
	apiv1.CodeForbidden:          http.StatusForbidden,
	apiv1.CodeAlreadyExist:       http.StatusConflict,
	apiv1.CodeNotFound:           http.StatusNotFound,
	apiv1.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	apiv1.CodeNotImplemented:     http.StatusNotImplemented,
	apiv1.CodeQuotaInsufficient:  http.StatusServiceUnavailable,
	apiv1.CodeUnauthorized:       http.StatusUnauthorized,
	apiv1.CodeResourceProcessing: http.StatusConflict,
	apiv1.CodeUserNotRegistered:  http.StatusUnauthorized,
	apiv1.CodeGone:               http.StatusGone,
	apiv1.CodeWorkloadNotFound:   http.StatusNotFound,
	apiv1.CodeWorkspaceNotFound:  http.StatusNotFound,
	apiv1.CodeNodeNotFound:       http.StatusNotFound,
}

// writeError is the one place an error becomes an HTTP response. Errors the caller
// can act on keep their code and message; anything else is a 500 whose details go to
// the log, never to the client.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorBody(err)
	if status == http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, body)
}

func errorBody(err error) (int, apiv1.Error) {
	var tooLarge *http.MaxBytesError
	switch e, ok := usecase.AsError(err); {
	case ok:
		if status, known := statusOf[e.Code]; known {
			return status, apiv1.Error{ErrorCode: e.Code, ErrorMessage: e.Message}
		}
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, apiv1.Error{ErrorCode: apiv1.CodeTooLarge,
			ErrorMessage: "Request entity is too large: the max length is " + itoa(tooLarge.Limit) + " bytes"}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, apiv1.Error{ErrorCode: apiv1.CodeNotFound, ErrorMessage: "not found"}
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, apiv1.Error{ErrorCode: apiv1.CodeResourceProcessing,
			ErrorMessage: "the object was changed by another request, please retry"}
	case errors.Is(err, context.Canceled):
		return http.StatusBadRequest, apiv1.Error{ErrorCode: apiv1.CodeBadRequest, ErrorMessage: "the request was canceled"}
	}
	return http.StatusInternalServerError, apiv1.Error{ErrorCode: apiv1.CodeInternal, ErrorMessage: "Internal error."}
}
