package recipe

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// RuleExpr is a parsed traefik router rule: either a matcher (Matcher and
// Args set) or an operator ("&&", "||") over Left and Right. Not negates
// the node, as `!` does in the rule.
type RuleExpr struct {
	Op          string // "&&", "||", or "" for a matcher
	Left, Right *RuleExpr
	Not         bool
	Matcher     string // canonical name, e.g. "PathPrefix"
	Args        []string
}

// Rule syntaxes: Traefik v3 reads "v3" rules unless a router (ruleSyntax
// label) or the server (core.defaultRuleSyntax) asks for "v2". RuleAuto is
// ours: the server's setting is not in the recipe, so both forms are read,
// each matcher by the form its arguments have.
const (
	RuleV2   = "v2"
	RuleV3   = "v3"
	RuleAuto = ""
)

// matcherArity says how many arguments a matcher takes in each syntax
// (-1: one or more); a matcher missing from a syntax does not exist there.
var matcherArity = map[string]map[string]int{
	"Host":          {RuleV2: -1, RuleV3: 1},
	"HostHeader":    {RuleV2: -1},
	"HostRegexp":    {RuleV2: -1, RuleV3: 1},
	"Path":          {RuleV2: -1, RuleV3: 1},
	"PathPrefix":    {RuleV2: -1, RuleV3: 1},
	"PathRegexp":    {RuleV3: 1},
	"Method":        {RuleV2: -1, RuleV3: 1},
	"Header":        {RuleV3: 2},
	"HeaderRegexp":  {RuleV3: 2},
	"Headers":       {RuleV2: 2},
	"HeadersRegexp": {RuleV2: 2},
	"Query":         {RuleV2: -1, RuleV3: 12}, // v3: one or two
	"QueryRegexp":   {RuleV3: 12},
	"ClientIP":      {RuleV2: -1, RuleV3: 1},
}

// canonicalMatcher finds a matcher by the names Traefik accepts for it
// (Host, host, HOST, and the title case of its lower case form).
func canonicalMatcher(name string) (string, bool) {
	for m := range matcherArity {
		if name == m || name == strings.ToLower(m) || name == strings.ToUpper(m) ||
			name == strings.ToUpper(m[:1])+strings.ToLower(m[1:]) {
			return m, true
		}
	}
	return "", false
}

func arityOK(want, got int) bool {
	switch want {
	case -1:
		return got >= 1
	case 12:
		return got == 1 || got == 2
	}
	return got == want
}

// ParseRule parses a traefik HTTP router rule in the given syntax (RuleV2,
// RuleV3 or RuleAuto). In RuleAuto, a matcher valid only in v2 (Host with
// two hosts, Headers, ...) is accepted and reported in compat, since
// Traefik v3 refuses it unless the router or server asks for v2.
func ParseRule(rule, syntax string) (expr *RuleExpr, compat []string, err error) {
	p := &ruleParser{src: rule, syntax: syntax}
	if err := p.lex(); err != nil {
		return nil, nil, err
	}
	if len(p.toks) == 0 {
		return nil, nil, fmt.Errorf("empty rule")
	}
	expr, err = p.or()
	if err != nil {
		return nil, nil, err
	}
	if p.pos < len(p.toks) {
		return nil, nil, fmt.Errorf("unexpected %q at offset %d", p.toks[p.pos].text, p.toks[p.pos].off)
	}
	return expr, p.compat, nil
}

type ruleToken struct {
	kind byte // 'i' identifier, 's' string, or the operator's first byte: & | ! ( ) ,
	text string
	off  int
}

type ruleParser struct {
	src    string
	syntax string
	toks   []ruleToken
	pos    int
	compat []string
}

// lex splits the rule into tokens. Strings are Go literals, as in the
// Go-expression syntax Traefik's rule parser reads: `raw` or "quoted".
func (p *ruleParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '&' || c == '|':
			if i+1 >= len(s) || s[i+1] != c {
				return fmt.Errorf("%q at offset %d: want %c%c", c, i, c, c)
			}
			p.toks = append(p.toks, ruleToken{kind: c, text: s[i : i+2], off: i})
			i += 2
		case c == '!' || c == '(' || c == ')' || c == ',':
			p.toks = append(p.toks, ruleToken{kind: c, text: s[i : i+1], off: i})
			i++
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return fmt.Errorf("unterminated `string at offset %d", i)
			}
			p.toks = append(p.toks, ruleToken{kind: 's', text: s[i+1 : i+1+j], off: i})
			i += j + 2
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return fmt.Errorf("unterminated \"string at offset %d", i)
			}
			v, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return fmt.Errorf("string at offset %d: %w", i, err)
			}
			p.toks = append(p.toks, ruleToken{kind: 's', text: v, off: i})
			i = j + 1
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			p.toks = append(p.toks, ruleToken{kind: 'i', text: s[i:j], off: i})
			i = j
		default:
			return fmt.Errorf("unexpected %q at offset %d", c, i)
		}
	}
	return nil
}

func (p *ruleParser) peek() byte {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return 0
}

func (p *ruleParser) or() (*RuleExpr, error) {
	left, err := p.and()
	for err == nil && p.peek() == '|' {
		p.pos++
		var right *RuleExpr
		if right, err = p.and(); err == nil {
			left = &RuleExpr{Op: "||", Left: left, Right: right}
		}
	}
	return left, err
}

func (p *ruleParser) and() (*RuleExpr, error) {
	left, err := p.unary()
	for err == nil && p.peek() == '&' {
		p.pos++
		var right *RuleExpr
		if right, err = p.unary(); err == nil {
			left = &RuleExpr{Op: "&&", Left: left, Right: right}
		}
	}
	return left, err
}

func (p *ruleParser) unary() (*RuleExpr, error) {
	switch p.peek() {
	case '!':
		p.pos++
		e, err := p.unary()
		if err == nil {
			e.Not = !e.Not
		}
		return e, err
	case '(':
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, p.unexpected("want )")
		}
		p.pos++
		return e, nil
	case 'i':
		return p.matcher()
	}
	return nil, p.unexpected("want a matcher, ! or (")
}

func (p *ruleParser) unexpected(want string) error {
	if p.pos >= len(p.toks) {
		return fmt.Errorf("rule ends early: %s", want)
	}
	t := p.toks[p.pos]
	return fmt.Errorf("unexpected %q at offset %d: %s", t.text, t.off, want)
}

func (p *ruleParser) matcher() (*RuleExpr, error) {
	t := p.toks[p.pos]
	name, ok := canonicalMatcher(t.text)
	if !ok {
		return nil, fmt.Errorf("unknown matcher %s at offset %d", t.text, t.off)
	}
	p.pos++
	if p.peek() != '(' {
		return nil, p.unexpected("want ( after " + t.text)
	}
	p.pos++
	e := &RuleExpr{Matcher: name}
	for p.peek() != ')' {
		if len(e.Args) > 0 {
			if p.peek() != ',' {
				return nil, p.unexpected("want , or )")
			}
			p.pos++
		}
		if p.peek() != 's' {
			return nil, p.unexpected("want a string argument")
		}
		if p.toks[p.pos].text == "" {
			return nil, fmt.Errorf("%s at offset %d: empty argument", name, t.off)
		}
		e.Args = append(e.Args, p.toks[p.pos].text)
		p.pos++
	}
	p.pos++
	return e, p.checkArity(e, t.off)
}

// checkArity applies the syntax's argument counts. In RuleAuto a matcher
// that only v2 accepts in this shape is noted in compat.
func (p *ruleParser) checkArity(e *RuleExpr, off int) error {
	ar := matcherArity[e.Matcher]
	if p.syntax != RuleAuto {
		want, ok := ar[p.syntax]
		if !ok {
			return fmt.Errorf("%s at offset %d does not exist in rule syntax %s", e.Matcher, off, p.syntax)
		}
		if !arityOK(want, len(e.Args)) {
			return fmt.Errorf("%s at offset %d: %d arguments, which rule syntax %s does not accept", e.Matcher, off, len(e.Args), p.syntax)
		}
		return nil
	}
	v3, in3 := ar[RuleV3]
	if in3 && arityOK(v3, len(e.Args)) && !v2Shaped(e) {
		return nil
	}
	if v2, in2 := ar[RuleV2]; in2 && arityOK(v2, len(e.Args)) {
		p.compat = append(p.compat, fmt.Sprintf("%s(%s) is Traefik v2 rule syntax, which Traefik v3 refuses unless the router sets ruleSyntax=v2 (or the server defaults to it)", e.Matcher, quoteArgs(e.Args)))
		return nil
	}
	return fmt.Errorf("%s at offset %d: %d arguments, which neither rule syntax accepts", e.Matcher, off, len(e.Args))
}

// v2Shaped reports a single-argument matcher whose argument only makes
// sense in v2: a {name} template, or Query's key=value form.
func v2Shaped(e *RuleExpr) bool {
	switch e.Matcher {
	case "Query":
		return len(e.Args) == 1 && strings.Contains(e.Args[0], "=")
	case "HostRegexp", "Path", "PathPrefix":
		return IsV2Template(e.Args[0])
	}
	return false
}

// IsV2Template reports whether s holds a gorilla/mux variable as Traefik
// v2 rules use them: {name} or {name:pattern}. A v3 regexp quantifier such
// as {2,3} is not one.
func IsV2Template(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || (j > i+1 && unicode.IsDigit(rune(s[j])))) {
			j++
		}
		if j > i+1 && j < len(s) && (s[j] == '}' || s[j] == ':') {
			return true
		}
	}
	return false
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.Contains(a, "`") {
			q[i] = strconv.Quote(a)
		} else {
			q[i] = "`" + a + "`"
		}
	}
	return strings.Join(q, ", ")
}

// Walk calls fn on every matcher of the rule, with whether it is negated
// (an odd number of enclosing !).
func (e *RuleExpr) Walk(fn func(m *RuleExpr, negated bool)) {
	e.walk(false, fn)
}

func (e *RuleExpr) walk(neg bool, fn func(*RuleExpr, bool)) {
	if e == nil {
		return
	}
	neg = neg != e.Not
	if e.Op == "" {
		fn(e, neg)
		return
	}
	e.Left.walk(neg, fn)
	e.Right.walk(neg, fn)
}

// String prints the rule back in a normal form (for messages and tests).
func (e *RuleExpr) String() string {
	if e == nil {
		return ""
	}
	var s string
	if e.Op == "" {
		s = e.Matcher + "(" + quoteArgs(e.Args) + ")"
	} else {
		s = "(" + e.Left.String() + " " + e.Op + " " + e.Right.String() + ")"
	}
	if e.Not {
		return "!" + s
	}
	return s
}
