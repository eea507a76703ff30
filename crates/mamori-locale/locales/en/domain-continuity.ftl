# Backup and business continuity plan (BCP) records, warnings and evidence. Same keys as ja/domain-continuity.ftl.
domain-continuity-backup = backup
domain-continuity-subject = { $systems } ({ $data })
domain-continuity-no-backup = No backup is recorded
domain-continuity-restore-never-tested = { $subject }: a restore has never been tested; check the recovery procedure
domain-continuity-restore-test-failed = { $subject }: the last restore test ({ $on }) failed
domain-continuity-restore-test-old = { $subject }: the last restore test ({ $on }) is more than a year old
domain-continuity-no-offline-copy = { $subject }: no offline copy (ransomware encrypts copies it can reach over the network)
domain-continuity-single-generation = { $subject }: only one generation is kept; keep several so that a copy from before an infection remains
domain-continuity-not-encrypted = { $subject }: copies kept off the premises are not encrypted
domain-continuity-no-bcp = There is no business continuity plan (BCP) for cyber attacks
domain-continuity-bcp-target-passed = The BCP's target date ({ $target }) has passed and it is still being drafted
domain-continuity-drill-never = The BCP has never been drilled
domain-continuity-drill-old = The last BCP drill ({ $on }) is more than a year old
domain-continuity-no-restore-test = no restore test
domain-continuity-restore-test = last restore test { $on } ({ $minutes } min, { $succeeded ->
        [yes] succeeded
       *[no] failed
    })
domain-continuity-backup-fact = { $subject }: { $frequency }, { $places }, { $generations } generation(s){ $encrypted ->
        [yes] , encrypted
       *[no] {""}
    }{ $write-once ->
        [yes] , write-once
       *[no] {""}
    }, { $test }
domain-continuity-bcp-established = BCP in place ({ $on })
domain-continuity-bcp-drafting = BCP being drafted (target { $target })
domain-continuity-bcp-not-started = no BCP
domain-continuity-none = none
domain-continuity-last-drill = last drill: { $date }
