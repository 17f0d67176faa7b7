// Package statistics keeps the school statistics (教育事业统计 and
// 教育经费统计) and the county findings the indicator evaluation reads,
// and runs the evaluation of a unit's year from them. The workbooks they
// are exchanged in are package workbook's.
package statistics
