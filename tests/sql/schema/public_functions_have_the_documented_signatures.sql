-- Parameter names are part of the contract (DBAs and scripts call with named notation):
-- each public function of the spec has exactly its documented parameters and result.
begin;
\ir ../_helpers.sql
select plan(8);

select is((select string_agg(pg_get_function_identity_arguments(p.oid) || ' -> ' || pg_get_function_result(p.oid), ' | ')
             from pg_proc p where p.pronamespace = 'flowstate'::regnamespace and p.proname = c.name),
          c.signature, format('flowstate.%s(%s)', c.name, c.signature))
  from (values
    -- Writes end with an optional request id (a retry returns the first call's result).
    ('flow_save_state', 'p_flow_id uuid, p_state jsonb, p_expected_version bigint, p_context jsonb, p_request_id uuid -> jsonb'),
    -- The spec's four parameters, plus an optional fifth (the caller's own id for the flow).
    ('flow_put_state', 'p_flow_id uuid, p_state jsonb, p_label text, p_context jsonb, p_external_id text, p_request_id uuid -> jsonb'),
    ('flow_load_state', 'p_flow_id uuid, p_context jsonb -> jsonb'),
    ('flow_transition_phase', 'p_flow_id uuid, p_new_phase text, p_expected_version bigint, p_context jsonb, p_request_id uuid -> jsonb'),
    ('flow_validate_state', 'p_state jsonb -> text[]'),
    ('flow_validate_phase_transition', 'p_state jsonb, p_new_phase text -> boolean'),
    ('flow_validate_all', ' -> TABLE(flow_id uuid, errors text[])'),
    -- Alerts name only their event and id; this gives the details to the flow's tenant.
    ('flow_alert', 'p_alert_id uuid, p_context jsonb -> jsonb')) as c(name, signature);

select * from finish();
rollback;
