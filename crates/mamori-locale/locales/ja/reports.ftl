# 帳票（Excel・PDF・SVG）の見出しと文言、取り込みのエラー。キーは en/reports.ftl と同じ。
reports-ledger-cell-error-value = セルがExcelのエラー値 { $code } です。正しい値を入れてください
