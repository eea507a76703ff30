# 画面・API の入力検査が mamori-domain の型（ParseError・FieldProblem）で返す文言。キーは en/domain-input.ftl と同じ。
domain-input-message = { $field }: { $ja }
domain-input-login-already-taken-logins = ログインID「{ $login }」は既に使われています（大文字・小文字や全角・半角の違いだけのIDは同じとみなします）
