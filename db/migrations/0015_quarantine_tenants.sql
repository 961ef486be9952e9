-- Why: the inspector's overview (flow_activity) counts the caller's quarantined documents, but
-- a quarantine row did not say whose it was: every call read every tenant's quarantined
-- documents and joined each to its flow (12 ms for a tenant among 5,000 other tenants'
-- documents). A quarantined document now carries its flow's tenant, indexed for that count.
-- depends: 0014_crewai_unfinished

alter table flowstate.quarantine add column client_account_id uuid, add column engagement_id uuid;
comment on column flowstate.quarantine.client_account_id is
'The tenant of the flow the document was archived from (a flow''s tenant never changes). NULL only for a document whose flow was gone before 0015.';
comment on column flowstate.quarantine.engagement_id is 'See client_account_id.';

-- A flow's tenant, for every document of a flow still there: past the append-only guard,
-- which stays on for everyone else, as 0009 did.
set local session_replication_role = replica;
update flowstate.quarantine q
   set client_account_id = f.client_account_id, engagement_id = f.engagement_id
  from flowstate.flows f
 where f.flow_id = q.flow_id;
set local session_replication_role = origin;

create index quarantine_tenant_idx on flowstate.quarantine (client_account_id, engagement_id, archived_at);
