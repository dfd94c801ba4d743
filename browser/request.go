package browser

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// request is an HTTP/1.1 request as the case server parses it. The parser
// is lenient on purpose: Chrome sends header values a strict parser would
// refuse (a vertical tab, control characters in safelisted headers), and
// refusing them would turn a case into a network error.
type request struct {
	method, target string
	headers        [][2]string
}

// get returns the values of every line named name (case-insensitively),
// joined with ", ", and whether there was any.
func (r *request) get(name string) (string, bool) {
	var vals []string
	for _, h := range r.headers {
		if strings.EqualFold(h[0], name) {
			vals = append(vals, h[1])
		}
	}
	return strings.Join(vals, ", "), vals != nil
}

var errBadRequest = errors.New("malformed request")

// readRequest reads one request, its body included (discarded, at most
// maxBodyBytes).
func readRequest(r *bufio.Reader) (*request, error) {
	line, err := readLine(r)
	for err == nil && line == "" { // tolerate blank lines before a request
		line, err = readLine(r)
	}
	if err != nil {
		return nil, err
	}
	parts := strings.Split(line, " ")
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "HTTP/1.") {
		return nil, fmt.Errorf("%w: request line %q", errBadRequest, line)
	}
	req := &request{method: parts[0], target: parts[1]}
	for {
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%w: header line %q", errBadRequest, line)
		}
		req.headers = append(req.headers, [2]string{name, strings.Trim(value, " \t")})
	}
	if te, ok := req.get("Transfer-Encoding"); ok && strings.EqualFold(te, "chunked") {
		return req, discardChunked(r)
	}
	if cl, ok := req.get("Content-Length"); ok {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 || n > maxBodyBytes {
			return nil, fmt.Errorf("%w: Content-Length %q", errBadRequest, cl)
		}
		if _, err := io.CopyN(io.Discard, r, n); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// readLine reads a CRLF- (or LF-) terminated line without its terminator.
func readLine(r *bufio.Reader) (string, error) {
	s, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r"), nil
}

func discardChunked(r *bufio.Reader) error {
	total := int64(0)
	for {
		line, err := readLine(r)
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errBadRequest, line)
		}
		if total += n; total > maxBodyBytes {
			return fmt.Errorf("%w: body too large", errBadRequest)
		}
		if n == 0 {
			for { // trailers
				if line, err = readLine(r); err != nil || line == "" {
					return err
				}
			}
		}
		if _, err := io.CopyN(io.Discard, r, n+2); err != nil {
			return err
		}
	}
}
