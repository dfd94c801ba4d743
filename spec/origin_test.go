package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		in      string
		want    Origin
		wantErr bool
	}{
		{"https://app.example", Origin{Scheme: "https", Host: "app.example"}, false},
		{"http://a.test:8080", Origin{Scheme: "http", Host: "a.test", Port: "8080"}, false},
		{"https://xn--lve-6lad.example", Origin{Scheme: "https", Host: "xn--lve-6lad.example"}, false},
		{"http://[::1]:8080", Origin{Scheme: "http", Host: "[::1]", Port: "8080"}, false},
		{"http://127.0.0.1", Origin{Scheme: "http", Host: "127.0.0.1"}, false},
		{"null", Origin{Opaque: true}, false},
		{"", Origin{}, true},
		{"https://app.example/", Origin{}, true},
		{"https://app.example:443", Origin{}, true},
		{"http://app.example:80", Origin{}, true},
		{"https://app.example:0443", Origin{}, true},
		{"https://App.Example", Origin{}, true},
		{"HTTPS://app.example", Origin{}, true},
		{"https://user@app.example", Origin{}, true},
		{"https://app.example?", Origin{}, true},
		{"https://app.example#x", Origin{}, true},
		{"https://app.example:99999", Origin{}, true},
		{"https://app.example:8x", Origin{}, true},
		{"app.example", Origin{}, true},
		{"//app.example", Origin{}, true},
		{"https://", Origin{}, true},
		{"https://:443", Origin{}, true},
		{"https://[::1", Origin{}, true},
		{"https://[zz]", Origin{}, true},
		{"https://a b", Origin{}, true},
		{"https://é.example", Origin{}, true},
		{"data:,x", Origin{}, true},
		{"Null", Origin{}, true},
		// Found by fuzz.FuzzOrigin: URLs a browser never sends as an origin.
		{"https://app.example:", Origin{}, true},
		{"https://@app.example", Origin{}, true},
		{"https://:@app.example", Origin{}, true},
		{"http://0x7f.1", Origin{}, true},
		{"http://2130706433", Origin{}, true},
		{"http://0177.0.0.1", Origin{}, true},
		{"http://127.0.0.1.", Origin{}, true},
		{"https://a.1", Origin{}, true},
		{"https://[::ffff:127.0.0.1]", Origin{}, true},
		{"https://[0:0:0:0:0:0:0:1]", Origin{}, true},
		{"https://[::1%25eth0]", Origin{}, true},
		{"http://[::::]", Origin{}, true},
		{"https://[1.2.3.4]", Origin{}, true},
		{"https://[::ffff:7f00:1]", Origin{Scheme: "https", Host: "[::ffff:7f00:1]"}, false},
		{"http://[2001:db8::1:0:0:1]", Origin{Scheme: "http", Host: "[2001:db8::1:0:0:1]"}, false},
		{"http://[1::]", Origin{Scheme: "http", Host: "[1::]"}, false},
		{"http://[1:0:0:2::3]", Origin{Scheme: "http", Host: "[1:0:0:2::3]"}, false},
	}
	for _, tt := range tests {
		got, err := ParseOrigin(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseOrigin(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseOrigin(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
		if err == nil && got.Serialize() != tt.in {
			t.Errorf("ParseOrigin(%q).Serialize() = %q, want the input back", tt.in, got.Serialize())
		}
	}
}

func TestURLOrigin(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"https://API.example:443/data?x#y", "https://api.example", true},
		{"http://api.example:80/", "http://api.example", true},
		{"https://api.example:8443", "https://api.example:8443", true},
		{"https://u:p@api.example/", "https://api.example", true},
		{"ws://h:80/", "ws://h", true},
		{"ftp://h:21/", "ftp://h", true},
		{"data:,hello", "null", true},
		{"blob:https://a/x", "null", true},
		{"https://h:70000/", "", false},
		{"not a url", "", false},
		{"1http://x", "", false},
		{"https:h", "", false},
		{"http://0x7f.1/", "http://127.0.0.1", true},
		{"http://2130706433:8080/", "http://127.0.0.1:8080", true},
		{"http://0177.0.0.1/", "http://127.0.0.1", true},
		{"http://1.2.3.256/", "", false},
		{"http://256.1/", "", false},
		{"http://1.2.3.4.5/", "", false},
		{"https://a.1/", "", false},
		{"https://a.0x/", "", false}, // 0x is an empty hex number: the host must be IPv4
		{"http://a.0x1g/", "http://a.0x1g", true},
		{"https://[0:0:0:0:0:0:0:1]/", "https://[::1]", true},
		{"https://[::FFFF:127.0.0.1]/", "https://[::ffff:7f00:1]", true},
		{"https://@api.example/", "https://api.example", true},
	}
	for _, tt := range tests {
		o, ok := URLOrigin(tt.in)
		if ok != tt.ok || ok && o.Serialize() != tt.want {
			t.Errorf("URLOrigin(%q) = %q, %v; want %q, %v", tt.in, o.Serialize(), ok, tt.want, tt.ok)
		}
	}
	a, _ := URLOrigin("https://A.example/x")
	b, _ := URLOrigin("https://a.example:443/y")
	c, _ := URLOrigin("http://a.example/")
	if !a.SameOrigin(b) || a.SameOrigin(c) || (Origin{Opaque: true}).SameOrigin(Origin{Opaque: true}) {
		t.Error("SameOrigin compares wrongly")
	}
}

func TestResolveLocation(t *testing.T) {
	tests := []struct {
		base, loc, want string
		ok              bool
	}{
		{"https://api.example/a/b", "https://other.example/x", "https://other.example/x", true},
		{"https://api.example/a/b", "/x?y", "https://api.example/x?y", true},
		{"https://api.example/a/b", "c", "https://api.example/a/c", true},
		{"https://api.example/a/b", "//other.example/z", "https://other.example/z", true},
		{"https://api.example/a", "ftp://x.example/", "ftp://x.example/", true},
		{"https://api.example/a", "https://exa mple.com/", "", false},
		{"https://api.example/a", "http://[::1", "", false},
		{"https://api.example/a", "https://h:99999/", "", false},
		{"https://api.example/a", "/a b", "", false},
	}
	for _, tt := range tests {
		got, _, ok := resolveLocation(tt.base, tt.loc)
		if got != tt.want || ok != tt.ok {
			t.Errorf("resolveLocation(%q, %q) = %q, %v; want %q, %v", tt.base, tt.loc, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMethods(t *testing.T) {
	for in, want := range map[string]string{"get": "GET", "Post": "POST", "hEaD": "HEAD", "delete": "DELETE",
		"options": "OPTIONS", "put": "PUT", "patch": "patch", "PATCH": "PATCH", "CHICKEN": "CHICKEN"} {
		if got := NormalizeMethod(in); got != want {
			t.Errorf("NormalizeMethod(%q) = %q, want %q", in, got, want)
		}
	}
	for m, want := range map[string]bool{"GET": true, "HEAD": true, "POST": true, "get": false, "PUT": false, "OPTIONS": false} {
		if IsSafelistedMethod(m) != want {
			t.Errorf("IsSafelistedMethod(%q) != %v", m, want)
		}
	}
	for m, want := range map[string]bool{"CONNECT": true, "trace": true, "Track": true, "TRACES": false, "GET": false} {
		if IsForbiddenMethod(m) != want {
			t.Errorf("IsForbiddenMethod(%q) != %v", m, want)
		}
	}
}

func TestWireURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example/data?q=1#frag", "https://api.example/data?q=1"},
		{"HTTPS://API.Example:443/a", "https://api.example/a"},
		{"http://api.example:8080", "http://api.example:8080/"},
		{"https://user:pass@api.example/x", "https://api.example/x"},
		{"https://:@api.example/x", "https://api.example/x"},
		{"https://api.example\\a\\b?x\\y", "https://api.example/a/b?x\\y"},
		{"http://0x7f.1/", "http://127.0.0.1/"},
		{"https://[0:0::1]:0443/", "https://[::1]/"},
		{"data:text/plain,hi#x", "data:text/plain,hi"},
	}
	for _, tt := range tests {
		u, ok := parseAbsoluteURL(tt.in)
		if !ok {
			t.Errorf("parseAbsoluteURL(%q) failed", tt.in)
			continue
		}
		if got := u.wireURL(); got != tt.want {
			t.Errorf("wireURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
