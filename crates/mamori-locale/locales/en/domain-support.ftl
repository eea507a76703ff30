# The support menu (subsidy estimates, suggested programmes). Same keys as ja/domain-support.ftl.
domain-support-gap-no-offline-backup = No offline backup
domain-support-gap-training-items-no = いいえ on items that training addresses
domain-support-gap-vpn-device-flagged = A VPN device needs attention
domain-support-nationwide = Nationwide
domain-support-formula-standard = min(standard amount { $standard } yen, cost { $cost } yen) × { $rate } = { $base } yen × { $rate } = { $before } yen
domain-support-formula-cost = cost { $cost } yen × { $rate } = { $before } yen
domain-support-formula-rounded = { $head } → { $rounding }: { $after } yen
domain-support-formula-capped = { $head } → capped at { $max } yen
domain-support-formula-below-minimum = { $head } → under the minimum of { $min } yen: no subsidy (0 yen)
domain-support-no-backup-records = There is no backup record: check that an offline copy exists
domain-support-backups-without-offline = Backups without an offline copy: { $backups }
domain-support-training-items-no = Checklist items { $items } are answered いいえ (no)
domain-support-vpn-device = { $asset } ({ $flags })
domain-support-vpn-devices-flagged = VPN devices of the ledger are flagged: { $devices }
