# 機器台帳の文言（日本語）。キーは en/ledger.ftl と同じであること（テストで確認）。
ledger-export-file-name = 機器台帳-{ $stem }
ledger-rows-rejected = { $count } 件の取り込めない箇所があるため、何も保存していません。rejected の行と列を直してください
