-- What each institution's ledger is flagged for, counted for oversight: devices in use with a
-- high-severity flag, and devices flagged end of support, known exploited or a vulnerable VPN
-- version. The flags need the public datasets and today's date, which the web tier holds:
-- a device write deletes its institution's row in the same transaction, and the web tier
-- writes it again (after each write and for every row computed before today), so a count is
-- at most a refresh behind.
CREATE TABLE device_flag_counts (
    institution_id {{int}} PRIMARY KEY REFERENCES institutions (id),
    computed_on TEXT NOT NULL,
    flagged_devices {{int}} NOT NULL,
    end_of_support {{int}} NOT NULL,
    known_exploited {{int}} NOT NULL,
    vulnerable_vpn {{int}} NOT NULL
);
CREATE INDEX device_flag_counts_by_day ON device_flag_counts (computed_on);
