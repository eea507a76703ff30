# サーバーを運用する人に向けた文言（コマンドライン、起動時のエラー）。キーは en/operator.ftl と同じ。
# コンソールには利用者の言語がないため、日本語と英語を「 / 」でつないで両方を表示する。
# 日本語は何が起きたかを、英語はその詳細を述べる。
operator-about = mamori — 医療機関のサイバーセキュリティ対策チェックリストと立入検査
operator-verdict-ready = 判定: 準備完了
operator-verdict-not-ready = 判定: 不足あり
operator-severity-blocking = 要対応
operator-severity-advice = 指導
operator-severity-info = 参考
operator-audit-no-key = 監査ログの鍵が設定されていません
operator-audit-key-file = 監査ログの鍵ファイルを使えません
operator-audit-key-mismatch = 監査ログの鍵がデータベースと一致しません
operator-audit-legacy-chain-broken = 監査ログが壊れているため鍵付けを中止しました
operator-audit-keyed-before = 監査ログの鍵付けが取り除かれています
operator-audit-key-file-needed = 監査ログの鍵ファイルを指定してください
operator-audit-key-file-missing-keyed = 監査ログの鍵ファイルがありません
operator-audit-key-file-missing = 監査ログの鍵ファイルがありません
operator-audit-broken = 監査ログが壊れています
operator-audit-intact = 監査ログは改ざんされていません
operator-audit-broken-at = 監査ログが壊れています
operator-audit-checkpoint-written = 監査ログのチェックポイントを書きました
operator-backup-damaged = バックアップが破損しています
operator-backup-newer-format = このバックアップは新しい mamori で作成されました
operator-restore-not-empty = 復元先のデータベースが空ではありません
operator-restore-key-needed = 監査ログの検証には鍵が必要です
operator-restore-other-engine = バックアップと復元先のエンジンが異なります
operator-restore-newer-schema = このバックアップは新しい mamori で作成されました
operator-notify-pass = お知らせの確認（{ $day } まで）: { $count } 件を通知しました
operator-notify-mail = お知らせのメール: { $sent } 通送信、{ $retried } 通は後で再送、{ $failed } 通は送信できませんでした
