# 立入検査の文言（日本語）。キーは en/inspection.ftl と同じであること（テストで確認）。
inspection-choose-whether-contact-chart-was = 連絡体制図を確認できたかどうかを選んでください
