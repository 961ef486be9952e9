-- A save accepts exactly the documents flow_validate_state accepts (that name this flow and
-- keep its type): the fast path taken by ordinary saves must never let through a document the
-- full validation refuses, nor refuse a valid one. Each field of a valid, loaded-looking
-- document is in turn removed or replaced by awkward values, and each variant is saved.
begin;
\ir ../_helpers.sql
select plan(4);

create temporary table variant (n serial, flow_id uuid default gen_random_uuid(), doc jsonb, expected boolean, outcome jsonb)
  on commit drop;
grant all on variant to flowstate_app;
select flowstate_tests.doc('11111111-1111-4111-8111-111111111111') || jsonb_build_object(
         'flow_type', 'discovery', 'flow_version', 1, 'status', 'running', 'created_at', '2026-01-31T12:00:00Z',
         'updated_at', '2026-01-31T12:00:00Z', 'checkpoints', '[]'::jsonb, 'metadata', flowstate_tests.ctx()) as base \gset
with field(k) as (
  select unnest(array['flow_id', 'flow_type', 'flow_version', 'current_phase', 'phases_completed', 'status', 'failed_phase',
                      'created_at', 'updated_at', 'checkpoints', 'state_data', 'metadata', 'extra'])
), value(v) as (
  select unnest(array['null', 'true', '0', '-1', '1', '1.5', '2', '1e3', '""', '"x"', '"completed"', '"failed"', '"paused"',
    '"running"', '"data_import"', '"discovery"', '"crewai"', '"00000000-0000-4000-a000-000000000001"',
    '"00000000-0000-4000-A000-000000000001"', '"000000000000-4000-a000-000000000001"', '"2026-01-31T12:00:00Z"',
    '"2026-01-31 12:00:00+05:30"', '"2026-01-31T12:00:00"', '"2026-02-30T12:00:00Z"', '"2026-01-31T24:00:00Z"',
    '[]', '["data_import"]', '["field_mapping"]', '[1]', '[""]', '["completed"]', '[{}]', '[[]]', '[{"id": 1}]', '{}',
    '{"a": 1}', '{"client_account_id": "x"}', '{"user_id": "00000000-0000-4000-c000-000000000009"}', '{"note": null}']::jsonb[])
)
insert into variant (doc)
select :'base'::jsonb || jsonb_build_object(field.k, value.v) from field, value
union all
select :'base'::jsonb - field.k from field;
-- Each variant names its own flow (unless flow_id is the field being varied).
update variant set doc = jsonb_set(doc, '{flow_id}', to_jsonb(flow_id::text))
 where doc ->> 'flow_id' = '11111111-1111-4111-8111-111111111111';
update variant set expected = cardinality(flowstate.flow_validate_state(doc)) = 0
                          and coalesce(doc ->> 'flow_type', 'discovery') = 'discovery'
                          and lower(doc ->> 'flow_id') = flow_id::text;

-- One discovery flow per variant at data_import, version 1; then the variant is saved over it.
select count(flowstate_tests.make_flow_with_id(flow_id)) as made from variant \gset
set local role flowstate_app;
update variant set outcome = flowstate_tests.outcome_of(format(
  $$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, flow_id, doc));
reset role;

select cmp_ok((select count(*)::int from variant where expected), '>=', 30, 'many variants are valid');
select cmp_ok((select count(*)::int from variant where not expected), '>=', 300, 'many are not');
select is_empty($$ select n, doc, outcome from variant where not expected and outcome ->> 'sqlstate' = '00000' $$,
                'no document that validation refuses is saved');
select is_empty($$ select n, doc, outcome from variant where expected and outcome ->> 'sqlstate' <> '00000' $$,
                'every document that validation accepts is saved');

select * from finish();
rollback;
