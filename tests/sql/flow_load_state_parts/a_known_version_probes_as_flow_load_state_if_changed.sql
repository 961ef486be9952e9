-- With p_known_version, flow_load_state_parts answers as flow_load_state_if_changed, in parts:
-- the current version gives ({"flow_version": v, "unchanged": true}, NULL), another version
-- the whole document in its two parts, a missing or foreign flow no row.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
set local role flowstate_app;

select is((select to_jsonb(p) from flowstate.flow_load_state_parts(:'flow_id', flowstate_tests.ctx(), p_known_version => 3) p),
          jsonb_build_object('document', flowstate.flow_load_state_if_changed(:'flow_id', 3, flowstate_tests.ctx()), 'state_data', null),
          'the current version: flow_load_state_if_changed''s unchanged answer, without state_data');
select is((select document || jsonb_build_object('state_data', state_data)
             from flowstate.flow_load_state_parts(:'flow_id', flowstate_tests.ctx(), p_known_version => 2)),
          flowstate.flow_load_state_if_changed(:'flow_id', 2, flowstate_tests.ctx()),
          'another version: the whole document, in two parts');
select is((select document ->> 'unchanged' from flowstate.flow_load_state_parts(:'flow_id', flowstate_tests.ctx(), null)), null,
          'no known version: the document');
select is_empty(format($$ select * from flowstate.flow_load_state_parts(%L, flowstate_tests.ctx(), 1) $$, :'theirs'),
                'another tenant''s flow gives no row, whatever the version');

select * from finish();
rollback;
