# Notifications: before a target date, on it, and once it has passed. Keys as in ja/notifications.ftl.

notifications-rule-target-in-30-days = The target date of { $item } ({ $date }) is 30 days away
notifications-rule-target-in-7-days = The target date of { $item } ({ $date }) is 7 days away
notifications-rule-target-today = The target date of { $item } ({ $date }) is today
notifications-rule-target-overdue = The target date of { $item } ({ $date }) has passed. Update the answer once the measure is in place
notifications-about = { $institution }, { $year }
notifications-title = Notifications
notifications-nav = Notifications
notifications-nav-unread = Notifications ({ $count } unread)
notifications-lead = You are told when the target date of an item draws near or has passed, and when an inspection is scheduled. Each links to where to act.
notifications-empty = No notifications.
notifications-unread-only = Unread only
notifications-show-all = Show all
notifications-unread = Unread
notifications-read-at = Read ({ $at })
notifications-mark-read = Mark as read
notifications-mark-all-read = Mark all as read
notifications-open = Open the item
notifications-received = Notified { $at }
notifications-calendar-target = Target date of { $item }
notifications-calendar-inspection = On-site inspection ({ $institution })
notifications-calendar-name = mamori dates
notifications-calendar-title = Add to your calendar
notifications-calendar-lead = Target dates and inspection dates can appear in your own calendar (Outlook, Google Calendar, Apple Calendar). Paste the address below where your calendar subscribes to a calendar by URL. Anyone who knows the address can see the dates: if it leaks, change it.
notifications-calendar-address = Calendar address
notifications-calendar-renew = Change to a new address (the current one stops working)
notifications-rule-inspection-scheduled = The on-site inspection is scheduled for { $date } ({ $institution })
