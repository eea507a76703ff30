# 共通部分（レイアウト、招待メール、入力の検査）の文言（日本語）。キーは en/http.ftl と同じであること（テストで確認）。
http-incident = インシデントかも？
http-institutions-served = 担当する医療機関
http-training = 研修
http-incident-desk = 相談窓口
http-consultations = 相談の記録
http-support-menu = 支援メニュー
http-other-language = English
http-internal-error = 内部エラー
http-invitation-subject = 【mamori】{ $institution } から事業者確認用チェックリストへの招待
http-invitation-text =
    { $vendor } ご担当者様

    { $institution } から、mamori（医療機関のサイバーセキュリティ対策チェックリスト）で
    事業者確認用チェックリストへの回答とMDS/SDSの提出をお願いする招待が届いています。

    次のリンクを開き、ログインIDとパスワードを決めてください（{ $days }日間・1回限り有効）:
    { $link }

    お心当たりのない場合は、このメールを破棄してください。
http-control-character = 使えない制御文字（{ $character }、{ $position }文字目）が含まれています。取り除いてから送信してください
