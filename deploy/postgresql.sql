-- The PostgreSQL table deploy/rsyslog.conf writes Spip's records into, and a typed view on it.
-- Install: sudo -u postgres psql -f deploy/postgresql.sql (then create the `rsyslog` role and
-- grant it INSERT, see deploy/rsyslog.conf).
--
-- The column is `json`, not `jsonb`: every ClientHello record (and any payload with a NUL byte)
-- holds the escape \u0000 in `payload`, which `jsonb` rejects ("unsupported Unicode escape
-- sequence"), so the INSERT would fail and rsyslog would drop the record. `json` keeps the line
-- exactly as Spip wrote it. PostgreSQL's json operators (`record->>'source_ip'`) raise the same
-- error on those records, so the view below reads a copy in which each \u0000 escape is U+FFFD,
-- and takes the exact bytes from `payload_hex` (its `payload` column is bytea).

CREATE TABLE IF NOT EXISTS spip_records (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  record json NOT NULL
);

CREATE OR REPLACE VIEW spip_records_typed AS
WITH readable AS (
  SELECT id, received_at, regexp_replace(record::text, '\\u0000', '\\ufffd', 'g')::jsonb AS record
  FROM spip_records
)
SELECT
  id,
  received_at,
  to_timestamp((record->>'timestamp_ms')::bigint / 1000.0) AS time,
  (record->>'source_ip')::inet AS source_ip,
  (record->>'source_port')::integer AS source_port,
  (record->>'destination_ip')::inet AS destination_ip,
  (record->>'destination_port')::integer AS destination_port,
  (record->>'session_id')::uuid AS session_id,
  (record->>'seq')::integer AS seq,
  record->>'transport' AS transport,
  record->>'sensor_name' AS sensor_name,
  decode(record->>'payload_hex', 'hex') AS payload,
  record->>'ja4' AS ja4,
  record->>'tls_sni' AS tls_sni,
  record
FROM readable;
