-- SQLite's migration 23 keys contact points by party, so a party's points are read together.
-- PostgreSQL keeps rows in a heap whatever the key, and its (tenant_id, party_id) index already
-- finds a party's points: nothing changes here; the two backends' versions stay in step.
SELECT 1;
