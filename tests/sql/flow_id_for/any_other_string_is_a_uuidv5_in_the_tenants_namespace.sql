-- Any other string (another spelling of a UUID included) maps to UUIDv5(namespace of the
-- tenant, string), the tenant's namespace being UUIDv5(6f1c2a4e-8d3b-4c7a-9e5f-0b2d4a6c8e10,
-- "<client_account_id>/<engagement_id>"): deterministic, case-sensitive, per tenant, the
-- same whichever user asks. Expected ids computed with Python's uuid.uuid5.
begin;
\ir ../_helpers.sql
select plan(7);

set local role flowstate_app;
select is(flowstate.flow_id_for('run-1', flowstate_tests.ctx(1)), '268b9d7f-a8ae-59d2-a5f3-96023e95e39c'::uuid,
          'a plain string maps to the RFC 4122 UUIDv5 in the tenant''s namespace');
select is(flowstate.flow_id_for('run-1', flowstate_tests.ctx(2)), 'c713a382-635f-5cba-a5d9-bb60124307a2'::uuid,
          'another tenant''s "run-1" is another flow');
select is(flowstate.flow_id_for('7F27ADE4-0D8E-4C8E-9C55-1F2B3C4D5E6F', flowstate_tests.ctx(1)), 'b74f95d5-e9da-5727-aab0-8a228f6ce59f'::uuid,
          'an upper-case UUID is another string, so another flow than its lower-case spelling (as to CrewAI)');
select is(flowstate.flow_id_for('', flowstate_tests.ctx(1)), 'e4b59447-d25a-5246-98e6-20cf2dcbcb70'::uuid, 'so is the empty string');
select is(flowstate.flow_id_for('run-1', flowstate_tests.ctx(1, 2)), flowstate.flow_id_for('run-1', flowstate_tests.ctx(1, 1)),
          'the user does not matter, only the tenant');
select is(flowstate.flow_id_for('run-1', jsonb_build_object('client_account_id', upper(flowstate_tests.ctx(1) ->> 'client_account_id'),
                                                            'engagement_id', upper(flowstate_tests.ctx(1) ->> 'engagement_id'),
                                                            'user_id', flowstate_tests.ctx(1) ->> 'user_id')),
          '268b9d7f-a8ae-59d2-a5f3-96023e95e39c'::uuid, 'the tenant''s ids are read case-insensitively');
select isnt(flowstate.flow_id_for('run-1', flowstate_tests.ctx(1) || jsonb_build_object('engagement_id', flowstate_tests.ctx(2) ->> 'engagement_id')),
            flowstate.flow_id_for('run-1', flowstate_tests.ctx(1)), 'another engagement of the same client is another namespace');
reset role;

select * from finish();
rollback;
