-- NULL, JSON null and documents that are not objects are refused with one clear error,
-- never an exception.
begin;
\ir ../_helpers.sql
select plan(6);

set local role flowstate_app;
select is(flowstate.flow_validate_state(null), array['The state document is required.'], 'NULL is reported as missing');
select is(flowstate.flow_validate_state('null'), array['The state document is required.'], 'JSON null likewise');
select is(flowstate.flow_validate_state(d.doc), array[format('The state document must be a JSON object, not %s.', d.kind)],
          format('a JSON %s is not a document', d.kind))
  from (values ('[]'::jsonb, 'array'), ('"flow"', 'string'), ('42', 'number'), ('true', 'boolean')) as d(doc, kind);

select * from finish();
rollback;
