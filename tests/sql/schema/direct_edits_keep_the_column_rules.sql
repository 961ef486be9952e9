-- The rules on single columns are domains (read once per session, not re-read from their
-- stored text on every statement as table CHECK constraints are); the rules tying columns
-- together are table constraints. Either way a DBA's direct edit that breaks one is refused
-- (check_violation) and changes nothing.
begin;
\ir ../_helpers.sql
select plan(10);

select flowstate_tests.make_flow() as flow_id \gset
create temp table before as select * from flowstate.flows where flow_id = :'flow_id';
select flowstate_tests.audit_count(:'flow_id') as audit_rows \gset

select throws_ok(format($$ update flowstate.flows set status = 'bogus' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'status must be one of the five');
select throws_ok(format($$ update flowstate.flows set current_phase = '' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'a phase name is not empty');
select throws_ok(format($$ update flowstate.flows set state_data = '[]' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'state_data is an object');
select throws_ok(format($$ update flowstate.flows set metadata = '1' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'metadata is an object');
select throws_ok(format($$ update flowstate.flows set checkpoints = '{}' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'checkpoints is an array');
select throws_ok(format($$ update flowstate.flows set current_phase = 'failed' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'a failed flow names its failed phase and has status failed');
select throws_ok(format($$ update flowstate.flows set status = 'completed' where flow_id = %L $$, :'flow_id'),
                 '23514', null, 'status completed needs phase completed');
select throws_ok(format($$ insert into flowstate.audit_log (flow_id, operation, new_version, actor_role)
                           values (%L, 'bogus', 1, 'dba') $$, :'flow_id'),
                 '23514', null, 'an audit row''s operation is one of the known ones');

select results_eq(format($$ select to_jsonb(f) from flowstate.flows f where flow_id = %L $$, :'flow_id'),
                  $$ select to_jsonb(b) from before b $$, 'the flow is unchanged');
select is(flowstate_tests.audit_count(:'flow_id'), :'audit_rows'::bigint, 'and no audit row was added');

select * from finish();
rollback;
