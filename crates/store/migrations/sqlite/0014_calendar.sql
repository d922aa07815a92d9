-- The content calendar (plan §4.1): a session's format, the festival it belongs to (618, 双11…)
-- and its promotion policy, beside the theme and targets it already has.

ALTER TABLE live_sessions ADD COLUMN format TEXT NOT NULL DEFAULT 'showcase';
ALTER TABLE live_sessions ADD COLUMN festival TEXT;
ALTER TABLE live_sessions ADD COLUMN promotion_policy TEXT NOT NULL DEFAULT '';
CREATE INDEX live_sessions_host_time ON live_sessions (host_id, scheduled_start);
CREATE INDEX live_sessions_channel_time ON live_sessions (channel, scheduled_start);
-- Units of a product planned for one session, so the calendar can tell when the sessions ahead
-- promise more than the stock holds.
ALTER TABLE session_bag ADD COLUMN planned_units BIGINT;
