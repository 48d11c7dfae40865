package notebook

import "fmt"

// Dirt lists what makes a committed notebook unclean: outputs and execution
// counts of code cells. Committed notebooks carry neither, so that diffs show
// changes to the course, not to a run of it; klcourse run renders executed
// copies elsewhere.
func (nb *Notebook) Dirt() []string {
	var dirt []string
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		if outs, _ := c.fields["outputs"].([]any); len(outs) > 0 {
			dirt = append(dirt, fmt.Sprintf("cell %d has %d output(s)", i+1, len(outs)))
		}
		if n := c.fields["execution_count"]; n != nil {
			dirt = append(dirt, fmt.Sprintf("cell %d has execution count %v", i+1, n))
		}
	}
	return dirt
}

// Strip removes outputs and execution counts from every code cell and the
// timing metadata that executing a notebook records. It reports whether the
// notebook changed.
func (nb *Notebook) Strip() bool {
	changed := false
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		if outs, ok := c.fields["outputs"].([]any); !ok || len(outs) > 0 {
			c.fields["outputs"] = []any{}
			changed = true
		}
		if c.fields["execution_count"] != nil {
			changed = true
		}
		c.fields["execution_count"] = nil
		if md, ok := c.fields["metadata"].(map[string]any); ok {
			for _, key := range []string{"execution", "collapsed", "scrolled"} {
				if _, ok := md[key]; ok {
					delete(md, key)
					changed = true
				}
			}
		}
	}
	return changed
}
