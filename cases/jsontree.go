package cases

import (
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The loader parses case files into a small syntax tree instead of decoding
// them straight into the Go types: the tree keeps every key (so unknown and
// duplicate keys can be reported, all of them), the byte offset of every
// value (so errors name a line), and exact JSON types (so "status": "200"
// is an error, not a silent zero). It is also an order of magnitude faster
// than encoding/json on the table (measured on 560 kB: 0.9 ms, against 5 ms
// decoding into File and 15 ms into interface values), which keeps loading
// the embedded table well under its 5 ms budget.

// kind is the JSON type of a node.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	}
	return "?"
}

// node is one JSON value. It holds no pointers: strings are offsets into
// the input (or, when they had escapes, indexes into the tree's decoded
// strings) and children live contiguously in the tree's arena, so the
// garbage collector never scans a tree.
type node struct {
	kind   kind
	b      bool  // boolean value
	strEsc bool  // string value had escapes: it is tree.decoded[first]
	keyEsc bool  // key had escapes: it is tree.decoded[keyEnd]
	off    int32 // offset of the value's first byte
	end    int32 // offset just after the value
	keyOff int32 // object members: offset of the key's opening quote
	keyEnd int32 // object members: offset just after the key's closing quote
	first  int32 // arrays and objects: index of the first child in the arena
	count  int32 // arrays and objects: number of children
}

// tree is a parsed JSON document.
type tree struct {
	src     string // the input
	root    node
	arena   []node   // the children of every container
	decoded []string // strings that had escapes, decoded
	stack   []node   // the parser's stack, kept to be reused (see release)
}

// children returns the elements of an array or the members of an object,
// in document order (duplicate keys kept).
func (t *tree) children(n *node) []node { return t.arena[n.first : n.first+n.count] }

// str returns the value of a string node, or the literal of a number.
func (t *tree) str(n *node) string {
	switch {
	case n.kind == kindNumber:
		return t.src[n.off:n.end]
	case n.kind != kindString:
		return ""
	case n.strEsc:
		return t.decoded[n.first]
	}
	return t.src[n.off+1 : n.end-1]
}

// key returns the key of an object member.
func (t *tree) key(n *node) string {
	if n.keyEsc {
		return t.decoded[n.keyEnd]
	}
	return t.src[n.keyOff+1 : n.keyEnd-1]
}

// maxSize bounds the files the parser accepts, so offsets fit in int32.
const maxSize = 1 << 30

// maxDepth bounds nesting so hostile input cannot exhaust the stack. Case
// files nest five levels deep; 64 leaves room for mistakes that are still
// worth a readable error.
const maxDepth = 64

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// parser is a recursive-descent parser for RFC 8259 JSON. It accepts exactly
// one value surrounded by optional whitespace, rejects invalid UTF-8, and
// never panics. Strings without escapes are read from the input by offset,
// and children are gathered on a stack and moved to the arena when their
// container ends, so a file costs a handful of allocations.
type parser struct {
	src     string // the input
	pos     int
	depth   int
	stack   []node   // children of the containers being parsed
	arena   []node   // children of finished containers
	decoded []string // strings with escapes, decoded
}

// buffers are the arenas and stacks of trees released with release: a
// table loads many files, and reusing their memory spares zeroing and
// collecting it.
var buffers sync.Pool // of *treeBuffers

type treeBuffers struct{ arena, stack []node }

// parseJSON parses data as a single JSON value. Call release on the tree
// once nothing reads it any more.
func parseJSON(data string) (*tree, *syntaxError) {
	if len(data) > maxSize {
		return nil, &syntaxError{0, fmt.Sprintf("file larger than %d bytes", maxSize)}
	}
	p := parser{src: data}
	if b, ok := buffers.Get().(*treeBuffers); ok {
		p.arena, p.stack = b.arena[:0], b.stack[:0]
	}
	if want := len(data) / 20; cap(p.arena) < want {
		p.arena = make([]node, 0, want) // about one node per 24 bytes of a case file
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return nil, &syntaxError{0, "file starts with a byte order mark; save it as UTF-8 without BOM"}
	}
	p.skipSpace()
	if p.pos == len(data) {
		return nil, &syntaxError{p.pos, "empty file: want a JSON object"}
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(data) {
		return nil, &syntaxError{p.pos, fmt.Sprintf("unexpected %s after the top-level value", p.describe())}
	}
	return &tree{src: p.src, root: n, arena: p.arena, decoded: p.decoded, stack: p.stack}, nil
}

// release hands the tree's memory back for the next parse; the tree must
// not be used afterwards.
func (t *tree) release() {
	buffers.Put(&treeBuffers{arena: t.arena, stack: t.stack})
	t.arena, t.stack = nil, nil
}

func (p *parser) skipSpace() {
	// A local index: the loop neither reloads nor stores p.pos per byte.
	s, i := p.src, p.pos
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	p.pos = i
}

// describe names the byte at p.pos for an error message.
func (p *parser) describe() string {
	if p.pos >= len(p.src) {
		return "end of file"
	}
	c := p.src[p.pos]
	if c >= 0x20 && c < 0x7F {
		return strconv.Quote(string(c))
	}
	return fmt.Sprintf("byte 0x%02X", c)
}

func (p *parser) errorf(format string, args ...any) *syntaxError {
	return &syntaxError{p.pos, fmt.Sprintf(format, args...)}
}

func (p *parser) value() (node, *syntaxError) {
	if p.pos >= len(p.src) {
		return node{}, p.errorf("unexpected end of file: want a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.container(kindObject)
	case c == '[':
		return p.container(kindArray)
	case c == '"':
		start := p.pos
		esc, idx, err := p.string()
		if err != nil {
			return node{}, err
		}
		return node{kind: kindString, off: int32(start), end: int32(p.pos), strEsc: esc, first: idx}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", node{kind: kindBool, b: true})
	case c == 'f':
		return p.literal("false", node{kind: kindBool})
	case c == 'n':
		return p.literal("null", node{kind: kindNull})
	}
	return node{}, p.errorf("unexpected %s: want a value", p.describe())
}

func (p *parser) literal(word string, n node) (node, *syntaxError) {
	if len(p.src)-p.pos < len(word) || p.src[p.pos:p.pos+len(word)] != word {
		return node{}, p.errorf("invalid literal: want %s", word)
	}
	n.off = int32(p.pos)
	p.pos += len(word)
	n.end = int32(p.pos)
	return n, nil
}

// container parses an object or an array at p.pos.
func (p *parser) container(k kind) (node, *syntaxError) {
	// On error the whole parse is abandoned, so depth and stack are only
	// restored on success.
	p.depth++
	if p.depth > maxDepth {
		return node{}, p.errorf("nested more than %d levels deep", maxDepth)
	}
	closing, what := byte(']'), "array"
	if k == kindObject {
		closing, what = '}', "object"
	}
	n := node{kind: k, off: int32(p.pos)}
	base := len(p.stack)
	p.pos++ // [ or {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == closing {
		p.pos++
		n.end = int32(p.pos)
		p.depth--
		return n, nil
	}
	for {
		p.skipSpace()
		keyOff, keyEnd, keyEsc := p.pos, 0, false
		if k == kindObject {
			if p.pos >= len(p.src) || p.src[p.pos] != '"' {
				return node{}, p.errorf("unexpected %s: want a quoted object key", p.describe())
			}
			esc, idx, err := p.string()
			if err != nil {
				return node{}, err
			}
			keyEnd, keyEsc = p.pos, esc
			if esc {
				keyEnd = int(idx)
			}
			p.skipSpace()
			if p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return node{}, p.errorf("unexpected %s after an object key: want ':'", p.describe())
			}
			p.pos++
			p.skipSpace()
		}
		v, err := p.value()
		if err != nil {
			return node{}, err
		}
		if k == kindObject {
			v.keyOff, v.keyEnd, v.keyEsc = int32(keyOff), int32(keyEnd), keyEsc
		}
		p.stack = append(p.stack, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return node{}, p.errorf("unexpected end of file: want ',' or '%c'", closing)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			n.end = int32(p.pos)
			n.first = int32(len(p.arena))
			n.count = int32(len(p.stack) - base)
			p.arena = append(p.arena, p.stack[base:]...)
			p.stack = p.stack[:base]
			p.depth--
			return n, nil
		default:
			return node{}, p.errorf("unexpected %s in %s: want ',' or '%c'", p.describe(), what, closing)
		}
	}
}

func (p *parser) number() (node, *syntaxError) {
	start := p.pos
	digits := func() int {
		s := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		return p.pos - s
	}
	if p.src[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.src) && p.src[p.pos] == '0' {
		p.pos++
		if p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			return node{}, p.errorf("invalid number: leading zero")
		}
	} else if digits() == 0 {
		return node{}, p.errorf("invalid number: want a digit")
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return node{}, p.errorf("invalid number: want a digit after '.'")
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return node{}, p.errorf("invalid number: want a digit in the exponent")
		}
	}
	return node{kind: kindNumber, off: int32(start), end: int32(p.pos)}, nil
}

// string parses a quoted string at p.pos. A string without escapes is
// read from the input by its offsets; one with escapes is decoded into
// p.decoded and esc is true with idx its index there.
func (p *parser) string() (esc bool, idx int32, err *syntaxError) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: plain ASCII without escapes needs no decoding.
	s, i := p.src, p.pos
	for i < len(s) && plainByte[s[i]] {
		i++
	}
	p.pos = i
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		p.pos++
		return false, 0, nil
	}
	escaped := false
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, p.src[start:p.pos]...)
	for {
		if p.pos >= len(p.src) {
			return false, 0, p.errorf("unexpected end of file inside a string")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !escaped { // only UTF-8, the input holds it as is
				return false, 0, nil
			}
			p.decoded = append(p.decoded, string(buf))
			return true, int32(len(p.decoded) - 1), nil
		case c < 0x20:
			return false, 0, p.errorf("control byte 0x%02X inside a string: write it as \\u%04X", c, c)
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return false, 0, err
			}
			escaped = true
			buf = utf8.AppendRune(buf, r)
		case c < 0x80:
			buf = append(buf, c)
			p.pos++
		default:
			r, size := utf8.DecodeRuneInString(p.src[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return false, 0, p.errorf("invalid UTF-8 byte 0x%02X inside a string", c)
			}
			buf = append(buf, p.src[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
}

// plainByte marks the bytes a string's fast path reads on: printable ASCII
// but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escape parses a backslash escape at p.pos. A lone UTF-16 surrogate
// becomes U+FFFD, as in encoding/json.
func (p *parser) escape() (rune, *syntaxError) {
	p.pos++ // backslash
	if p.pos >= len(p.src) {
		return 0, p.errorf("unexpected end of file inside a string")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, ok := p.hex4()
		if !ok {
			return 0, p.errorf("invalid \\u escape: want four hex digits")
		}
		if r < 0xD800 || r > 0xDFFF {
			return r, nil
		}
		if r >= 0xDC00 { // low surrogate without a high one
			return utf8.RuneError, nil
		}
		// A high surrogate: combine with a following \uDC00-\uDFFF.
		if len(p.src)-p.pos >= 6 && p.src[p.pos] == '\\' && p.src[p.pos+1] == 'u' {
			save := p.pos
			p.pos += 2
			lo, ok := p.hex4()
			if ok && lo >= 0xDC00 && lo <= 0xDFFF {
				return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
			}
			p.pos = save
		}
		return utf8.RuneError, nil
	}
	p.pos--
	return 0, p.errorf("invalid escape: unexpected %s after a backslash", p.describe())
}

func (p *parser) hex4() (rune, bool) {
	if len(p.src)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.src[p.pos : p.pos+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}
