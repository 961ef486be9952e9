-- A document larger than flowstate.settings max_document_bytes (jsonb size) is FS001 at
-- once, with that one error whatever else is wrong; exactly the limit is accepted.
-- The limit is lowered inside this test's transaction, as a DBA would with an UPDATE.
begin;
\ir ../_helpers.sql
select plan(8);

select flowstate_tests.make_flow() as flow_id \gset
select flowstate_tests.doc(:'flow_id', p_state_data => jsonb_build_object('blob', repeat('x', 5000))) as big \gset
select pg_column_size(:'big'::jsonb) as size \gset

update flowstate.settings set value = :size where name = 'max_document_bytes';
set local role flowstate_app;
select is((flowstate.flow_save_state(:'flow_id', :'big', 1, flowstate_tests.ctx()) ->> 'flow_version')::int, 2,
          'a document of exactly max_document_bytes is accepted');
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset
reset role;

update flowstate.settings set value = :size - 1 where name = 'max_document_bytes';
set local role flowstate_app;
select flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$,
                                       :'flow_id', :'big')) as e \gset
select is(:'e'::jsonb ->> 'sqlstate', 'FS001', 'one byte over the limit is FS001');
select ok(:'e'::jsonb -> 'detail' ->> 'errors' ~ 'max_document_bytes', 'the error names the setting');
select is(jsonb_array_length(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$, :'flow_id',
                   :'big'::jsonb || '{"bogus": 1, "current_phase": 7}')) -> 'detail' -> 'errors'),
          1, 'an oversized document gets that one error, before any other check');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_put_state(%L, %L, 'big', flowstate_tests.ctx()) $$,
                                          :'flow_id', :'big')) ->> 'sqlstate',
          'FS001', 'a put is held to the same limit');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version', :'before'::jsonb ->> 'flow_version',
          'the stored flow is still at version 2');
select ok(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) = :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 2::bigint, 'no audit row was written');

select * from finish();
rollback;
