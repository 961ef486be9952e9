-- A save that changes phases (the path every CrewAI step takes) refuses exactly the documents
-- full validation refuses, with its errors, and lets every other document through to the
-- phase rules: the quick test that spares valid documents the full validation must agree
-- with it. Phase names over the limit, repeated completed phases, unknown phases of a closed
-- type and any names of an open type are saved over a closed and an open flow.
begin;
\ir ../_helpers.sql
select plan(5);

create temporary table variant (n serial, flow_id uuid default gen_random_uuid(), flow_type text, doc jsonb,
                                expected text[], outcome jsonb)
  on commit drop;
grant all on variant to flowstate_app;
with phase(p) as (
  select unnest(array['data_import', 'field_mapping', 'plan', 'research', 'failed', 'not_a_phase',
                      repeat('x', 200), repeat('x', 201), repeat('é', 100), repeat('é', 101)])
), completed(c) as (
  select unnest(array['[]', '["data_import"]', '["plan"]', '["data_import", "field_mapping"]',
                      '["data_import", "data_import"]', '["plan", "plan"]', '["a", "plan"]',
                      format('[%s]', to_jsonb(repeat('x', 201))), format('["plan", %s]', to_jsonb(repeat('x', 200)))]::jsonb[])
), kind(flow_type, sent_type) as (
  values ('discovery', null), ('discovery', 'discovery'), ('crewai', null), ('crewai', 'crewai'), ('crewai', 'not_a_type')
)
insert into variant (flow_type, doc)
select kind.flow_type,
       jsonb_build_object('flow_id', '00000000-0000-4000-8000-000000000000', 'current_phase', phase.p,
                          'phases_completed', completed.c, 'state_data', '{"step": 1}'::jsonb)
       || case when kind.sent_type is null then '{}'::jsonb else jsonb_build_object('flow_type', kind.sent_type) end
  from phase, completed, kind;
update variant set doc = jsonb_set(doc, '{flow_id}', to_jsonb(flow_id::text)),
                   expected = flowstate._validation_errors(doc, flow_type, p_walk => false);

-- One flow per variant: discovery at data_import, crewai at plan; version 1.
select count(flowstate.flow_save_state(v.flow_id,
         jsonb_build_object('flow_id', v.flow_id, 'flow_type', v.flow_type,
                            'current_phase', case v.flow_type when 'discovery' then 'data_import' else 'plan' end,
                            'phases_completed', '[]'::jsonb, 'state_data', '{"step": 0}'::jsonb),
         null, flowstate_tests.ctx())) as made
  from variant v \gset
set local role flowstate_app;
update variant set outcome = flowstate_tests.outcome_of(format(
  $$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, flow_id, doc));
reset role;

select cmp_ok((select count(*)::int from variant where cardinality(expected) = 0 and outcome ->> 'sqlstate' = '00000'),
              '>=', 10, 'many variants are saved');
select cmp_ok((select count(*)::int from variant where cardinality(expected) > 0), '>=', 100, 'many are invalid');
select is_empty($$ select n, doc, expected, outcome from variant
                    where cardinality(expected) > 0
                      and (outcome ->> 'sqlstate' <> 'FS001'
                           or array(select jsonb_array_elements_text(outcome -> 'detail' -> 'errors')) <> expected) $$,
                'every document validation refuses is refused with its errors');
select is_empty($$ select n, doc, outcome from variant where cardinality(expected) = 0 and outcome ->> 'sqlstate' = 'FS001' $$,
                'no document validation accepts is refused as invalid');
select is_empty($$ select v.n from variant v join flowstate.flows f using (flow_id)
                    where (f.flow_version > 1) is distinct from (v.outcome ->> 'sqlstate' = '00000') $$,
                'exactly the saved variants wrote a version');

select * from finish();
rollback;
