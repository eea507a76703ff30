# お知らせ: 目標日の前と当日、過ぎたとき。キーは en/notifications.ftl と同じ。

notifications-rule-target-in-30-days = { $item } の目標日（{ $date }）まで30日です
notifications-rule-target-in-7-days = { $item } の目標日（{ $date }）まで7日です
notifications-rule-target-today = { $item } の目標日（{ $date }）は今日です
notifications-rule-target-overdue = { $item } の目標日（{ $date }）を過ぎました。対策が済んだら回答を更新してください
notifications-about = { $institution }・{ $year }
notifications-title = お知らせ
notifications-nav = お知らせ
notifications-nav-unread = お知らせ（未読 { $count } 件）
notifications-lead = 目標日が近づいた項目や過ぎた項目、立入検査の日程をお知らせします。リンクから該当のページを開けます。
notifications-empty = お知らせはありません。
notifications-unread-only = 未読のみ表示
notifications-show-all = すべて表示
notifications-unread = 未読
notifications-read-at = 既読（{ $at }）
notifications-mark-read = 既読にする
notifications-mark-all-read = すべて既読にする
notifications-open = 項目を開く
notifications-received = { $at } に通知
notifications-calendar-target = { $item } の目標日
notifications-calendar-inspection = 立入検査（{ $institution }）
notifications-calendar-name = mamori の予定
notifications-calendar-title = カレンダーに登録
notifications-calendar-lead = 目標日と立入検査の日程を、お使いのカレンダー（Outlook、Google カレンダー、Apple のカレンダー）に登録できます。下のアドレスを「URL で追加」「インターネット予定表の購読」などに貼り付けてください。このアドレスを知る人は誰でも予定を見られます。漏れたときは新しいアドレスに変えてください。
notifications-calendar-address = 予定表のアドレス
notifications-calendar-renew = 新しいアドレスに変える（今のアドレスは使えなくなります）
notifications-rule-inspection-scheduled = 立入検査の日程が { $date } に決まりました（{ $institution }）
