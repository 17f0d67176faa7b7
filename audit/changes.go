package audit

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Changes lists what differs between two versions of one object, field by
// field as their JSON has it, for an audit entry: "常住人口：800000 →
// 812345". Fields are named by labels (the JSON key where none is given)
// and listed in key order; fields in skip are left out (ids, times).
func Changes(before, after any, labels map[string]string, skip ...string) []string {
	a, b := fields(before), fields(after)
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		if slices.Contains(skip, k) || bytes.Equal(a[k], b[k]) {
			continue
		}
		name := labels[k]
		if name == "" {
			name = k
		}
		out = append(out, name+"："+shown(a[k])+" → "+shown(b[k]))
	}
	return out
}

func fields(v any) map[string]json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}

// shown is a JSON value as staff read it: strings unquoted, nothing as 空.
func shown(v json.RawMessage) string {
	var s string
	switch {
	case len(v) == 0 || string(v) == "null" || string(v) == `""`:
		return "空"
	case json.Unmarshal(v, &s) == nil:
		return s
	}
	return strings.TrimSpace(string(v))
}
