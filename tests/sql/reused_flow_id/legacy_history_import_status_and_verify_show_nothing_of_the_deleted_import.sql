-- The legacy rows and the migration ledger of an imported flow belong to that flow. Once a
-- DBA deleted it and a new flow took its id (here in the same tenant, which can read the
-- ledger): the new flow has no legacy history, import status does not report the id as
-- imported, verify says what happened, and importing the same content again is a conflict
-- (FS005) that changes nothing, never "already migrated".
begin;
\ir ../_helpers.sql
\ir _reused_id.sql
select plan(7);

select * from flowstate_tests.reuse_flow_id(p_b_tenant => 1) \gset
select flowstate_tests.everything_of(:'flow_id') as before \gset
set local role flowstate_app;
select is_empty(format($$ select * from flowstate.flow_legacy_history(%L, flowstate_tests.ctx_b(1)) $$, :'flow_id'),
                'the new flow has no legacy history');
select is_empty(format($$ select * from flowstate.flow_import_status(array[%L], flowstate_tests.ctx_b(1)) $$, :'flow_id'),
                'import status does not report its id as imported');
select is((select problems from flowstate.flow_import_verify(array[:'flow_id'], flowstate_tests.ctx_b(1))),
          array['The imported flow was deleted; its id now holds another flow.'], 'verify says the imported flow is gone');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_import_legacy(%L, '{1,2}', '{start,work}', '{t1,t2}',
            '{"{\"secret\": \"A legacy 1\"}","{\"secret\": \"A legacy 2\"}"}', '{"fingerprint": "a"}', flowstate_tests.ctx_b(1),
            p_pending => '{"legacy_id": 3, "context_json": "{\"message\": \"A asks\"}", "state_json": "{}", "created_at": "t3"}') $$,
            :'flow_id')) ->> 'sqlstate',
          'FS005', 'importing the same content again is a conflict');
reset role;
select is(flowstate_tests.everything_of(:'flow_id'), :'before', 'that changed nothing');

-- Another tenant's new flow under the id: nothing either; and A, whose flow is gone, reads
-- no legacy history of a missing flow.
select * from flowstate_tests.reuse_flow_id() \gset
set local role flowstate_app;
select is_empty(format($$ select * from flowstate.flow_legacy_history(%L, flowstate_tests.ctx_b()) $$, :'flow_id'),
                'another tenant''s new flow has no legacy history');
select is_empty(format($$ select * from flowstate.flow_legacy_history(%L, flowstate_tests.ctx()) $$, :'flow_id'),
                'and A reads none for its deleted flow');
reset role;

select * from finish();
rollback;
