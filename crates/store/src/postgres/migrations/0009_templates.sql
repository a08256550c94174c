-- Message templates: every save is a new version of (key, language); messages name the version
-- they were rendered from.
CREATE TABLE templates (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    key TEXT NOT NULL,
    language TEXT NOT NULL,
    version BIGINT NOT NULL,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX templates_version ON templates (tenant_id, key, language, version);
-- Inbound texts and unsubscribes find their contact point by its value.
CREATE INDEX contact_points_value ON contact_points (tenant_id, kind, value);
