# バックアップと事業継続計画（BCP）の記録・警告・根拠の文言。キーは en/domain-continuity.ftl と同じ。
domain-continuity-backup = バックアップ
domain-continuity-subject = { $systems }（{ $data }）
domain-continuity-no-backup = バックアップの記録がありません
domain-continuity-restore-never-tested = { $subject }: 復旧（リストア）の訓練をしたことがありません。復旧手順を確認してください
domain-continuity-restore-test-failed = { $subject }: 最後のリストア訓練（{ $on }）が失敗しています
domain-continuity-restore-test-old = { $subject }: 最後のリストア訓練（{ $on }）から1年以上経っています
domain-continuity-no-offline-copy = { $subject }: オフラインのバックアップがありません（ランサムウェアはネットワーク上の複製も暗号化します）
domain-continuity-single-generation = { $subject }: 世代管理されていません（1世代のみ）。感染前の複製に戻れるよう複数世代を保管してください
domain-continuity-not-encrypted = { $subject }: 院外に保管する複製が暗号化されていません
domain-continuity-no-bcp = サイバー攻撃を想定した事業継続計画（BCP）がありません
domain-continuity-bcp-target-passed = BCPの策定目標日（{ $target }）を過ぎていますが、まだ策定中です
domain-continuity-drill-never = BCPに基づく訓練をしたことがありません
domain-continuity-drill-old = 最後のBCP訓練（{ $on }）から1年以上経っています
domain-continuity-no-restore-test = リストア訓練なし
domain-continuity-restore-test = 最終リストア訓練 { $on }（{ $minutes }分、{ $succeeded ->
        [yes] 成功
       *[no] 失敗
    }）
domain-continuity-backup-fact = { $subject }: { $frequency }、{ $places }、{ $generations }世代{ $encrypted ->
        [yes] 、暗号化
       *[no] {""}
    }{ $write-once ->
        [yes] 、追記不能
       *[no] {""}
    }、{ $test }
domain-continuity-bcp-established = BCP策定済（{ $on }）
domain-continuity-bcp-drafting = BCP策定中（目標 { $target }）
domain-continuity-bcp-not-started = BCP未策定
domain-continuity-none = なし
domain-continuity-last-drill = 最終訓練: { $date }
