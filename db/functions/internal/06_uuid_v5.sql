-- flowstate._sha1, flowstate._uuid_v5
-- RFC 4122 name-based UUIDs (version 5) without an extension: uuid-ossp and pgcrypto are not
-- everywhere (pip-installed servers ship without contrib), and only non-canonical external ids
-- need this, so a SHA-1 in PL/pgSQL is fast enough. A test compares it with Python's uuid5.

create or replace function flowstate._sha1(p_data bytea)
returns bytea
language plpgsql
immutable
strict
as $$
declare
  c_mask constant bigint := 4294967295;  -- arithmetic on 32-bit words held in bigints
  h bigint[] := array[1732584193, 4023233417, 2562383102, 271733878, 3285377520];
  v_message bytea;
  w bigint[];
  a bigint; b bigint; c bigint; d bigint; e bigint; f bigint; k bigint; t bigint;
begin
  -- Padding: 0x80, zeros up to 56 bytes mod 64, then the length in bits (64-bit big-endian).
  v_message := p_data || '\x80'::bytea;
  v_message := v_message || decode(repeat('00', (120 - length(v_message) % 64) % 64), 'hex')
               || decode(lpad(to_hex(length(p_data)::bigint * 8), 16, '0'), 'hex');
  for v_chunk in 0 .. length(v_message) / 64 - 1 loop
    w := array_fill(0::bigint, array[80]);
    for i in 0 .. 15 loop
      w[i + 1] := (get_byte(v_message, v_chunk * 64 + i * 4)::bigint << 24)
                | (get_byte(v_message, v_chunk * 64 + i * 4 + 1)::bigint << 16)
                | (get_byte(v_message, v_chunk * 64 + i * 4 + 2)::bigint << 8)
                | get_byte(v_message, v_chunk * 64 + i * 4 + 3)::bigint;
    end loop;
    for i in 16 .. 79 loop
      t := w[i - 2] # w[i - 7] # w[i - 13] # w[i - 15];
      w[i + 1] := ((t << 1) | (t >> 31)) & c_mask;
    end loop;
    a := h[1]; b := h[2]; c := h[3]; d := h[4]; e := h[5];
    for i in 0 .. 79 loop
      if i < 20 then
        f := (b & c) | ((~b & c_mask) & d); k := 1518500249;
      elsif i < 40 then
        f := b # c # d; k := 1859775393;
      elsif i < 60 then
        f := (b & c) | (b & d) | (c & d); k := 2400959708;
      else
        f := b # c # d; k := 3395469782;
      end if;
      t := ((((a << 5) | (a >> 27)) & c_mask) + f + e + k + w[i + 1]) & c_mask;
      e := d; d := c; c := ((b << 30) | (b >> 2)) & c_mask; b := a; a := t;
    end loop;
    h := array[(h[1] + a) & c_mask, (h[2] + b) & c_mask, (h[3] + c) & c_mask, (h[4] + d) & c_mask, (h[5] + e) & c_mask];
  end loop;
  return decode(lpad(to_hex(h[1]), 8, '0') || lpad(to_hex(h[2]), 8, '0') || lpad(to_hex(h[3]), 8, '0')
                || lpad(to_hex(h[4]), 8, '0') || lpad(to_hex(h[5]), 8, '0'), 'hex');
end;
$$;

comment on function flowstate._sha1(bytea) is 'Internal. SHA-1 of p_data (for name-based UUIDs only; not for security).';

create or replace function flowstate._uuid_v5(p_namespace uuid, p_name text)
returns uuid
language plpgsql
immutable
strict
as $$
declare
  v_hash bytea := substring(flowstate._sha1(decode(replace(p_namespace::text, '-', ''), 'hex')
                                            || convert_to(p_name, 'UTF8')) from 1 for 16);
begin
  v_hash := set_byte(v_hash, 6, (get_byte(v_hash, 6) & 15) | 80);    -- version 5
  v_hash := set_byte(v_hash, 8, (get_byte(v_hash, 8) & 63) | 128);   -- RFC 4122 variant
  return encode(v_hash, 'hex')::uuid;
end;
$$;

comment on function flowstate._uuid_v5(uuid, text) is 'Internal. The RFC 4122 version 5 (SHA-1, name-based) UUID of p_name in p_namespace.';

-- flowstate._flow_namespace
-- The namespace of a tenant's name-based flow ids (flowstate.flow_id_for): the UUIDv5 of
-- "<client_account_id>/<engagement_id>" (lower case) in pgflowstate's own namespace (a fixed
-- random UUID). One SHA-1: callers mapping many ids of one tenant take it once
-- ((select flowstate._flow_namespace(p_context)), an InitPlan) and hash each id once.
create or replace function flowstate._flow_namespace(p_context jsonb)
returns uuid
language plpgsql
immutable
as $$
begin
  return flowstate._uuid_v5('6f1c2a4e-8d3b-4c7a-9e5f-0b2d4a6c8e10'::uuid,
                            lower(p_context ->> 'client_account_id') || '/' || lower(p_context ->> 'engagement_id'));
end;
$$;

comment on function flowstate._flow_namespace(jsonb) is 'Internal. The UUIDv5 namespace of the context''s tenant for flowstate.flow_id_for.';

-- flowstate._canonical_uuid
-- An external id that is a canonical UUID (lower-case, hyphenated) is its own flow id: that id,
-- else NULL (the id is to be hashed). SQL, so it is inlined.
create or replace function flowstate._canonical_uuid(p_external_id text)
returns uuid
language sql
immutable
as $$
  select case when flowstate._is_uuid(p_external_id) and p_external_id = lower(p_external_id)
              then p_external_id::uuid end
$$;

comment on function flowstate._canonical_uuid(text) is 'Internal. p_external_id as a uuid when it is a canonical (lower-case, hyphenated) UUID, else NULL.';

-- flowstate._flow_id_in
-- flowstate.flow_id_for with the tenant's namespace given (flowstate._flow_namespace): a
-- canonical UUID is its own flow id, any other string its UUIDv5 in p_namespace. No checks:
-- callers have checked the context and the id's size.
create or replace function flowstate._flow_id_in(p_namespace uuid, p_external_id text)
returns uuid
language sql
immutable
as $$
  select coalesce(flowstate._canonical_uuid(p_external_id), flowstate._uuid_v5(p_namespace, p_external_id))
$$;

comment on function flowstate._flow_id_in(uuid, text) is 'Internal. flowstate.flow_id_for of p_external_id in the tenant namespace p_namespace (unchecked).';
