# 監督: 都道府県と国が見る、年度ごとの状況と検索

domain-labels-year-state-not-started = 未着手
domain-labels-year-state-in-progress = 入力中
domain-labels-year-state-completed = 入力完了
domain-labels-year-state-ready = 検査準備完了
domain-labels-oversight-kind-dental-clinic = 歯科診療所
domain-parse-year-state = 状況「{ $text }」は not_started / in_progress / completed / ready のいずれかです
domain-parse-oversight-kind = 種別「{ $text }」は hospital / clinic_with_beds / clinic_without_beds / dental_clinic / pharmacy のいずれかです
domain-parse-municipality-code-six-digits = 全国地方公共団体コード「{ $text }」は6桁の数字です
domain-parse-municipality-code-prefecture = 全国地方公共団体コード「{ $text }」の上2桁が都道府県コード（01〜47）ではありません
domain-parse-municipality-code-check-digit = 全国地方公共団体コード「{ $text }」の検査数字（6桁目）が合いません
