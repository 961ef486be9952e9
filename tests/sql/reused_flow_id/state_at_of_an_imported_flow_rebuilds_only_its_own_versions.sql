-- A flow imported (operation import, not create) under an id a deleted flow used rebuilds
-- from its own trail only: the deleted flow's later versions are not its own.
begin;
\ir ../_helpers.sql
select plan(3);

select flowstate.flow_id_for('run-1', flowstate_tests.ctx()) as flow_id \gset
select flowstate_tests.make_flow_with_id(:'flow_id') is not null as created \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"old": 2}'), 1, flowstate_tests.ctx())
         is not null as saved \gset
delete from flowstate.flows where flow_id = :'flow_id';
set local role flowstate_app;
select flowstate.flow_import_legacy('run-1', '{1}', '{start}', '{t}', '{"{\"new\": 1}"}', '{"fingerprint": "f"}',
                                    flowstate_tests.ctx()) ->> 'status' as status \gset

select is(flowstate.flow_state_at(:'flow_id', 1, flowstate_tests.ctx()), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()),
          'version 1 is the imported flow''s');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()), null, 'version 2 belonged to the deleted flow: NULL');
select is_empty(format($$ select * from flowstate.flow_diff(%L, 1, 2, flowstate_tests.ctx()) $$, :'flow_id'),
                'and no diff reaches it');
reset role;

select * from finish();
rollback;
