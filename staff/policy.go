package staff

import (
	"fmt"
	"time"
	"unicode"
)

// Policy is the deployment's rules for passwords and sessions, set within
// the floors of 网络安全等级保护 (GB/T 22239-2019): passwords of some
// length mixing kinds of characters, not reused, and a session that ends
// when left idle.
type Policy struct {
	MinLength int           // characters, at least MinPasswordFloor
	Classes   int           // kinds among lower case, upper case, digits and symbols, 2 to 4
	History   int           // a new password may not be any of the last History, 0 to 24
	Idle      time.Duration // a session unused this long ends; at most IdleCeiling
}

// The floors a policy may not go under, and DefaultPolicy.
const (
	MinPasswordFloor = 8
	IdleCeiling      = 30 * time.Minute
	maxPasswordBytes = 72 // bcrypt reads no further
)

// DefaultPolicy: ten characters of three kinds, none of the last five,
// and half an hour idle.
var DefaultPolicy = Policy{MinLength: 10, Classes: 3, History: 5, Idle: IdleCeiling}

// Validate refuses a policy under the floors; the message names the
// setting.
func (p Policy) Validate() error {
	switch {
	case p.MinLength < MinPasswordFloor || p.MinLength > maxPasswordBytes:
		return fmt.Errorf("password minimum length %d: want %d to %d", p.MinLength, MinPasswordFloor, maxPasswordBytes)
	case p.Classes < 2 || p.Classes > 4:
		return fmt.Errorf("password classes %d: want 2 to 4 of lower case, upper case, digits and symbols", p.Classes)
	case p.History < 0 || p.History > 24:
		return fmt.Errorf("password history %d: want 0 to 24", p.History)
	case p.Idle < time.Minute || p.Idle > IdleCeiling:
		return fmt.Errorf("session idle time %v: want 1 to 30 minutes", p.Idle)
	}
	return nil
}

// Check refuses a password the policy does not allow, saying what it
// needs.
//
// Kinds of character: a (lower case), A (upper case), 0 (digits), and
// anything else a symbol; "renke-demo-2026" has three (a, 0, -).
func (p Policy) Check(password string) error {
	if len([]rune(password)) < p.MinLength || len(password) > maxPasswordBytes {
		return Refusal(fmt.Sprintf("密码须为 %d 至 %d 个字符，并包含小写字母、大写字母、数字、符号中的至少 %d 种", p.MinLength, maxPasswordBytes, p.Classes))
	}
	var lower, upper, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	kinds := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			kinds++
		}
	}
	if kinds < p.Classes {
		return Refusal(fmt.Sprintf("密码须包含小写字母、大写字母、数字、符号中的至少 %d 种（现为 %d 种）", p.Classes, kinds))
	}
	return nil
}
