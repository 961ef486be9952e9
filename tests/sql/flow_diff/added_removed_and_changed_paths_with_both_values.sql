-- flow_diff lists what changed between two versions, one row per path: added (old_value
-- NULL), removed (new_value NULL) and changed, with both values; it descends into objects
-- both versions have, reports an object replaced by a scalar or an array whole, tells a key
-- set to JSON null (added, value null) from a missing one, includes phase changes, and works
-- whether the versions are stored as snapshots or as change records. Swapping the versions
-- swaps added and removed.
begin;
\ir ../_helpers.sql
select plan(7);

-- Change records even for these small states.
update flowstate.settings set value = 1 where name = 'audit_diff_min_bytes';
select gen_random_uuid() as flow_id \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data =>
         '{"keep": 1, "gone": "x", "nested": {"a": 1, "b": {"c": 2}}, "obj": {"k": 1}, "list": [1, 2]}'::jsonb || jsonb_build_object('pad', repeat('.', 400))),
         null, flowstate_tests.ctx()) is not null as v1 \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data =>
         '{"keep": 1, "nested": {"a": 2, "b": {"c": 2, "d": [1]}}, "obj": "scalar", "list": {"now": "object"}, "new": null}'::jsonb || jsonb_build_object('pad', repeat('.', 400))),
         1, flowstate_tests.ctx()) is not null as v2 \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 2, flowstate_tests.ctx()) is not null as v3 \gset

select is((select changes is not null from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2), true,
          'version 2 is stored as a change record');
select set_eq(
  format($$ select path, change, old_value, new_value from flowstate.flow_diff(%L, 1, 2, flowstate_tests.ctx()) $$, :'flow_id'),
  $$ values ('{state_data,gone}'::text[], 'removed', '"x"'::jsonb, null::jsonb),
            ('{state_data,nested,a}', 'changed', '1', '2'),
            ('{state_data,nested,b,d}', 'added', null, '[1]'),
            ('{state_data,new}', 'added', null, 'null'),
            ('{state_data,obj}', 'changed', '{"k": 1}', '"scalar"'),
            ('{state_data,list}', 'changed', '[1, 2]', '{"now": "object"}') $$,
  'every changed path of version 1 to 2, with both values');
select is(array(select path::text from flowstate.flow_diff(:'flow_id', 1, 2, flowstate_tests.ctx())),
          array(select p::text from unnest(array['{state_data,gone}', '{state_data,list}', '{state_data,nested,a}',
                                                 '{state_data,nested,b,d}', '{state_data,new}', '{state_data,obj}']::text[][]) p
                 order by p::text[]),
          'rows are ordered by path');
select set_eq(
  format($$ select path, change, old_value, new_value from flowstate.flow_diff(%L, 2, 1, flowstate_tests.ctx()) $$, :'flow_id'),
  $$ values ('{state_data,gone}'::text[], 'added', null::jsonb, '"x"'::jsonb),
            ('{state_data,nested,a}', 'changed', '2', '1'),
            ('{state_data,nested,b,d}', 'removed', '[1]', null),
            ('{state_data,new}', 'removed', 'null', null),
            ('{state_data,obj}', 'changed', '"scalar"', '{"k": 1}'),
            ('{state_data,list}', 'changed', '{"now": "object"}', '[1, 2]') $$,
  'backwards, added and removed swap');
select set_eq(
  format($$ select path, change, old_value, new_value from flowstate.flow_diff(%L, 2, 3, flowstate_tests.ctx()) $$, :'flow_id'),
  $$ values ('{current_phase}'::text[], 'changed', '"data_import"'::jsonb, '"field_mapping"'::jsonb),
            ('{phases_completed}', 'changed', '[]', '["data_import"]') $$,
  'a transition shows as its phase changes');
select is_empty(format($$ select from flowstate.flow_diff(%L, 2, 2, flowstate_tests.ctx()) $$, :'flow_id'),
                'a version against itself has no rows');
set local role flowstate_app;
select is((select count(*) from flowstate.flow_diff(:'flow_id', 1, 3, flowstate_tests.ctx())), 8::bigint,
          'the application role may call it (version 1 to 3: six state paths and two phase fields)');
reset role;

select * from finish();
rollback;
