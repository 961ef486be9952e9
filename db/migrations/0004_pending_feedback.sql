-- Why: CrewAI flows can pause for human feedback; the pause (its context) is kept beside the
-- flow's state so a later process can resume it. One row per paused flow.
-- depends: 0003_external_ids

create table flowstate.pending_feedback (
  flow_id    uuid primary key references flowstate.flows on delete cascade,
  feedback   jsonb not null check (jsonb_typeof(feedback) = 'object'),
  created_by uuid,
  created_at timestamptz not null default now()
);
comment on table flowstate.pending_feedback is
'Flows paused for human feedback (CrewAI''s PendingFeedbackContext as JSON); written with the state in one call.';
