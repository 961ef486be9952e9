-- Why: CrewAI and migrated flows are named by any string, not always a UUID. The string maps
-- to a flow id deterministically (flowstate.flow_id_for) and stays findable here.
-- depends: 0002_checkpoints_recovery

alter table flowstate.flows add column external_id text;
comment on column flowstate.flows.external_id is
'The id the flow had outside pgflowstate (a CrewAI flow_uuid of any spelling); flowstate.flow_id_for maps it to flow_id.';
create index flows_external_id_idx on flowstate.flows (client_account_id, engagement_id, external_id)
  where external_id is not null;
