package ingress

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// basicAuth checks credentials as Traefik's basicauth middleware does,
// against the htpasswd lines of its users option: bcrypt ($2y$, $2a$,
// $2b$), Apache MD5 ($apr1$), MD5-crypt ($1$) and {SHA}. A usersFile lives
// in Traefik's own container, out of our sight: such a middleware is
// noted and lets requests through rather than refusing them all.
func (b *mwBuilder) basicAuth(def recipe.Middleware) (middleware, error) {
	o := def.Options
	users := map[string]string{}
	for _, u := range splitList(o["users"]) {
		name, hash, ok := strings.Cut(u, ":")
		if !ok || strings.Contains(hash, ":") {
			b.note("middleware %s (basicauth): user entry %q is not user:hash: Traefik refuses the middleware", def.Name, strings.SplitN(u, ":", 2)[0])
			continue
		}
		users[name] = hash
	}
	if f := o["usersfile"]; f != "" {
		if len(users) == 0 {
			b.note("middleware %s (basicauth): its users are in %s, a file in Traefik's container that a test run cannot read: requests pass unauthenticated", def.Name, f)
			return nil, nil
		}
		b.note("middleware %s (basicauth): the users of %s (a file in Traefik's container) are not known: only its users label is checked", def.Name, f)
	}
	if len(users) == 0 {
		b.note("middleware %s (basicauth): no users: Traefik refuses the middleware", def.Name)
		return nil, nil
	}
	b.note("middleware %s (basicauth) answers 401 to requests without its users' credentials, the readiness probe's included: give the probe a path another router serves, or accept 401 ([probe] statuses)", def.Name)
	realm := o["realm"]
	if realm == "" {
		realm = "traefik"
	}
	headerField, remove := o["headerfield"], isTrue(o["removeheader"])
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, pass, ok := r.BasicAuth()
			if !ok || !checkHtpasswd(pass, users[user]) {
				w.Header().Set("Content-Type", "text/plain")
				w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte("401 Unauthorized\n"))
				return
			}
			if headerField != "" {
				r.Header.Del(headerField)
				r.Header[headerField] = []string{user}
			}
			if remove {
				r.Header.Del("Authorization")
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// checkHtpasswd reports whether password matches an htpasswd hash. An
// unknown user (empty hash) or an unknown hash form never matches.
func checkHtpasswd(password, hash string) bool {
	switch {
	case hash == "":
		return false
	case strings.HasPrefix(hash, "$2y$"), strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"):
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	case strings.HasPrefix(hash, "{SHA}"):
		sum := sha1.Sum([]byte(password))
		return subtle.ConstantTimeCompare([]byte(hash[5:]), []byte(base64.StdEncoding.EncodeToString(sum[:]))) == 1
	case strings.HasPrefix(hash, "$apr1$"), strings.HasPrefix(hash, "$1$"):
		magic := hash[:strings.IndexByte(hash[1:], '$')+2]
		salt, _, ok := strings.Cut(hash[len(magic):], "$")
		if !ok {
			return false
		}
		return subtle.ConstantTimeCompare([]byte(hash), []byte(md5Crypt(password, salt, magic))) == 1
	}
	return false
}

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// md5Crypt is the MD5-based crypt(3) of FreeBSD, which Apache's htpasswd
// uses with the magic "$apr1$".
func md5Crypt(password, salt, magic string) string {
	if len(salt) > 8 {
		salt = salt[:8]
	}
	pw := []byte(password)
	alt := md5.New()
	alt.Write(pw)
	alt.Write([]byte(salt))
	alt.Write(pw)
	mix := alt.Sum(nil)

	d := md5.New()
	d.Write(pw)
	d.Write([]byte(magic))
	d.Write([]byte(salt))
	for i := len(pw); i > 0; i -= 16 {
		d.Write(mix[:min(i, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			d.Write([]byte{0})
		} else {
			d.Write(pw[:1])
		}
	}
	sum := d.Sum(nil)
	for i := 0; i < 1000; i++ {
		r := md5.New()
		if i&1 != 0 {
			r.Write(pw)
		} else {
			r.Write(sum)
		}
		if i%3 != 0 {
			r.Write([]byte(salt))
		}
		if i%7 != 0 {
			r.Write(pw)
		}
		if i&1 != 0 {
			r.Write(sum)
		} else {
			r.Write(pw)
		}
		sum = r.Sum(nil)
	}
	var out strings.Builder
	out.WriteString(magic + salt + "$")
	enc := func(v uint, n int) {
		for ; n > 0; n-- {
			out.WriteByte(cryptAlphabet[v&0x3f])
			v >>= 6
		}
	}
	for _, g := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		enc(uint(sum[g[0]])<<16|uint(sum[g[1]])<<8|uint(sum[g[2]]), 4)
	}
	enc(uint(sum[11]), 2)
	return out.String()
}
