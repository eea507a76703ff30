# 支援メニュー（補助額の試算・取組の提案）の文言。キーは en/domain-support.ftl と同じ。
domain-support-gap-no-offline-backup = オフラインバックアップがありません
domain-support-gap-training-items-no = 研修で身につける項目に「いいえ」があります
domain-support-gap-vpn-device-flagged = VPN装置に要対応の指摘があります
domain-support-nationwide = 全国
domain-support-formula-standard = min(基準額 { $standard }円, 対象経費 { $cost }円) × { $rate } = { $base }円 × { $rate } = { $before }円
domain-support-formula-cost = 対象経費 { $cost }円 × { $rate } = { $before }円
domain-support-formula-rounded = { $head } → { $rounding } { $after }円
domain-support-formula-capped = { $head } → 上限 { $max }円
domain-support-formula-below-minimum = { $head } → 下限 { $min }円 未満のため補助なし（0円）
domain-support-no-backup-records = バックアップの記録がありません。オフラインのコピーがあるか確認してください
domain-support-backups-without-offline = オフラインのコピーがないバックアップ: { $backups }
domain-support-training-items-no = チェックリストの { $items } が「いいえ」です
domain-support-vpn-device = { $asset }（{ $flags }）
domain-support-vpn-devices-flagged = 機器台帳のVPN装置に指摘があります: { $devices }
