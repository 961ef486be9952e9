-- The quarantined filter: true lists the caller's flows with a quarantined document of their
-- current generation, false the others. Another tenant's quarantined flow is never listed, a
-- quarantine left by an earlier life of the id does not count, and a non-boolean is FS001.
begin;
\ir ../_helpers.sql
\ir ../_lifecycle.sql
select plan(7);

select flowstate_tests.make_flow(p_tenant => 1) as quarantined, flowstate_tests.make_flow(p_tenant => 1) as clean,
       flowstate_tests.make_flow(p_tenant => 1) as earlier_life, flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
update flowstate.flows set current_phase = 'no_such_phase' where flow_id in (:'quarantined', :'earlier_life', :'theirs');
select flowstate.flow_handle_corrupted(:'quarantined', flowstate_tests.ctx(1)) is not null as done \gset
select flowstate.flow_handle_corrupted(:'earlier_life', flowstate_tests.ctx(1)) is not null as done \gset
select flowstate.flow_handle_corrupted(:'theirs', flowstate_tests.ctx(2)) is not null as done \gset
-- As if a DBA had deleted the flow and the id lived again: its quarantine is of a past life.
set local session_replication_role = replica;  -- past the append-only trigger
update flowstate.quarantine set generation = generation - 1 where flow_id = :'earlier_life';
set local session_replication_role = origin;

create function pg_temp.ids(p_filter jsonb, p_context jsonb) returns uuid[] language sql as $$
  select coalesce(array_agg((d ->> 'flow_id')::uuid order by d ->> 'flow_id'), '{}')
    from jsonb_array_elements(flowstate.flow_search(p_filter, p_context) -> 'flows') d
$$;
grant execute on function pg_temp.ids(jsonb, jsonb) to flowstate_app, flowstate_admin;

set local role flowstate_app;
select is(pg_temp.ids('{"quarantined": true}', flowstate_tests.ctx(1)), array[:'quarantined']::uuid[],
          'true: the tenant''s flow quarantined in its current life, not the other tenant''s');
select is(pg_temp.ids('{"quarantined": false}', flowstate_tests.ctx(1)),
          (select array_agg(x order by x::text) from unnest(array[:'clean', :'earlier_life']::uuid[]) x),
          'false: the clean flow and the one whose quarantine is of an earlier life');
select is(pg_temp.ids('{"quarantined": true}', flowstate_tests.ctx(2)), array[:'theirs']::uuid[],
          'the other tenant finds only its own');
select is(pg_temp.ids('{"quarantined": true, "status": "failed"}', flowstate_tests.ctx(1)), '{}'::uuid[],
          'combined with other filters by AND');
select is(pg_temp.ids('{"quarantined": null}', flowstate_tests.ctx(1)),
          (select array_agg(x order by x::text) from unnest(array[:'quarantined', :'clean', :'earlier_life']::uuid[]) x),
          'a null value filters nothing');
select is(flowstate_tests.error_of($$ select flowstate.flow_search('{"quarantined": "yes"}', flowstate_tests.ctx(1)) $$),
          '{"sqlstate": "FS001", "detail": {"errors": ["Filter quarantined must be true or false."]}}', 'a non-boolean is FS001');
reset role;

set local role flowstate_admin;
select ok(pg_temp.ids('{"quarantined": true}', null) @> array[:'quarantined', :'theirs']::uuid[]
          and not pg_temp.ids('{"quarantined": true}', null) && array[:'clean', :'earlier_life']::uuid[],
          'an admin''s NULL context finds every tenant''s quarantined flows');
reset role;

select * from finish();
rollback;
