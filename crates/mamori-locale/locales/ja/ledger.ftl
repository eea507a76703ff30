# 機器台帳の文言（日本語）。キーは en/ledger.ftl と同じであること（テストで確認）。
ledger-export-file-name = 機器台帳-{ $stem }
