/// The PostgreSQL store's schema, as named migrations applied in order (ADR 0030).
///
/// Everything lives in the schema `flotilla`, so the store can share a database with other applications:
///
/// - `meta`: one row: the current revision and the compact revision (every revision up to and including it has
///   been removed from `events`). Every write transaction locks this row first: writes are serialized, and a
///   revision is committed only after every smaller one, so a reader that sees revision R sees all of history up
///   to R (which a PostgreSQL sequence, with its gaps and out-of-order commits, would not give).
/// - `kv`: the live keys (byte order: `COLLATE "C"`), with their etcd revisions, version and lease.
/// - `events`: the history, one row per changed key per revision, what a watch replays.
/// - `leases`: granted leases with their TTL and expiry on the database's clock (`clock_timestamp()`), so every
///   host agrees on when a lease expires, whatever their own clocks say.
/// - `migrations`: the names of the migrations applied.
///
/// The functions run a whole batch of transactions in one round trip (``PostgresTxnWire``), holding the `meta`
/// lock only as long as the batch takes on the server.
import Foundation

enum PostgresSchema {
    /// One migration: a name that never changes once released, and the statements it runs, in order.
    struct Migration: Sendable {
        let name: String
        let statements: [String]

        /// `sql` holds statements separated by lines that read `--;` (function bodies hold semicolons of their own).
        init(name: String, sql: String) {
            self.name = name
            statements = sql.components(separatedBy: "\n--;\n")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";"))) }
                .filter { !$0.isEmpty }
        }
    }

    /// Channel on which every commit that creates revisions notifies its newest revision.
    static let channel = "flotilla_revisions"

    /// Serializes hosts that start at once and migrate the same database (`pg_advisory_xact_lock`).
    static let migrationLock: Int64 = 0x666C_6F74_696C_6C61

    static let bootstrap = [
        "CREATE SCHEMA IF NOT EXISTS flotilla",
        "CREATE TABLE IF NOT EXISTS flotilla.migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    ]

    static let migrations: [Migration] = [
        Migration(name: "0001-keys-events-leases", sql: tables),
        Migration(name: "0002-write-functions", sql: keyFunctions + "\n--;\n" + applyFunction + "\n--;\n" + leaseFunctions),
    ]

    private static let tables = """
        CREATE TABLE flotilla.meta (
            id int PRIMARY KEY CHECK (id = 1),
            revision bigint NOT NULL,
            compact_revision bigint NOT NULL
        )
        --;
        INSERT INTO flotilla.meta (id, revision, compact_revision) VALUES (1, 1, 0)
        --;
        CREATE TABLE flotilla.kv (
            key text COLLATE "C" PRIMARY KEY,
            value bytea NOT NULL,
            create_revision bigint NOT NULL,
            mod_revision bigint NOT NULL,
            version bigint NOT NULL,
            lease bigint
        )
        --;
        CREATE INDEX kv_lease ON flotilla.kv (lease) WHERE lease IS NOT NULL
        --;
        CREATE TABLE flotilla.events (
            revision bigint NOT NULL,
            seq int NOT NULL,
            kind smallint NOT NULL,
            key text COLLATE "C" NOT NULL,
            value bytea NOT NULL,
            create_revision bigint NOT NULL,
            mod_revision bigint NOT NULL,
            version bigint NOT NULL,
            lease bigint,
            PRIMARY KEY (revision, seq)
        )
        --;
        CREATE TABLE flotilla.leases (
            id bigserial PRIMARY KEY,
            ttl_ms bigint NOT NULL,
            expires_at timestamptz NOT NULL
        )
        --;
        CREATE INDEX leases_expiry ON flotilla.leases (expires_at);
        """

    /// Writing and deleting one key at a revision, with its event; a key as JSON; a compare.
    private static let keyFunctions = """
        CREATE FUNCTION flotilla.put_key(p_key text, p_value bytea, p_lease bigint, p_rev bigint, p_seq int)
        RETURNS void LANGUAGE plpgsql AS $$
        DECLARE v_create bigint; v_version bigint;
        BEGIN
            INSERT INTO flotilla.kv AS t (key, value, create_revision, mod_revision, version, lease)
            VALUES (p_key, p_value, p_rev, p_rev, 1, p_lease)
            ON CONFLICT (key) DO UPDATE
                SET value = EXCLUDED.value, mod_revision = p_rev, version = t.version + 1, lease = p_lease
            RETURNING t.create_revision, t.version INTO v_create, v_version;
            INSERT INTO flotilla.events (revision, seq, kind, key, value, create_revision, mod_revision, version, lease)
            VALUES (p_rev, p_seq, 0, p_key, p_value, v_create, p_rev, v_version, p_lease);
        END $$
        --;
        CREATE FUNCTION flotilla.delete_key(p_key text, p_rev bigint, p_seq int)
        RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM flotilla.kv WHERE key = p_key;
            IF NOT FOUND THEN RETURN false; END IF;
            INSERT INTO flotilla.events (revision, seq, kind, key, value, create_revision, mod_revision, version, lease)
            VALUES (p_rev, p_seq, 1, p_key, '\\x'::bytea, 0, p_rev, 0, NULL);
            RETURN true;
        END $$
        --;
        CREATE FUNCTION flotilla.kv_json(p flotilla.kv) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
            SELECT jsonb_build_object('k', p.key, 'v', translate(encode(p.value, 'base64'), E'\\n', ''),
                'c', p.create_revision, 'm', p.mod_revision, 'n', p.version, 'l', p.lease)
        $$
        --;
        CREATE FUNCTION flotilla.holds(p_cmp jsonb) RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE v_row flotilla.kv%ROWTYPE; v_order int; v_target text := p_cmp->>'t'; v_value bytea;
        BEGIN
            SELECT * INTO v_row FROM flotilla.kv WHERE key = p_cmp->>'k';
            IF v_target = 'value' THEN
                IF NOT FOUND THEN RETURN false; END IF;
                v_value := decode(p_cmp->>'v', 'base64');
                v_order := CASE WHEN v_row.value = v_value THEN 0 WHEN v_row.value < v_value THEN -1 ELSE 1 END;
            ELSE
                v_order := sign(COALESCE(CASE v_target
                    WHEN 'version' THEN v_row.version
                    WHEN 'create' THEN v_row.create_revision
                    ELSE v_row.mod_revision END, 0) - (p_cmp->>'v')::bigint);
            END IF;
            RETURN CASE p_cmp->>'o'
                WHEN '=' THEN v_order = 0 WHEN '!=' THEN v_order <> 0 WHEN '<' THEN v_order < 0 ELSE v_order > 0 END;
        END $$
        --;
        CREATE FUNCTION flotilla.in_range(p_key text, p_from text, p_to text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
            SELECT p_key >= p_from AND (p_to IS NULL OR p_key < p_to)
        $$;
        """

    /// `flotilla.apply(batch)`: runs a batch of transactions, each with its own revision, in order. Input and
    /// output are described by ``PostgresTxnWire``.
    private static let applyFunction = """
        CREATE FUNCTION flotilla.apply(p_txns jsonb) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            v_start bigint; v_base bigint; v_rev bigint; v_seq int; v_ok boolean; v_dead bigint; v_n int;
            v_txn jsonb; v_cmp jsonb; v_op jsonb; v_ops jsonb; v_key text; v_results jsonb; v_out jsonb := '[]';
        BEGIN
            SELECT revision INTO v_start FROM flotilla.meta WHERE id = 1 FOR UPDATE;
            v_base := v_start;
            FOR v_txn IN SELECT value FROM jsonb_array_elements(p_txns) LOOP
                v_rev := v_base + 1; v_seq := 0; v_ok := true; v_results := '[]';
                FOR v_cmp IN SELECT value FROM jsonb_array_elements(v_txn->'c') LOOP
                    IF NOT flotilla.holds(v_cmp) THEN v_ok := false; EXIT; END IF;
                END LOOP;
                v_ops := CASE WHEN v_ok THEN v_txn->'t' ELSE v_txn->'e' END;
                SELECT (op->>'l')::bigint INTO v_dead FROM jsonb_array_elements(v_ops) AS op
                WHERE op->>'o' = 'put' AND op->>'l' IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM flotilla.leases WHERE id = (op->>'l')::bigint AND expires_at > clock_timestamp())
                LIMIT 1;
                IF v_dead IS NOT NULL THEN
                    v_out := v_out || jsonb_build_array(jsonb_build_object('lease', v_dead));
                    CONTINUE;
                END IF;
                FOR v_op IN SELECT value FROM jsonb_array_elements(v_ops) LOOP
                    CASE v_op->>'o'
                    WHEN 'put' THEN
                        PERFORM flotilla.put_key(v_op->>'k', decode(v_op->>'v', 'base64'), (v_op->>'l')::bigint, v_rev, v_seq);
                        v_seq := v_seq + 1;
                        v_results := v_results || '[{"put": true}]'::jsonb;
                    WHEN 'del' THEN
                        IF flotilla.delete_key(v_op->>'k', v_rev, v_seq) THEN
                            v_seq := v_seq + 1;
                            v_results := v_results || '[{"deleted": 1}]'::jsonb;
                        ELSE
                            v_results := v_results || '[{"deleted": 0}]'::jsonb;
                        END IF;
                    WHEN 'delp' THEN
                        v_n := 0;
                        FOR v_key IN SELECT key FROM flotilla.kv WHERE flotilla.in_range(key, v_op->>'k', v_op->>'e')
                                ORDER BY key LOOP
                            PERFORM flotilla.delete_key(v_key, v_rev, v_seq);
                            v_seq := v_seq + 1; v_n := v_n + 1;
                        END LOOP;
                        v_results := v_results || jsonb_build_array(jsonb_build_object('deleted', v_n));
                    WHEN 'get' THEN
                        v_results := v_results || jsonb_build_array(jsonb_build_object('kv',
                            (SELECT flotilla.kv_json(kv) FROM flotilla.kv WHERE key = v_op->>'k')));
                    ELSE
                        v_results := v_results || jsonb_build_array(jsonb_build_object('kvs', COALESCE(
                            (SELECT jsonb_agg(flotilla.kv_json(kv) ORDER BY key) FROM flotilla.kv
                             WHERE flotilla.in_range(key, v_op->>'k', v_op->>'e')), '[]'::jsonb)));
                    END CASE;
                END LOOP;
                IF v_seq > 0 THEN v_base := v_rev; END IF;
                v_out := v_out || jsonb_build_array(jsonb_build_object('ok', v_ok, 'rev', v_base, 'r', v_results));
            END LOOP;
            IF v_base > v_start THEN
                UPDATE flotilla.meta SET revision = v_base WHERE id = 1;
                PERFORM pg_notify('flotilla_revisions', v_base::text);
            END IF;
            RETURN v_out::text;
        END $$;
        """

    /// Revoking a lease (its keys deleted in one revision) and reaping the expired ones.
    private static let leaseFunctions = """
        CREATE FUNCTION flotilla.revoke(p_lease bigint) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE v_base bigint; v_seq int := 0; v_key text;
        BEGIN
            SELECT revision INTO v_base FROM flotilla.meta WHERE id = 1 FOR UPDATE;
            FOR v_key IN SELECT key FROM flotilla.kv WHERE lease = p_lease ORDER BY key LOOP
                PERFORM flotilla.delete_key(v_key, v_base + 1, v_seq);
                v_seq := v_seq + 1;
            END LOOP;
            DELETE FROM flotilla.leases WHERE id = p_lease;
            IF v_seq > 0 THEN
                v_base := v_base + 1;
                UPDATE flotilla.meta SET revision = v_base WHERE id = 1;
                PERFORM pg_notify('flotilla_revisions', v_base::text);
            END IF;
            RETURN v_base;
        END $$
        --;
        CREATE FUNCTION flotilla.keep_alive(p_lease bigint) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE v_ttl bigint;
        BEGIN
            UPDATE flotilla.leases SET expires_at = clock_timestamp() + ttl_ms * interval '1 millisecond'
            WHERE id = p_lease AND expires_at > clock_timestamp() RETURNING ttl_ms INTO v_ttl;
            IF v_ttl IS NULL AND EXISTS (SELECT 1 FROM flotilla.leases WHERE id = p_lease) THEN
                PERFORM flotilla.revoke(p_lease);
            END IF;
            RETURN v_ttl;
        END $$
        --;
        CREATE FUNCTION flotilla.expire() RETURNS bigint[] LANGUAGE plpgsql AS $$
        DECLARE v_id bigint; v_reaped bigint[] := '{}';
        BEGIN
            -- The meta lock first, as every writer takes it: a lease row locked here cannot deadlock with a revoke.
            PERFORM 1 FROM flotilla.meta WHERE id = 1 FOR UPDATE;
            -- Locked and re-checked: a keep-alive that renewed the lease meanwhile wins.
            FOR v_id IN SELECT id FROM flotilla.leases WHERE expires_at <= clock_timestamp() ORDER BY id FOR UPDATE LOOP
                PERFORM flotilla.revoke(v_id);
                v_reaped := v_reaped || v_id;
            END LOOP;
            RETURN v_reaped;
        END $$;
        """
}
