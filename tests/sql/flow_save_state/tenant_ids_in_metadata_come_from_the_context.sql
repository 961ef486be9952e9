-- Tenant ids in metadata are the context's, whatever the document says (a caller cannot
-- write into, or move a flow to, another tenant); other metadata keys are kept as sent.
begin;
\ir ../_helpers.sql
select plan(9);

select gen_random_uuid() as flow_id \gset
select flowstate_tests.ctx(2, 2) || '{"source": "crew", "tags": ["a", "b"], "nested": {"k": 1}}' as forged \gset
set local role flowstate_app;

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id') || jsonb_build_object('metadata', :'forged'::jsonb),
                                 null, flowstate_tests.ctx(1, 7)) -> 'metadata' as created \gset
select is(:'created'::jsonb - '{source,tags,nested}'::text[], flowstate_tests.ctx(1, 7),
          'on create, the tenant ids and the user are the context''s');
select is(:'created'::jsonb - '{client_account_id,engagement_id,user_id}'::text[],
          '{"source": "crew", "tags": ["a", "b"], "nested": {"k": 1}}'::jsonb, 'the other metadata keys are kept');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx(2, 2)), null::jsonb,
          'the flow is not visible to the tenant named in the document');

select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id') || jsonb_build_object('metadata', :'forged'::jsonb),
                                 1, flowstate_tests.ctx(1, 8)) -> 'metadata' as saved \gset
select is(:'saved'::jsonb ->> 'client_account_id', flowstate_tests.ctx(1) ->> 'client_account_id',
          'on update, client_account_id stays the context''s');
select is(:'saved'::jsonb ->> 'engagement_id', flowstate_tests.ctx(1) ->> 'engagement_id',
          'on update, engagement_id stays the context''s');
select is(:'saved'::jsonb ->> 'user_id', flowstate_tests.ctx(1, 7) ->> 'user_id',
          'user_id stays the creator''s (flows.user_id), not the forged one');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx(1)) -> 'metadata', :'saved'::jsonb,
          'the stored metadata is the returned one');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx(2, 2)), null::jsonb,
          'the flow still belongs to its own tenant');

select throws_ok(
  format($$ select flowstate.flow_save_state(%L, %L, 2, flowstate_tests.ctx()) $$, :'flow_id',
         flowstate_tests.doc(:'flow_id') || '{"metadata": {"client_account_id": "acme"}}'),
  'FS001', null, 'a malformed tenant id in metadata is FS001');

select * from finish();
rollback;
