// Package refusal marks the errors of staff actions that a person can act
// on: input that breaks a rule, or an action that the current state of
// things forbids. Their messages are Simplified Chinese, for staff. The
// HTTP layer maps them in one place (server.storeError); the console shows
// the message on the page the action came from.
package refusal

import (
	"errors"
	"fmt"
)

// Kind says why an action was refused.
type Kind int

const (
	// Invalid input: fix what was sent and try again (HTTP 422).
	Invalid Kind = iota
	// Conflict with the state of things: a campaign already open, a name
	// already taken, a row still referenced (HTTP 409).
	Conflict
	// Forbidden to this person, though another may do it: a setting that
	// decides the verdict, changed after the survey opened (HTTP 403).
	Forbidden
)

// Error is a refused action with its reason.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Invalidf refuses input that breaks a rule.
func Invalidf(format string, a ...any) error {
	return &Error{Kind: Invalid, Msg: fmt.Sprintf(format, a...)}
}

// Conflictf refuses an action the state of things forbids.
func Conflictf(format string, a ...any) error {
	return &Error{Kind: Conflict, Msg: fmt.Sprintf(format, a...)}
}

// Forbiddenf refuses an action that only someone else may take.
func Forbiddenf(format string, a ...any) error {
	return &Error{Kind: Forbidden, Msg: fmt.Sprintf(format, a...)}
}

// AsInvalid marks err, a validation error whose message is for staff, as
// invalid input; nil stays nil.
func AsInvalid(err error) error {
	if err == nil {
		return nil
	}
	var r *Error
	if errors.As(err, &r) {
		return err
	}
	return &Error{Kind: Invalid, Msg: err.Error()}
}

// As returns the refusal in err's chain, if any.
func As(err error) (*Error, bool) {
	var r *Error
	ok := errors.As(err, &r)
	return r, ok
}
