-- Who joined which experiment in which arm, and when: kept after the account moves on and after
-- the experiment ends, so an arm's results can always be read. The first assignment stands.
CREATE TABLE experiment_members (
    tenant_id BLOB NOT NULL,
    experiment TEXT NOT NULL,
    account_id BLOB NOT NULL,
    arm TEXT NOT NULL,
    segment TEXT NOT NULL,
    version INTEGER NOT NULL,
    joined_on TEXT NOT NULL,
    PRIMARY KEY (tenant_id, experiment, account_id)
) WITHOUT ROWID;
