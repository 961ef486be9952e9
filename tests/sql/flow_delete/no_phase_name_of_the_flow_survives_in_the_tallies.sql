-- The tallies behind flow_counts keep one row per tenant, type, phase and status: a flow's
-- phase names are in them. A CrewAI flow steps through phases named after its methods (here
-- with a marker in them), beside a neighbour of the same tenant that stays; once the flow is
-- deleted, no tally row names any phase it went through, and the counts still equal counting
-- the flows.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate.flow_record_step(gen_random_uuid(), 'marker-9d1e-plan', '{"a": 1}', 'marker-9d1e-plan',
                                  flowstate_tests.ctx(81)) ->> 'flow_id' as flow_id \gset
select flowstate.flow_record_step(:'flow_id', 'marker-9d1e-research', '{"a": 2}', 'marker-9d1e-research', flowstate_tests.ctx(81), 1),
       flowstate.flow_record_step(:'flow_id', 'marker-9d1e-write', '{"a": 3}', 'marker-9d1e-write', flowstate_tests.ctx(81), 2);
select flowstate.flow_record_step(gen_random_uuid(), 'plan', '{"b": 1}', 'plan', flowstate_tests.ctx(81)) ->> 'flow_id' as neighbour \gset

create temporary view marked as
  select * from flowstate.flow_tallies t
   where t.client_account_id = (flowstate_tests.ctx(81) ->> 'client_account_id')::uuid and t.current_phase like 'marker-9d1e%';

select isnt_empty($$ select * from marked where flows > 0 $$, 'before: the flow''s phase is counted');
select flowstate.flow_delete(:'flow_id', 'erasure request', flowstate_tests.ctx(81)) is not null as deleted \gset
select is_empty($$ select * from marked $$, 'after: no tally names a phase the flow went through');
select results_eq(format($$ select * from flowstate.flow_counts(%L) $$, flowstate_tests.ctx(81)),
                  $$ values ('crewai'::text, 'plan'::text, 'running'::text, 1::bigint) $$,
                  'the neighbour is counted as before');
select ok(flowstate.flow_load_state(:'neighbour', flowstate_tests.ctx(81)) is not null, 'and is untouched');

select * from finish();
rollback;
