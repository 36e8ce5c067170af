package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/usecase"
)

// Cookies a login sets besides TokenCookie, for the console.
const (
	UserIDCookie   = "userId"
	UserTypeCookie = "userType"
)

// login answers POST /api/v1/login, from a JSON or a form-encoded body, and sets
// the console's cookies (DESIGN decision 14).
func (a *API) login(w http.ResponseWriter, r *http.Request) (any, error) {
	req, err := loginRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := a.svc.Login(r.Context(), req)
	if err != nil {
		return nil, err
	}
	noteUser(r, resp.ID) // the log line names who logged in
	// The cookies last as long as the token: a browser drops them when it would be refused.
	maxAge := int(time.Unix(resp.Expire, 0).Sub(a.svc.Now()).Seconds())
	setCookies(w, r, max(maxAge, 1), resp.Token, resp.ID, resp.Type)
	return resp, nil
}

// logout answers POST /api/v1/logout: it revokes the login token it was called
// with and clears the login cookies.
func (a *API) logout(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := a.svc.Logout(r.Context(), token(r)); err != nil {
		return nil, err
	}
	setCookies(w, r, -1, "", "", "")
	return nil, nil
}

func (a *API) envs(http.ResponseWriter, *http.Request) (any, error) {
	return a.svc.Envs(), nil
}

// loginRequest reads a login body: form-encoded when the content type says so, JSON
// otherwise, and JSON too when a form content type carries a JSON object (what
// `curl -d '{...}'` sends), as every other endpoint reads JSON whatever the type says.
func loginRequest(r *http.Request) (*apiv1.LoginRequest, error) {
	var req apiv1.LoginRequest
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isForm := ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
	if !isForm || bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		if err := unmarshal(data, &req, false); err != nil {
			return nil, err
		}
		return &req, nil
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	switch err := r.ParseMultipartForm(MaxBodyBytes); {
	case err == nil, errors.Is(err, http.ErrNotMultipart):
	default:
		return nil, &usecase.Error{Code: apiv1.CodeBadRequest, Message: "Bad request. the form body cannot be read: " + err.Error()}
	}
	req = apiv1.LoginRequest{Name: r.PostFormValue("name"), Type: r.PostFormValue("type"), Password: r.PostFormValue("password")}
	return &req, nil
}

// setCookies sets (maxAge > 0) or clears (maxAge < 0) the login cookies. Only the
// token is kept from scripts; the console reads the user's id and type.
func setCookies(w http.ResponseWriter, r *http.Request, maxAge int, token, userID, userType string) {
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
	http.SetCookie(w, &http.Cookie{Name: UserIDCookie, Value: userID, Path: "/", MaxAge: maxAge, Secure: secure})
	http.SetCookie(w, &http.Cookie{Name: UserTypeCookie, Value: userType, Path: "/", MaxAge: maxAge, Secure: secure})
}
