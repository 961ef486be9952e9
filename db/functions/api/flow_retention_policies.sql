-- flowstate.flow_retention_policies
-- The retention policies (flowstate.retention_policies) as DBAs wrote them, and the rule in
-- force for each flow type (its own rules, else the default ones), so a tool can show what
-- flow_retention_run will do without reading tables. Admins only. Returns {policies:
-- [{flow_type (null: the default), action, after (interval text), after_seconds,
-- description}], rules: [{flow_type, action, after, after_seconds, is_default}]}. Raises FS001
-- (not an admin).
create or replace function flowstate.flow_retention_policies()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform flowstate._context(null);  -- raises FS001 unless the caller is an admin
  return jsonb_build_object(
    'policies', coalesce((select jsonb_agg(jsonb_build_object(
                            'flow_type', p.flow_type, 'action', p.action, 'after', p.after::text,
                            'after_seconds', extract(epoch from p.after)::bigint, 'description', p.description)
                          order by p.flow_type nulls first, p.action)
                          from flowstate.retention_policies p), '[]'::jsonb),
    'rules', coalesce((select jsonb_agg(jsonb_build_object(
                         'flow_type', r.flow_type, 'action', r.action, 'after', r.after::text,
                         'after_seconds', extract(epoch from r.after)::bigint, 'is_default', r.is_default)
                       order by r.flow_type, r.action)
                       from flowstate._retention_rules() r), '[]'::jsonb));
end;
$$;

comment on function flowstate.flow_retention_policies() is
'The retention policies as stored (flow_type NULL: the default) and the rule in force per flow type and action: {policies, rules}. Admin only (FS001 otherwise). flow_retention_run applies them.';
