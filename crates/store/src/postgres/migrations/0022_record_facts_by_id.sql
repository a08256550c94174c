-- Nothing to change here: the PostgreSQL trigger has always found a record's facts in
-- record_facts by id (recoup_record_days, migration 0020). SQLite's migration 0022 makes its
-- insert trigger do the same; this one keeps the two lists of versions in step.
SELECT 1;
