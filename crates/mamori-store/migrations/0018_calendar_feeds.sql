-- Each user's calendar feed (.ics) is read at a secret address: the token is kept as given so
-- that the settings can show the address again (as a calendar service shows its secret
-- address); renewing it ends the old address.
ALTER TABLE users ADD COLUMN calendar_token TEXT;
CREATE UNIQUE INDEX users_by_calendar_token ON users (calendar_token) WHERE calendar_token IS NOT NULL;
