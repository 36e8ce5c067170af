package v1

// Error is the body of every error response.
type Error struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

func (e *Error) Error() string { return e.ErrorCode + ": " + e.ErrorMessage }

// Error codes: the reference's numbering under the prefix "Berth.".
const (
	CodeInternal           = "Berth.00001" // 500
	CodeBadRequest         = "Berth.00002" // 400
	CodeForbidden          = "Berth.00003" // 403
	CodeAlreadyExist       = "Berth.00004" // 409
	CodeNotFound           = "Berth.00005" // 404
	CodeTooLarge           = "Berth.00006" // 413
	CodeNotImplemented     = "Berth.00007" // 501
	CodeQuotaInsufficient  = "Berth.00008" // 503
	CodeUnauthorized       = "Berth.00009" // 401
	CodeResourceProcessing = "Berth.00010" // 409
	CodeUserNotRegistered  = "Berth.00011" // 401
	CodeGone               = "Berth.00012" // 410: a watch resumes from changes no longer kept
	CodeWorkloadNotFound   = "Berth.01001" // 404
	CodeWorkspaceNotFound  = "Berth.02001" // 404
	CodeNodeNotFound       = "Berth.03002" // 404
)
