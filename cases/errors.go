package cases

import (
	"strconv"
	"strings"
)

// FieldError is one problem found in a case file: where it is and what is
// wrong. Its Error is one line:
//
//	acao.json:12: case "acao/x": request.headers[2]: want a [name, value] pair of strings, got 3 elements
type FieldError struct {
	// File is the file's path or embedded name.
	File string
	// Line is the 1-based line the problem starts on; 0 when unknown
	// (for example when the file cannot be read).
	Line int
	// Case names the case: its id, or "#3" (its index in the "cases"
	// array) when the id is missing or invalid. Empty for problems outside
	// any case.
	Case string
	// Field is the JSON path of the offending field inside the case (or
	// inside the file when Case is empty), e.g. "request.headers[2]".
	// Empty when the problem is the whole value.
	Field string
	// Msg says what is wrong and, where it helps, what is wanted.
	Msg string
	// Err is the underlying error, if any (a read error).
	Err error
}

// Error formats the problem as one line: file[:line]: [case "id": ][field: ]message.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Case != "" {
		b.WriteString("case ")
		if strings.HasPrefix(e.Case, "#") {
			b.WriteString(e.Case)
		} else {
			b.WriteString(strconv.Quote(e.Case))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *FieldError) Unwrap() error { return e.Err }

// Errors is every problem found while loading case files, in file order and
// then in document order. Loading never stops at the first problem.
type Errors []*FieldError

// Error joins the problems, one per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.Is and errors.As look at each.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
