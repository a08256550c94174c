-- An account's score is kept once, in account_scores, with its model and reasons; accounts read
-- it from there. Writing it onto the account row as well rewrote every page of the (wide)
-- accounts table on each scoring run: 10 of 19 seconds at a million accounts.
ALTER TABLE accounts DROP COLUMN score;
