-- Two writers in one tally slot must not wait on each other in a cycle: every write that
-- counts itself locks its tenant's activity row before its flow tallies. A save that changes
-- the phase, a transition, a CrewAI step, a creation and a DBA's direct update each touch the
-- tallies only after the activity row (row triggers record the order).
begin;
\ir ../_helpers.sql
select plan(5);

create temporary table touched (n serial, write text, tab text);
grant all on touched to public;
grant all on sequence touched_n_seq to public;
create function pg_temp.touched() returns trigger language plpgsql as $$
begin
  insert into touched (write, tab) values (current_setting('test.write', true), tg_table_name);
  return new;
end;
$$;
create trigger zz_touched before insert or update on flowstate.activity_tallies for each row execute function pg_temp.touched();
create trigger zz_touched before insert or update on flowstate.flow_tallies for each row execute function pg_temp.touched();
-- For each write: whether it touched both, and no activity row after a tally.
create function pg_temp.activity_first(p_write text) returns boolean language sql as $$
  select count(*) filter (where tab = 'activity_tallies') > 0 and count(*) filter (where tab = 'flow_tallies') > 0
         and max(n) filter (where tab = 'activity_tallies') < min(n) filter (where tab = 'flow_tallies')
    from touched where write = p_write
$$;

select set_config('test.write', 'creation', true);
select flowstate_tests.make_flow(p_tenant => 91) as id \gset
select set_config('test.write', 'save', true);
select flowstate.flow_save_state(:'id', flowstate_tests.doc(:'id', 'field_mapping', '{data_import}'), 1, flowstate_tests.ctx(91)) is not null;
select set_config('test.write', 'transition', true);
select flowstate.flow_transition_phase(:'id', 'data_cleansing', 2, flowstate_tests.ctx(91)) is not null;
select set_config('test.write', 'first step', true);
select flowstate.flow_record_step(gen_random_uuid(), 'plan', '{}', 'plan', flowstate_tests.ctx(91)) ->> 'flow_id' as step \gset
select set_config('test.write', 'step', true);
select flowstate.flow_record_step(:'step', 'write', '{}', 'write', flowstate_tests.ctx(91), 1) is not null;
select set_config('test.write', 'direct', true);
update flowstate.flows set status = 'paused' where flow_id = :'id';

select ok(pg_temp.activity_first('creation'), 'a creation counts its activity, then its tally');
select ok(pg_temp.activity_first('save'), 'a save that changes the phase: activity, then tallies');
select ok(pg_temp.activity_first('transition'), 'a transition: activity, then tallies');
select ok(pg_temp.activity_first('step'), 'a CrewAI step: activity, then tallies');
select ok(pg_temp.activity_first('direct'), 'a DBA''s direct update: activity, then tallies');

select * from finish();
rollback;
