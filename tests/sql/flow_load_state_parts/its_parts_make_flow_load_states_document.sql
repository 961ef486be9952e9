-- flow_load_state_parts returns flow_load_state's document in two parts: the document
-- without state_data, and state_data, which put back into it give exactly that document, for
-- every shape of document (checkpoints, a failed phase, a fork's lineage).
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow(p_versions => 3) as plain \gset
select flowstate.flow_create_checkpoint(:'plain', null, 'before mapping', flowstate_tests.ctx()) is not null as checkpointed \gset
select flowstate_tests.make_flow_at('failed') as failed \gset
select flowstate.flow_fork(:'plain', 2, null, flowstate_tests.ctx()) ->> 'flow_id' as fork \gset
set local role flowstate_app;

select is((select count(*) from flowstate.flow_load_state_parts(f.id, flowstate_tests.ctx())), 1::bigint,
          format('one row for the %s flow', f.name))
  from (values ('plain', :'plain'::uuid), ('failed', :'failed'), ('forked', :'fork')) as f(name, id);
select is_empty(format($$
  select f.id from unnest(array[%L, %L, %L]::uuid[]) f(id),
         flowstate.flow_load_state_parts(f.id, flowstate_tests.ctx()) p
   where p.document || jsonb_build_object('state_data', p.state_data)
         is distinct from flowstate.flow_load_state(f.id, flowstate_tests.ctx()) $$, :'plain', :'failed', :'fork'),
  'document with state_data put in is flow_load_state''s document, for each of them');
select ok(not exists (select from unnest(array[:'plain', :'failed', :'fork']::uuid[]) f(id),
                             flowstate.flow_load_state_parts(f.id, flowstate_tests.ctx()) p
                       where p.document ? 'state_data'),
          'the document part has no state_data');
select is((select state_data from flowstate.flow_load_state_parts(p_flow_id => :'plain', p_context => flowstate_tests.ctx())),
          '{"step": 2}'::jsonb, 'state_data is the one stored (named notation works)');

select * from finish();
rollback;
