package main

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
)

// loginPage is the HTML login form of the authorization-code flow. op
// sends the browser to it with the authorization request's id; a right
// password completes the request and sends the browser back to op, which
// redirects to the client with the code.
type loginPage struct {
	store    *storage
	callback func(ctx context.Context, requestID string) string
	log      *slog.Logger
}

var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input type="text" name="username" id="username" autocomplete="username" autofocus required></label>
<label>Password <input type="password" name="password" id="password" autocomplete="current-password" required></label>
<button type="submit" id="submit">Sign in</button>
</form>
</body>
</html>
`))

func (l *loginPage) render(w http.ResponseWriter, status int, id, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := loginTemplate.Execute(w, struct{ ID, Error string }{id, msg}); err != nil {
		l.log.Error("rendering the login page", "err", err)
	}
}

func (l *loginPage) show(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	if id == "" {
		l.render(w, http.StatusBadRequest, "", "no login request: start from the application")
		return
	}
	l.render(w, http.StatusOK, id, "")
}

func (l *loginPage) check(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		l.render(w, http.StatusBadRequest, "", "the form could not be read")
		return
	}
	id, username := r.PostForm.Get("id"), r.PostForm.Get("username")
	if err := l.store.login(id, username, r.PostForm.Get("password")); err != nil {
		l.log.Info("login refused", "username", username, "reason", err.Error())
		l.render(w, http.StatusUnauthorized, id, err.Error())
		return
	}
	l.log.Info("login", "username", username)
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}
