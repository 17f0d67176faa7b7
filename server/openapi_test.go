package server

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"renke/dbtest"
)

// Every route of the staff API and of the public logs is in openapi.yaml,
// with its method, and every path the spec documents is routed: a route
// added without its documentation fails here.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	raw, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Servers []struct{ URL string }
		Paths   map[string]map[string]yaml.Node
	}
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if len(spec.Servers) != 1 || spec.Servers[0].URL != "/api/v1" {
		t.Fatalf("the spec's server: %+v", spec.Servers)
	}
	documented := map[string]bool{}
	for path, item := range spec.Paths {
		base := "/api/v1"
		if s, ok := item["servers"]; ok {
			var servers []struct{ URL string }
			if err := s.Decode(&servers); err != nil || len(servers) != 1 {
				t.Fatalf("%s: servers %v", path, err)
			}
			base = strings.TrimSuffix(servers[0].URL, "/")
		}
		for method := range item {
			switch method {
			case "get", "post", "put", "delete", "patch":
				documented[strings.ToUpper(method)+" "+base+path] = true
			}
		}
	}

	e, err := New(Config{SessionKey: []byte("openapi-test-session-key-0123456789")}, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	routed := map[string]bool{}
	for _, r := range e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") && !strings.HasPrefix(r.Path, "/log/") {
			continue // the console and the respondent's pages are HTML, not API
		}
		if r.Method == http.MethodHead || r.Method == "echo_route_not_found" {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		path = strings.Replace(path, "/*", "/{path}", 1)
		routed[r.Method+" "+path] = true
	}
	var undocumented, unrouted []string
	for k := range routed {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			unrouted = append(unrouted, k)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unrouted)
	if len(undocumented) > 0 {
		t.Errorf("routes not in openapi.yaml:\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unrouted) > 0 {
		t.Errorf("paths in openapi.yaml that no route serves:\n  %s", strings.Join(unrouted, "\n  "))
	}
	if len(routed) < 40 {
		t.Errorf("only %d API and log routes found", len(routed))
	}
}
