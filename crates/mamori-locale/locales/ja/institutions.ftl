# 施設一覧と施設のページの文言（日本語）。キーは en/institutions.ftl と同じであること（テストで確認）。
institutions-vendor-contracts = 事業者との契約
institutions-contact-chart = 連絡体制図
institutions-backup-bcp = バックアップとBCP
institutions-coverage-vendors = 回答の分担（事業者）
institutions-training-record = 研修の受講記録
institutions-support-fits = 使える支援
institutions-open-support-menu = 支援メニューを見る
institutions-no-gap-found = 記録から見つかった課題はありません。支援メニューはいつでも見られます。
institutions-no-programme-for-kind = 今年度の支援メニューに、この施設種別が使える支援はありません。
institutions-estimate = 概算
institutions-must-be-integer = 整数で指定してください
institutions-institution-user-admin-or-staff = 施設ユーザーの役割は admin または staff です
institutions-number-beds-must-be-whole = 病床数は整数で入力してください
institutions-field-wrong-type = 項目「{ $field }」の値の型が正しくありません
institutions-field-unknown = 項目「{ $field }」は変更できません
