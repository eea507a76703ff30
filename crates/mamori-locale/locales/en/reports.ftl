# Headings and sentences of the reports (Excel, PDF, SVG) and import errors. Same keys as ja/reports.ftl.
reports-ledger-cell-error-value = the cell holds the Excel error { $code }; enter a value
