-- Time staff were signed in, kept for "per hour worked" figures. A staff session's span (its
-- creation to its last request) is copied here when the session ends, whichever way it ends
-- (sign-out, idle expiry, the user disabled): a trigger, so no deletion path can forget it.
-- Portal sessions (account_id set) are debtors, not staff, and are not kept.
CREATE TABLE work_periods (
    tenant_id UUID NOT NULL,
    user_id UUID NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL
);
CREATE INDEX work_periods_by_end ON work_periods (tenant_id, ended_at);

CREATE FUNCTION recoup_keep_work_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.account_id IS NULL AND OLD.last_seen_at > OLD.created_at THEN
        INSERT INTO work_periods (tenant_id, user_id, started_at, ended_at)
        VALUES (OLD.tenant_id, OLD.user_id, OLD.created_at, OLD.last_seen_at);
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER sessions_keep_work_period BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION recoup_keep_work_period();
