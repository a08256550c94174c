-- Contact points are read by their party (every account's file, every daily run reads three or
-- four per party) and hardly ever by their own id. Keyed by id, each point read by party was a
-- seek into the party index and another into the table; keyed by party, a party's points are one
-- seek and a short walk. A look-up by id goes through the unique index instead.
CREATE TABLE contact_points_by_party (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    party_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    extension TEXT,
    phone_type TEXT,
    line1 TEXT,
    line2 TEXT,
    city TEXT,
    region TEXT,
    postal_code TEXT,
    country TEXT,
    time_zone TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL,
    consent_call TEXT NOT NULL,
    consent_sms TEXT NOT NULL,
    consent_email TEXT NOT NULL,
    consent_letter TEXT NOT NULL,
    employer_provided INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, party_id, id)
) WITHOUT ROWID;
INSERT INTO contact_points_by_party (tenant_id, id, party_id, kind, value, extension, phone_type, line1, line2, city, region,
    postal_code, country, time_zone, source, verification, consent_call, consent_sms, consent_email, consent_letter,
    employer_provided, created_at)
SELECT tenant_id, id, party_id, kind, value, extension, phone_type, line1, line2, city, region,
    postal_code, country, time_zone, source, verification, consent_call, consent_sms, consent_email, consent_letter,
    employer_provided, created_at
FROM contact_points;
DROP TABLE contact_points;
ALTER TABLE contact_points_by_party RENAME TO contact_points;
CREATE UNIQUE INDEX contact_points_id ON contact_points (tenant_id, id);
CREATE INDEX contact_points_phone ON contact_points (tenant_id, value) WHERE kind = 'phone';
