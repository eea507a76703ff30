# インシデントかも?（相談の受付・緊急度・今すぐ連絡する先）の文言。キーは en/domain-incident.ftl と同じ。
domain-incident-advice-critical = 今すぐ、下の連絡先に電話してください。相談窓口からも折り返し連絡します。
domain-incident-advice-high = できるだけ早く、下の連絡先に電話してください。相談窓口からも連絡します。
domain-incident-advice-medium = 下の手順を確認し、保守事業者に連絡してください。相談窓口が内容を確認します。
domain-incident-advice-low = 相談窓口が内容を確認します。状況が変わったら、すぐに下の連絡先に電話してください。
domain-incident-who-vendor = 事業者: { $vendor }
domain-incident-who-admin = 施設管理者（mamori）
# 国の連絡先。連絡体制図の記録として日本語のまま入る。
domain-incident-police-desk = 都道府県警察 サイバー犯罪相談窓口
domain-incident-police-desk-notes = #9110 は警察相談専用電話（各都道府県警察につながります）。サイバー犯罪相談窓口の一覧は警察庁のページにあります
domain-incident-mhlw-desk = 厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室
domain-incident-mhlw-desk-notes = 代表電話。医療情報担当参事官室へ。最新の連絡先は厚生労働省「医療分野のサイバーセキュリティ対策について」のページで確認
