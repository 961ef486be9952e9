-- The import's hashes (each legacy row's sha256 and the ledger's content hash) are 64 lowercase
-- hex digits, as sha256 writes them: both tables refuse anything else, whoever writes them.
begin;
\ir ../_helpers.sql
select plan(18);

select encode(sha256('x'), 'hex') as good \gset
create temp table bad_hashes (hash text, what text);
insert into bad_hashes values
  (upper(:'good'), 'upper case'), (left(:'good', 63), '63 digits'), (:'good' || '0', '65 digits'),
  (:'good' || E'\n', 'a trailing newline'), (E'\n' || left(:'good', 63), 'a leading newline'),
  ('g' || right(:'good', 63), 'a letter past f'), (left(:'good', 62) || 'é', '64 bytes with a non-ASCII letter'),
  ('', 'nothing');

prepare legacy_row(text) as
  insert into flowstate.legacy_rows (flow_id, legacy_id, method_name, legacy_timestamp, state_text, state_sha256)
  values (gen_random_uuid(), 1, 'start', 't', '{}', $1);
prepare ledger_entry(text) as
  insert into flowstate.migration_ledger (flow_id, generation, client_account_id, engagement_id, external_id,
                                          source_fingerprint, row_count, last_legacy_id, content_hash, has_pending, flow_version)
  values (gen_random_uuid(), 0, gen_random_uuid(), gen_random_uuid(), 'x', 'f', 1, 1, $1, false, 1);

select lives_ok(format('execute legacy_row(%L)', :'good'), 'a legacy row takes a sha256 in hex');
select throws_ok(format('execute legacy_row(%L)', hash), '23514', null, 'a legacy row refuses ' || what)
  from bad_hashes order by what;
select lives_ok(format('execute ledger_entry(%L)', :'good'), 'a ledger entry takes a sha256 in hex');
select throws_ok(format('execute ledger_entry(%L)', hash), '23514', null, 'a ledger entry refuses ' || what)
  from bad_hashes order by what;

select * from finish();
rollback;
