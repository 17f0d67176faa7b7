package workbook

import (
	"encoding/csv"
	"io"
	"strconv"
)

// CSV writes comma-separated values made for Excel: a UTF-8 BOM first, so
// that Excel reads the Chinese, CRLF line ends, and every text cell that
// Excel would run as a formula neutralised (Neutralise).
type CSV struct {
	w   *csv.Writer
	rec []string // reused
}

// NewCSV starts a CSV on w with its BOM.
func NewCSV(w io.Writer) (*CSV, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &CSV{w: cw}, nil
}

// Write writes one record, each cell neutralised.
func (c *CSV) Write(rec []string) error {
	c.rec = c.rec[:0]
	for _, cell := range rec {
		c.rec = append(c.rec, Neutralise(cell))
	}
	return c.w.Write(c.rec)
}

// Flush writes what is buffered and reports any error of the writes.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// Neutralise keeps a cell that begins with =, +, -, @, a tab or a carriage
// return from being read as a formula by a spreadsheet, the way OWASP
// recommends against CSV injection: it is prefixed with a single quote,
// which Excel and WPS show as text. A number ("-3.5", "+86") stays a
// number.
func Neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(cell, 64); err == nil {
			return cell
		}
		return "'" + cell
	}
	return cell
}
