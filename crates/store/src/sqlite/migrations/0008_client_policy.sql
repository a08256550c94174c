-- A client's servicing policy (plan terms, settlement limits, promise grace, commission by
-- portfolio) as JSON; NULL means the defaults.
ALTER TABLE clients ADD COLUMN policy TEXT;
