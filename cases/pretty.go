package cases

import (
	"fmt"
	"strings"
)

// Pretty returns the case's JSON text (Raw) laid out for reading: one
// field per line, indented by two spaces, with arrays of scalars and header
// pairs kept on one line. Key order and values are as in the file. It
// returns Raw unchanged if Raw is not valid JSON (a Case built by hand).
func (c Case) Pretty() string {
	t, err := parseJSON(c.Raw)
	if err != nil {
		return c.Raw
	}
	var b strings.Builder
	t.write(&b, &t.root, 0)
	return b.String()
}

// write appends n to b at the given indentation depth.
func (t *tree) write(b *strings.Builder, n *node, depth int) {
	switch n.kind {
	case kindObject, kindArray:
		kids := t.children(n)
		open, close := byte('['), byte(']')
		if n.kind == kindObject {
			open, close = '{', '}'
		}
		if len(kids) == 0 || n.kind == kindArray && t.flat(kids) {
			b.WriteByte(open)
			for i := range kids {
				if i > 0 {
					b.WriteString(", ")
				}
				t.write(b, &kids[i], depth+1)
			}
			b.WriteByte(close)
			return
		}
		b.WriteByte(open)
		for i := range kids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth+1))
			if n.kind == kindObject {
				writeJSONString(b, t.key(&kids[i]))
				b.WriteString(": ")
			}
			t.write(b, &kids[i], depth+1)
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteByte(close)
	case kindString:
		writeJSONString(b, t.str(n))
	default: // numbers, true, false, null as written
		b.WriteString(t.src[n.off:n.end])
	}
}

// flat reports whether an array's items fit on one line: scalars, or
// arrays of scalars (header pairs).
func (t *tree) flat(items []node) bool {
	for i := range items {
		switch items[i].kind {
		case kindObject:
			return false
		case kindArray:
			for _, k := range t.children(&items[i]) {
				if k.kind == kindArray || k.kind == kindObject {
					return false
				}
			}
		}
	}
	return true
}

// writeJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, everything else as is.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
