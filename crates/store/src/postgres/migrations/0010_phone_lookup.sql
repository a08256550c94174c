-- Only inbound texts look contact points up by value, and only phone numbers. An index over
-- every kind's value took random-order inserts for each e-mail and address as well, which made
-- a million-row placement import write its pages over and over (5.5 GB written per 200,000 rows
-- against 1.2 GB without it). The partial index holds phones only; queries must name
-- kind = 'phone' literally for the planner to use it.
DROP INDEX contact_points_value;
CREATE INDEX contact_points_phone ON contact_points (tenant_id, value) WHERE kind = 'phone';
