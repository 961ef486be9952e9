-- Parameter names are part of the contract (DBAs and scripts call with named notation):
-- each public function of the spec has exactly its documented parameters and result.
begin;
\ir ../_helpers.sql
select plan(16);

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
    ('flow_alert', 'p_alert_id uuid, p_context jsonb -> jsonb'),
    ('flow_search', 'p_filter jsonb, p_context jsonb, p_after text, p_limit integer -> jsonb'),
    ('flow_counts', 'p_context jsonb -> TABLE(flow_type text, current_phase text, status text, flows bigint)'),
    ('flow_activity', 'p_context jsonb, p_since timestamp with time zone, p_bucket interval -> jsonb'),
    ('flow_fork', 'p_flow_id uuid, p_version bigint, p_new_flow_id uuid, p_context jsonb -> jsonb'),
    ('flow_delete', 'p_flow_id uuid, p_reason text, p_context jsonb -> jsonb'),
    ('flow_erase_tenant', 'p_client_account_id uuid, p_engagement_id uuid, p_reason text, p_limit integer -> jsonb'),
    ('flow_retention_run', 'p_limit integer, p_dry_run boolean -> jsonb'),
    ('flow_retention_policies', ' -> jsonb')) as c(name, signature);

select * from finish();
rollback;
