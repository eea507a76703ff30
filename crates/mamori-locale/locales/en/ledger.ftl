# Sentences of the device ledger (English). Same keys as ja/ledger.ftl (a test checks).
ledger-export-file-name = ledger-{ $stem }
