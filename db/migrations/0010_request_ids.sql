-- Why: a write whose reply is lost (the connection cut after the commit) must be safe to
-- retry. Each write may carry a request id; the database remembers it with the call's result
-- in the same transaction as the change, and the same request id for the same flow returns
-- that result instead of applying the write again.
-- depends: 0007_domains

create table flowstate.request_ids (
  flow_id    uuid not null,
  request_id uuid not null,
  operation  text not null,
  generation bigint,
  result     jsonb,
  created_at timestamptz not null default now(),
  primary key (flow_id, request_id)
);
-- (lz4 for result, which holds a whole document after a recovery: db/functions/07_compression.sql.)
comment on table flowstate.request_ids is
'Request ids of writes and their results, so that a retried write (same flow, same request id) returns the first result instead of applying again. Kept request_ids_keep_hours; flowstate.flow_prune_request_ids removes older ones.';
comment on column flowstate.request_ids.operation is 'The function that wrote it (flow_save_state, ...): a request id names one call.';
comment on column flowstate.request_ids.generation is
'The generation of the flow the call wrote (flows.generation; NULL while the call runs, or when it left no flow): only a flow of that generation gets the result back, never a later flow with the same id.';
comment on column flowstate.request_ids.result is 'What the call returned, returned again to a retry (NULL only inside the call''s own transaction).';

insert into flowstate.settings (name, value, description) values
  ('request_ids_keep_hours', 24,
   'Hours a write''s request id is kept, so a retry within them returns the first result (flowstate.flow_prune_request_ids removes older ones).')
on conflict (name) do nothing;
