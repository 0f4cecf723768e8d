// promql-check parses PromQL expressions with Prometheus's own parser and
// names the metrics each one selects. The monitoring tests use it to check
// deploy/monitoring: every rule and dashboard query must parse, and every
// metric it reads must be one csrbot serves.
//
// stdin:  ["expr", ...]
// stdout: one result per expression, in the same order:
//
//	{"selectors": [{"metric": "name", "labels": ["label", ...]}, ...]} or {"error": "..."}
//
// where labels are those the selector matches on (other than __name__).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type selector struct {
	Metric string   `json:"metric"`
	Labels []string `json:"labels"`
}

type result struct {
	Selectors []selector `json:"selectors,omitempty"`
	Error     string     `json:"error,omitempty"`
}

func check(p parser.Parser, expr string) result {
	e, err := p.ParseExpr(expr)
	if err != nil {
		return result{Error: err.Error()}
	}
	var out []selector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		sel := selector{Metric: vs.Name, Labels: []string{}}
		for _, m := range vs.LabelMatchers {
			if m.Name != labels.MetricName {
				sel.Labels = append(sel.Labels, m.Name)
			} else if m.Type == labels.MatchEqual {
				sel.Metric = m.Value
			}
		}
		// {__name__=~"..."} could select anything: the caller cannot check it, so it gets no name.
		sort.Strings(sel.Labels)
		out = append(out, sel)
		return nil
	})
	return result{Selectors: out}
}

func main() {
	var exprs []string
	if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: stdin must be a JSON array of strings: %v\n", err)
		os.Exit(2)
	}
	p := parser.NewParser(parser.Options{})
	results := make([]result, len(exprs))
	for i, e := range exprs {
		results[i] = check(p, e)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: %v\n", err)
		os.Exit(2)
	}
}
