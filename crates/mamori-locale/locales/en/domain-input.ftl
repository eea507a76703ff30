# Input checks of the pages and the API, returned in mamori-domain types (ParseError, FieldProblem). Same keys as ja/domain-input.ftl.
domain-input-message = { $field }: { $ja }
domain-input-login-already-taken-logins = the login '{ $login }' is already taken (logins that differ only in upper/lower case or full/half width count as the same)
