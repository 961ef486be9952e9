-- flow_validate_all returns one row per invalid stored flow with all its problems, and
-- nothing for valid flows. Stored flows turn invalid when a DBA edits them directly or
-- changes a graph under them (here: a phase removed from a custom type).
begin;
\ir ../_helpers.sql
select plan(5);

insert into flowstate.flow_types (flow_type, initial_phase) values ('review', 'draft');
insert into flowstate.phase_transitions values ('review', 'draft', 'proofread'), ('review', 'proofread', 'completed');
select flowstate_tests.make_flow(p_versions => 2, p_tenant => 1) as valid_1 \gset
select flowstate_tests.make_flow_at('completed', p_tenant => 2) as valid_2 \gset
select flowstate_tests.make_flow(p_tenant => 3) as edited \gset
select gen_random_uuid() as orphaned \gset
select flowstate.flow_save_state(:'orphaned', jsonb_build_object('flow_id', :'orphaned', 'flow_type', 'review',
                                 'current_phase', 'draft', 'phases_completed', '[]'::jsonb, 'state_data', '{}'::jsonb),
                                 null, flowstate_tests.ctx(4)) is not null as created \gset
select flowstate.flow_transition_phase(:'orphaned', 'proofread', 1, flowstate_tests.ctx(4)) is not null as moved \gset

-- A DBA's direct edit, and a DBA dropping the proofread step from the graph.
update flowstate.flows set current_phase = 'legacy_phase' where flow_id = :'edited';
delete from flowstate.phase_transitions where flow_type = 'review';
insert into flowstate.phase_transitions values ('review', 'draft', 'completed');

select set_eq(
  format($$ select flow_id from flowstate.flow_validate_all() where flow_id in (%L, %L, %L, %L) $$,
         :'valid_1', :'valid_2', :'edited', :'orphaned'),
  format($$ values (%L::uuid), (%L::uuid) $$, :'edited', :'orphaned'),
  'exactly the two invalid flows are listed, across tenants');
select ok((select errors::text ~ 'legacy_phase' from flowstate.flow_validate_all() where flow_id = :'edited'),
          'the edited flow''s errors name its unknown phase');
select ok((select errors::text ~ 'proofread' from flowstate.flow_validate_all() where flow_id = :'orphaned'),
          'the orphaned flow''s errors name the phase removed from the graph');
select is((select cardinality(errors) from flowstate.flow_validate_all() where flow_id = :'edited'),
          cardinality(flowstate._validation_errors(flowstate.flow_load_state(:'edited', null), 'discovery')),
          'all of a flow''s problems are listed');

set local role flowstate_admin;
select is((select count(*) from flowstate.flow_validate_all() where flow_id in (:'edited', :'orphaned')), 2::bigint,
          'a flowstate_admin member may run it');

select * from finish();
rollback;
