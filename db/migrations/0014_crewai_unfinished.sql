-- Why: the CrewAI backend marks finished flows (metadata.crewai_finished) and operators ask
-- for one class's unfinished flows, a few among many finished ones; walking a tenant's flows
-- to filter them would read them all. Only unfinished CrewAI flows have an entry here.
-- depends: 0013_overview_tallies

-- flow_search checks each metadata key as its own containment, so the clause
-- metadata @> '{"crewai_finished": false}' matches this predicate and a page walks this index.
create index flows_crewai_unfinished_idx on flowstate.flows (client_account_id, engagement_id, updated_at, flow_id)
  where metadata @> '{"crewai_finished": false}';
