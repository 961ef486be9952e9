-- A request id names one call: used again for another operation on the same flow, it is
-- refused (FS001, naming the request id) and nothing changes.
begin;
\ir ../_helpers.sql
\ir _footprint.sql
select plan(3);

select flowstate_tests.make_flow() as id \gset
select gen_random_uuid() as request \gset
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', p_state_data => '{"n": 1}'), 1, flowstate_tests.ctx(), :'request')
  is not null as ok \gset
select pg_temp.footprint(array[:'id'::uuid]) as before \gset

select flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'field_mapping', null, flowstate_tests.ctx(), %L) $$,
                                         :'id', :'request')) as refused \gset
select is(:'refused'::jsonb ->> 'sqlstate', 'FS001', 'the same request id for a transition is FS001');
select is(:'refused'::jsonb #>> '{detail,request_id}', :'request', 'DETAIL names the request id');
select is(pg_temp.footprint(array[:'id'::uuid]), :'before'::jsonb, 'nothing changed');

select * from finish();
rollback;
