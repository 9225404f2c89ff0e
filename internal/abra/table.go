package abra

import (
	"strings"
)

// table is one table abra printed: its header cells (lower-cased) and rows.
type table struct {
	header []string
	rows   [][]string
}

// get returns the cell of row under column name ("" when there is none).
func (t table) get(row []string, name string) string {
	for i, h := range t.header {
		if h == name && i < len(row) {
			return row[i]
		}
	}
	return ""
}

// has reports whether the table has every column named.
func (t table) has(names ...string) bool {
	for _, n := range names {
		found := false
		for _, h := range t.header {
			found = found || h == n
		}
		if !found {
			return false
		}
	}
	return true
}

// parseTables finds the tables in a transcript, drawn with box-drawing
// characters (│ ┌ ├ └, as abra's current tables are) or ASCII (| +-, as
// older abra's were): consecutive cell lines form a table, border lines
// between them are skipped, the first cell line is the header.
func parseTables(text string) []table {
	var out []table
	var cur *table
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case isBorder(line):
			continue
		case strings.HasPrefix(line, "│") || strings.HasPrefix(line, "|"):
			cells := splitCells(line)
			if cur == nil {
				out = append(out, table{})
				cur = &out[len(out)-1]
				for _, c := range cells {
					cur.header = append(cur.header, strings.ToLower(c))
				}
				continue
			}
			cur.rows = append(cur.rows, cells)
		default:
			cur = nil
		}
	}
	return out
}

// isBorder reports whether line is a table's top, bottom or separator line.
func isBorder(line string) bool {
	if line == "" {
		return false
	}
	for _, r := range line {
		if !strings.ContainsRune("─━═┌┐└┘├┤┬┴┼╭╮╰╯+-=:|│ ", r) {
			return false
		}
	}
	// A line of only bars and spaces is an empty row, not a border.
	return strings.ContainsAny(line, "─━═+-")
}

func splitCells(line string) []string {
	sep := "│"
	if strings.HasPrefix(line, "|") {
		sep = "|"
	}
	line = strings.TrimSuffix(strings.TrimPrefix(line, sep), sep)
	parts := strings.Split(line, sep)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
