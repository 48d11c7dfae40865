package grade

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"sort"
	"strings"
)

// The marking page of `klcourse grade serve`: question by question, every
// student's written answer beside the mark scheme and the model answer, with
// points and a comment per answer, saved as the marker goes. Students' text
// is only ever shown as text (html/template escapes it, and the page's
// Content-Security-Policy runs no script but the page's own), never run nor
// rendered as HTML or Markdown.

// Server serves the marking page of an output folder.
type Server struct {
	Dir   string
	Token string
	info  *WrittenInfo
	marks *MarkStore
}

// NewServer opens the marking of outDir with a fresh random token.
func NewServer(outDir string) (*Server, error) {
	info, err := ReadWrittenInfo(outDir)
	if err != nil {
		return nil, err
	}
	marks, err := OpenMarks(outDir, info.Assignment)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &Server{Dir: outDir, Token: hex.EncodeToString(b), info: info, marks: marks}, nil
}

// Listen returns a listener on addr, which must be a loopback address unless
// remote is set.
func Listen(addr string, remote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); !remote && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return nil, fmt.Errorf("--addr %s is not a loopback address: students' answers would be served to the network (add --remote to mean it)", addr)
	}
	return net.Listen("tcp", addr)
}

// URL is the page's address on the listener.
func (s *Server) URL(l net.Listener) string {
	return fmt.Sprintf("http://%s/?token=%s", l.Addr().String(), s.Token)
}

func (s *Server) authorised(r *http.Request) bool {
	tok := r.URL.Query().Get("token")
	if h := r.Header.Get("X-Klcourse-Token"); h != "" {
		tok = h
	}
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.Token)) == 1
}

// ServeHTTP serves the page (GET /), saves marks (POST /mark) and shows two
// similar answers side by side (GET /compare).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if !s.authorised(r) {
		http.Error(w, "forbidden: open the address klcourse grade serve printed (with its token)", http.StatusForbidden)
		return
	}
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		s.page(w, r)
	case r.URL.Path == "/mark" && r.Method == http.MethodPost:
		s.mark(w, r)
	case r.URL.Path == "/compare" && r.Method == http.MethodGet:
		s.compare(w, r)
	default:
		http.NotFound(w, r)
	}
}

func nonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) setCSP(w http.ResponseWriter, n string) {
	w.Header().Set("Content-Security-Policy", fmt.Sprintf("default-src 'none'; script-src 'nonce-%s'; style-src 'nonce-%s'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", n, n))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
}

// answerView is one student's answer on the page.
type answerView struct {
	Student, Answer, SHA, Comment, Saved string
	Points                               string
	Marked, Stale                        bool
}

func (s *Server) question(id string) *Question {
	for i := range s.info.Questions {
		if s.info.Questions[i].ID == id {
			return &s.info.Questions[i]
		}
	}
	return nil
}

// answers returns every student's answer to question q, from the results.
func (s *Server) answers(q Question) (list []answerView, empty []string) {
	for _, r := range LoadResults(&Spec{SHA256: s.info.Solution}, s.Dir) {
		var qr *QuestionResult
		for i := range r.Questions {
			if r.Questions[i].ID == q.ID && r.Questions[i].Written {
				qr = &r.Questions[i]
			}
		}
		if qr == nil || qr.Answer == "" {
			empty = append(empty, r.Student)
			continue
		}
		v := answerView{Student: r.Student, Answer: qr.Answer, SHA: hash(qr.Answer)}
		if m, ok := s.marks.Get(q.ID, r.Student); ok {
			v.Points, v.Comment, v.Saved = fmt.Sprint(m.Points), m.Comment, m.At
			v.Marked, v.Stale = m.Answer == v.SHA, m.Answer != v.SHA
		}
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Student < list[j].Student })
	return list, empty
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	qid := r.URL.Query().Get("q")
	q := s.question(qid)
	if q == nil && len(s.info.Questions) > 0 {
		q = &s.info.Questions[0]
	}
	var list []answerView
	var empty []string
	if q != nil {
		list, empty = s.answers(*q)
	}
	marked := 0
	for _, a := range list {
		if a.Marked {
			marked++
		}
	}
	var pairs []SimilarPair
	if sim, _ := ReadSimilarity(s.Dir); sim != nil {
		pairs = sim.Pairs
	}
	n := nonce()
	s.setCSP(w, n)
	markPage.Execute(w, map[string]any{"Pairs": pairs,
		"Nonce": n, "Token": s.Token, "A": s.info.Assignment, "Qs": s.info.Questions, "Q": q,
		"List": list, "Empty": empty, "Marked": marked,
	})
}

// markRequest is what the page posts.
type markRequest struct {
	Question string  `json:"question"`
	Student  string  `json:"student"`
	Points   float64 `json:"points"`
	Comment  string  `json:"comment"`
	Answer   string  `json:"answer_sha256"`
}

func (s *Server) mark(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		reply(http.StatusForbidden, map[string]string{"error": "another origin"})
		return
	}
	var req markRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		reply(http.StatusBadRequest, map[string]string{"error": "not a mark: " + err.Error()})
		return
	}
	q := s.question(req.Question)
	if q == nil {
		reply(http.StatusBadRequest, map[string]string{"error": "no written question " + req.Question})
		return
	}
	var answer string
	found := false
	list, _ := s.answers(*q)
	for _, a := range list {
		if a.Student == req.Student {
			answer, found = a.Answer, true
		}
	}
	if !found {
		reply(http.StatusBadRequest, map[string]string{"error": "no answer of " + req.Student + " to " + q.ID})
		return
	}
	if hash(answer) != req.Answer {
		reply(http.StatusConflict, map[string]string{"error": "the answer changed since the page was loaded: reload it"})
		return
	}
	m, err := NewMark(*q, req.Points, strings.TrimSpace(req.Comment), answer)
	if err != nil {
		reply(http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := s.marks.Set(q.ID, req.Student, m); err != nil {
		reply(http.StatusInternalServerError, map[string]string{"error": "not saved: " + err.Error()})
		return
	}
	reply(http.StatusOK, map[string]string{"saved": m.At})
}

var markPage = template.Must(template.New("mark").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.A}}: marking{{with .Q}} {{.ID}}{{end}}</title>
<style nonce="{{.Nonce}}">body{font-family:sans-serif;max-width:70em;margin:1em auto;line-height:1.4}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}
.card{border:1px solid #ccc;padding:.6em;margin:.8em 0}.scheme{background:#fff8e0}
.status{margin-left:1em}.err{color:#a00}.ok{color:#070}nav a{margin-right:1em}
textarea{width:100%;height:4em}.stale{color:#a60}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}</style></head>
<body data-token="{{.Token}}">
<h1>{{.A}}: written answers</h1>
<nav>{{range .Qs}}<a href="?token={{$.Token}}&amp;q={{.ID}}">{{.ID}} ({{.Points}} pts)</a>{{end}}</nav>
{{if not .Q}}<p>This assignment has no written question to mark.</p>{{else}}
<h2 id="question" data-question="{{.Q.ID}}" data-max="{{.Q.Points}}">{{.Q.ID}} — {{.Q.Points}} points — marked <span id="marked">{{.Marked}}</span> of {{len .List}}</h2>
<h3>The question, as students see it</h3><pre class="prompt">{{.Q.Prompt}}</pre>
<h3>Mark scheme</h3><pre class="scheme">{{.Q.Scheme}}</pre>
<h3>Model answer</h3><pre class="model">{{.Q.Model}}</pre>
{{range .List}}<div class="card" data-student="{{.Student}}" data-sha="{{.SHA}}">
<b>{{.Student}}</b>{{if .Stale}} <span class="stale">(the answer changed after it was marked)</span>{{end}}
<pre class="answer">{{.Answer}}</pre>
<label>points <input class="points" type="number" min="0" max="{{$.Q.Points}}" step="0.25" value="{{if not .Stale}}{{.Points}}{{end}}"></label>
<button class="save" type="button">save</button><span class="status">{{if .Marked}}saved {{.Saved}}{{end}}</span>
<label><textarea class="comment" placeholder="comment for the student">{{.Comment}}</textarea></label>
</div>
{{end}}
{{with .Empty}}<p>No answer (0 points, nothing to mark): {{range .}}{{.}} {{end}}</p>{{end}}
{{end}}
{{with .Pairs}}<h2>Similar answers (a flag to look at, never a score)</h2>
<table><tr><th>question</th><th>a</th><th>b</th><th>shared</th><th></th></tr>
{{range .}}<tr class="pair"><td>{{.Question}}</td><td>{{.A}}</td><td>{{.B}}</td><td>{{printf "%.0f" .Percent}}% ({{.Shared}} fingerprints)</td>
<td><a class="compare" href="compare?token={{$.Token}}&amp;q={{.Question}}&amp;a={{.A}}&amp;b={{.B}}">side by side</a></td></tr>
{{end}}</table>{{end}}
<script nonce="{{.Nonce}}">
(function () {
  const token = document.body.dataset.token;
  const heading = document.getElementById('question');
  if (!heading) return;
  const question = heading.dataset.question;
  async function save(card) {
    const status = card.querySelector('.status');
    const points = card.querySelector('.points').value;
    if (points === '') { status.textContent = 'give points first'; status.className = 'status err'; return; }
    status.textContent = 'saving…'; status.className = 'status';
    try {
      const res = await fetch('mark', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Klcourse-Token': token},
        body: JSON.stringify({question: question, student: card.dataset.student, points: Number(points),
          comment: card.querySelector('.comment').value, answer_sha256: card.dataset.sha})});
      const body = await res.json();
      if (!res.ok) { status.textContent = 'not saved: ' + body.error; status.className = 'status err'; return; }
      status.textContent = 'saved ' + body.saved; status.className = 'status ok';
      card.dataset.marked = '1';
      document.getElementById('marked').textContent = document.querySelectorAll('.card[data-marked="1"]').length;
    } catch (e) { status.textContent = 'not saved: ' + e; status.className = 'status err'; }
  }
  for (const card of document.querySelectorAll('.card')) {
    if (card.querySelector('.status').textContent.startsWith('saved')) card.dataset.marked = '1';
    card.querySelector('.save').addEventListener('click', () => save(card));
    card.querySelector('.points').addEventListener('change', () => save(card));
    card.querySelector('.comment').addEventListener('change', () => { if (card.querySelector('.points').value !== '') save(card); });
  }
})();
</script>
</body></html>
`))

// line is a line of an answer in the side-by-side view.
type line struct {
	N      int
	Text   string
	Shared bool
}

func lines(text string, shared []int) []line {
	mark := map[int]bool{}
	for _, n := range shared {
		mark[n] = true
	}
	var out []line
	for i, t := range strings.Split(text, "\n") {
		out = append(out, line{N: i + 1, Text: t, Shared: mark[i+1]})
	}
	return out
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	q, a, b := r.URL.Query().Get("q"), r.URL.Query().Get("a"), r.URL.Query().Get("b")
	sim, err := ReadSimilarity(s.Dir)
	if err != nil || sim == nil {
		http.Error(w, "no similarity report: run klcourse grade first", http.StatusNotFound)
		return
	}
	for _, p := range sim.Pairs {
		if p.Question == q && p.A == a && p.B == b {
			n := nonce()
			s.setCSP(w, n)
			comparePage.Execute(w, map[string]any{"Nonce": n, "Token": s.Token, "P": p, "LA": lines(p.TextA, p.LinesA), "LB": lines(p.TextB, p.LinesB)})
			return
		}
	}
	http.NotFound(w, r)
}

var comparePage = template.Must(template.New("compare").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.P.Question}}: {{.P.A}} and {{.P.B}}</title>
<style nonce="{{.Nonce}}">body{font-family:sans-serif;margin:1em}.cols{display:flex;gap:1em}.col{flex:1;min-width:0}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}.shared{background:#ffe08a}
.n{color:#888;display:inline-block;width:2.5em}</style></head><body>
<p><a href="./?token={{.Token}}">back</a></p>
<h1>{{.P.Question}}: {{.P.A}} and {{.P.B}} share {{printf "%.0f" .P.Percent}}% of the smaller answer's fingerprints</h1>
<p>Names, layout and comments are normalised away and the starter code is left out before comparing; highlighted lines hold shared fingerprints. This is a flag for a person to look at: it changes no score.</p>
<div class="cols"><div class="col"><h2>{{.P.A}}</h2><pre class="a">{{range .LA}}<span class="{{if .Shared}}shared{{end}}"><span class="n">{{.N}}</span>{{.Text}}
</span>{{end}}</pre></div>
<div class="col"><h2>{{.P.B}}</h2><pre class="b">{{range .LB}}<span class="{{if .Shared}}shared{{end}}"><span class="n">{{.N}}</span>{{.Text}}
</span>{{end}}</pre></div></div>
</body></html>
`))
