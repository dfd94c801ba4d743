package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// The three origins of the recordings. Every name is mapped to the one
// loopback listener (Chromium: --host-resolver-rules; Firefox:
// network.dns.forceResolve and network.socket.forcePort), so the URLs keep
// the default port and the origins are exactly these.
const (
	appOrigin   = "https://app.example"
	apiOrigin   = "https://api.example"
	otherOrigin = "https://other.example"
)

// newCert makes a self-signed certificate for the three hosts, valid for a
// day, and the base64 SHA-256 of its public key (what Chromium's
// --ignore-certificate-errors-spki-list trusts).
func newCert() (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "crosscheck HAR recorder"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"app.example", "api.example", "other.example"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, base64.StdEncoding.EncodeToString(sum[:]), nil
}

// serve starts the HTTPS server for all three hosts on 127.0.0.1 (HTTP/1.1
// only, so that header names go out in the case the handlers write them).
func serve(cert tls.Certificate) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(route),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// set writes a header line with the name exactly as given.
func set(w http.ResponseWriter, name, value string) {
	w.Header()[name] = append(w.Header()[name], value)
}

func route(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(r.Host, ":")
	if os.Getenv("RECORD_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "server: %s %s%s (Origin %q)\n", r.Method, r.Host, r.URL, r.Header.Get("Origin"))
	}
	set(w, "Cache-Control", "no-store")
	switch host {
	case "app.example":
		appHost(w, r)
	case "api.example":
		apiHost(w, r)
	case "other.example":
		otherHost(w, r)
	default:
		http.Error(w, "unknown host", http.StatusMisdirectedRequest)
	}
}

func appHost(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/cors.html":
		set(w, "Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pageHTML)
	case "/start.html":
		// Firefox's HAR exporter only starts collecting at a navigation
		// after its toolbox is ready: wait, then go to the page.
		// With warm=1 it runs the scenario once first (filling the
		// preflight cache for the page's origin).
		set(w, "Content-Type", "text/html; charset=utf-8")
		run := r.URL.Query().Get("run")
		fmt.Fprintf(w, `<!doctype html><title>start</title><script>
(async () => {
  if (%t) {
    await new Promise(r => { const s = document.createElement("script"); s.src = "/scenario.js?run=" + %q; s.onload = r; document.head.appendChild(s); });
    await window.scenario();
  }
  setTimeout(() => { location.href = %q }, %q);
})();
</script>`, r.URL.Query().Get("warm") == "1", run, "/cors.html?auto="+run, r.URL.Query().Get("wait"))
	case "/scenario.js":
		scenarioScript(w, r)
	case "/same":
		set(w, "Content-Type", "application/json")
		io.WriteString(w, `{"same":"origin"}`)
	case "/gate":
		// Firefox's HAR export runs when the page has loaded; the page
		// holds its load event on this image until its fetches are done.
		<-gateOpen(r.URL.Query().Get("run"))
		set(w, "Content-Type", "image/gif")
		w.Write(gif)
	case "/done":
		openGate(r.URL.Query().Get("run"))
		io.WriteString(w, "ok")
	default:
		http.NotFound(w, r)
	}
}

// pageHTML is the page the fetches run from. The image is a no-cors
// cross-origin load (not a CORS request). With ?auto, the page runs the
// scenario itself and holds its load event until it is done (for browsers
// driven without a script-evaluation channel).
const pageHTML = `<!doctype html>
<html><head><title>crosscheck HAR recording</title></head>
<body>
<img src="https://api.example/pixel.gif" alt="">
<script>
if (location.search.startsWith("?auto=")) {
  const run = location.search.slice(6);
  const img = document.createElement("img");
  img.src = "/gate?run=" + run;
  document.body.appendChild(img);
  (async () => {
    const s = document.createElement("script");
    s.src = "/scenario.js?run=" + run;
    await new Promise(r => { s.onload = r; s.onerror = r; document.head.appendChild(s); });
    try { await window.scenario(); } finally { await fetch("/done?run=" + run); }
  })();
}
</script>
</body></html>`

// gif is a 1x1 transparent GIF.
var gif = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func apiHost(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	pre := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	allow := func() {
		set(w, "Access-Control-Allow-Origin", origin)
		set(w, "Access-Control-Allow-Credentials", "true")
		set(w, "Vary", "Origin")
	}
	answerPreflight := func(status int) {
		w.WriteHeader(status)
	}
	switch r.URL.Path {
	case "/pixel.gif":
		set(w, "Content-Type", "image/gif")
		w.Write(gif)
		return
	case "/set-cookie":
		set(w, "Set-Cookie", "sid=recorded; Path=/; Secure; HttpOnly; SameSite=None")
		set(w, "Content-Type", "text/plain")
		io.WriteString(w, "cookie set")
		return
	case "/ok":
		allow()
		if pre {
			set(w, "Access-Control-Allow-Methods", "PUT, DELETE")
			set(w, "Access-Control-Allow-Headers", "X-Token, Content-Type")
			answerPreflight(http.StatusNoContent)
			return
		}
	case "/no-acao":
	case "/wrong-acao":
		set(w, "Access-Control-Allow-Origin", "https://other.example")
	case "/star":
		set(w, "Access-Control-Allow-Origin", "*")
		set(w, "Access-Control-Allow-Credentials", "true")
	case "/no-acac":
		set(w, "Access-Control-Allow-Origin", origin)
	case "/two-acao":
		set(w, "Access-Control-Allow-Origin", origin)
		set(w, "Access-Control-Allow-Origin", origin)
	case "/lowercase":
		set(w, "access-control-allow-origin", origin)
		set(w, "access-control-allow-credentials", "true")
		set(w, "access-control-expose-headers", "x-total")
		set(w, "x-total", "3")
	case "/no-method":
		allow()
		if pre {
			set(w, "Access-Control-Allow-Headers", "X-Token")
			answerPreflight(http.StatusNoContent)
			return
		}
	case "/no-header":
		allow()
		if pre {
			set(w, "Access-Control-Allow-Methods", "PUT")
			set(w, "Access-Control-Allow-Headers", "X-Other")
			answerPreflight(http.StatusNoContent)
			return
		}
	case "/preflight-404":
		allow()
		if pre {
			http.NotFound(w, r)
			return
		}
	case "/preflight-301":
		if pre {
			set(w, "Location", "https://api.example/ok")
			answerPreflight(http.StatusMovedPermanently)
			return
		}
		allow()
	case "/redirect-no-acao":
		set(w, "Location", "https://api.example/ok")
		w.WriteHeader(http.StatusFound)
		return
	case "/redirect-taint":
		allow()
		set(w, "Location", "https://other.example/allow-app")
		w.WriteHeader(http.StatusFound)
		return
	case "/redirect-ok":
		set(w, "Access-Control-Allow-Origin", "*")
		set(w, "Location", "https://other.example/allow-star")
		w.WriteHeader(http.StatusFound)
		return
	case "/put-redirect":
		allow()
		if pre {
			set(w, "Access-Control-Allow-Methods", "PUT")
			answerPreflight(http.StatusNoContent)
			return
		}
		set(w, "Location", "https://other.example/allow-null-put")
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	case "/cached-ok", "/cached-bad":
		if pre {
			allow()
			set(w, "Access-Control-Allow-Methods", "PUT")
			set(w, "Access-Control-Max-Age", "600")
			answerPreflight(http.StatusNoContent)
			return
		}
		if r.URL.Path == "/cached-ok" {
			allow()
		}
	case "/close":
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	default:
		http.NotFound(w, r)
		return
	}
	if pre {
		answerPreflight(http.StatusNoContent)
		return
	}
	set(w, "Content-Type", "application/json")
	fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
}

func otherHost(w http.ResponseWriter, r *http.Request) {
	pre := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	switch r.URL.Path {
	case "/allow-app":
		set(w, "Access-Control-Allow-Origin", appOrigin)
	case "/allow-star":
		set(w, "Access-Control-Allow-Origin", "*")
	case "/allow-null-put":
		set(w, "Access-Control-Allow-Origin", "null")
		if pre {
			set(w, "Access-Control-Allow-Methods", "PUT")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	set(w, "Content-Type", "application/json")
	fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
}
