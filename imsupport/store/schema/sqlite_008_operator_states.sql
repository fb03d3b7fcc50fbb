-- Operators' online and AFK time (R-STAT-2) reads each operator's
-- 'operator.state' events from the outbox by time: this index finds them
-- without a scan of the whole outbox, which is never pruned. The expression
-- and the WHERE are the ones store/sqlhooks.operatorStates queries with.

CREATE INDEX outbox_operator_state ON outbox (json_extract(data, '$.operator'), at, seq)
WHERE type = 'operator.state';
