package browser

// stepLogs returns a copy of the log of each of the first n steps of key,
// an empty one for a step nothing was reported for. The copies' slices
// share their arrays with the recorder's logs, which only ever append to
// them: what a copy holds does not change.
func (r *stepRecorder[L]) stepLogs(key string, n int) []L {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]L, n)
	if c := r.logs[key]; c != nil {
		for i := range min(n, len(c.steps)) {
			out[i] = *c.steps[i]
		}
	}
	return out
}
