-- A debtor's portal session shares the sessions table: `account_id` names the account they
-- verified for and `user_id` is then their party's id. Staff sessions leave it empty.
ALTER TABLE sessions ADD COLUMN account_id UUID;
