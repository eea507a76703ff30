# Sentences of the device ledger (English). Same keys as ja/ledger.ftl (a test checks).
ledger-export-file-name = ledger-{ $stem }
ledger-rows-rejected = { $count } problem(s) in the file: nothing was stored; fix the rows and columns listed in rejected
