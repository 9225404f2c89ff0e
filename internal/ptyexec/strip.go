package ptyexec

// stripper removes terminal escape sequences (CSI such as colours and
// cursor moves, OSC such as window titles, and two- or three-byte escapes)
// and carriage returns from a byte stream, keeping its state between
// writes: a sequence may be split across reads.
type stripper struct {
	state int
}

const (
	plain = iota
	esc   // after ESC
	csi   // in ESC [ ... final
	osc   // in ESC ] ... BEL or ESC \
	oscEsc
	escIntermediate // ESC followed by 0x20-0x2F: one more byte ends it
)

// write returns p without escape sequences and carriage returns.
func (s *stripper) write(p []byte) string {
	out := make([]byte, 0, len(p))
	for _, b := range p {
		switch s.state {
		case plain:
			switch b {
			case 0x1b:
				s.state = esc
			case '\r':
			default:
				out = append(out, b)
			}
		case esc:
			switch {
			case b == '[':
				s.state = csi
			case b == ']':
				s.state = osc
			case b >= 0x20 && b <= 0x2f:
				s.state = escIntermediate
			default:
				s.state = plain
			}
		case csi:
			if b >= 0x40 && b <= 0x7e {
				s.state = plain
			}
		case osc:
			switch b {
			case 0x07:
				s.state = plain
			case 0x1b:
				s.state = oscEsc
			}
		case oscEsc:
			s.state = plain // ESC \ ends it; anything else too
		case escIntermediate:
			s.state = plain
		}
	}
	return string(out)
}

// Strip returns s without terminal escape sequences and carriage returns.
func Strip(s string) string {
	var st stripper
	return st.write([]byte(s))
}
